#!/usr/bin/env node
// Launches the registry's MCP server over stdio (src/cli/mcp.ts) for desktop assistants; see README "MCP".
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/mcp.ts');
