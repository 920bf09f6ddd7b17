import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * The import rules of `npm run lint` (no circles; domain ← schemas ← services ← routes/plugins/mcp),
 * run by `npm test` too, so CI (which runs the tests) refuses a change that knots the code.
 */
describe('imports', () => {
  it('have no circles and point one way', { timeout: 60_000 }, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['scripts/check-imports.mjs']);
    expect(stdout).toContain('no dependency violations found');
  });
});
