import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeApp } from './helpers.js';

const run = promisify(execFile);

/**
 * The MCP project's conformance suite (@modelcontextprotocol/conformance, pinned at 0.1.13: later
 * releases need Node 22), run offline against the real server. Only the scenarios that hold for any
 * server are run: the others call the reference "everything" server's fixtures (tools such as
 * `test_image_content`, resources such as `test://static-text`, the `logging` capability), which a
 * registry does not have.
 */
const SCENARIOS = ['server-initialize', 'ping', 'tools-list', 'resources-list', 'prompts-list'];

describe('MCP conformance suite', () => {
  it.each(SCENARIOS)('passes %s', { timeout: 60_000 }, async (scenario) => {
    const app = await makeApp();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const { stdout } = await run('node_modules/.bin/conformance', ['server', '--url', `${address}/mcp`, '--scenario', scenario], {
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    const result = /Passed: (\d+)\/(\d+), (\d+) failed/.exec(stdout);
    expect(result, stdout).not.toBeNull();
    const [, passed, total, failed] = result!.map(Number);
    expect(failed, stdout).toBe(0);
    expect(passed, stdout).toBe(total);
    expect(total).toBeGreaterThan(0);
  });
});
