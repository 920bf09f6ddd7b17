import { fileURLToPath } from 'node:url';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { createMcpServer } from '../mcp/server.js';

/**
 * `npm run mcp` (and the `ai-optout-registry-mcp` bin): the MCP server over stdio, for desktop
 * assistants that launch it, answering from the local database with the same tools as `POST /mcp`.
 * The database is the one `npm start` uses (created, migrated and seeded on first use); stdout
 * carries the protocol, so logs go to stderr. No webhook worker runs here.
 */
const defaults = {
  DATABASE_PATH: fileURLToPath(new URL('../../data/registry.sqlite', import.meta.url)),
  LOG_LEVEL: 'warn',
};
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig({ ...defaults, ...process.env, WEBHOOK_WORKER: 'false' });
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
const app = await buildApp(config, { logStream: process.stderr });
await app.ready();
const server = createMcpServer(app.services, {
  publicUrl: config.PUBLIC_URL,
  onInternalError: (err) => app.log.error({ err }, 'MCP tool failed'),
});
const transport = new StdioServerTransport();
// The client ends the session by closing stdin: close the database before exiting.
transport.onclose = () => void app.close().finally(() => process.exit(0));
await server.connect(transport);
