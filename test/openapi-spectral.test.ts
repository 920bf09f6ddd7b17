import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface SpectralResult {
  code: string;
  severity: number;
  message: string;
  path: string[];
  source: string;
}

/** `spectral lint` with the project's .spectral.yaml (spectral:oas + the OWASP ruleset), JSON out. */
async function spectral(files: string[]): Promise<SpectralResult[]> {
  const args = ['lint', ...files, '--ruleset', join(ROOT, '.spectral.yaml'), '--format', 'json', '--quiet'];
  const stdout = await promisify(execFile)(join(ROOT, 'node_modules/.bin/spectral'), args, {
    cwd: ROOT,
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  }).then(
    (r) => r.stdout,
    // Spectral exits 1 when it finds errors; its report is still on stdout.
    (error: { stdout?: string; stderr?: string }) => {
      if (!error.stdout) throw new Error(`spectral failed: ${error.stderr}`);
      return error.stdout;
    },
  );
  return JSON.parse(stdout) as SpectralResult[];
}

describe('OpenAPI lint (Spectral: spectral:oas and the OWASP API Security ruleset)', () => {
  it('openapi.yaml has no errors, and the rules catch what they are kept for', { timeout: 180_000 }, async () => {
    // A copy with one fault per rule this project relies on: an unbounded request string and array,
    // an integer without a format, a public response without its CORS header, a server without audience.
    const doc = parseYaml(readFileSync(join(ROOT, 'openapi.yaml'), 'utf8'));
    const query = doc.paths['/v1/platforms'].get.parameters.find((p: { name: string }) => p.name === 'q');
    delete query.schema.maxLength;
    delete doc.components.schemas.ChangeSetRequest.properties.operations.maxItems;
    delete doc.components.schemas.RegistryInfo.properties.version.format;
    delete doc.paths['/v1/registry'].get.responses['200'].headers['Access-Control-Allow-Origin'];
    delete doc.servers[0]['x-internal'];
    const dir = mkdtempSync(join(tmpdir(), 'registry-spectral-'));
    try {
      const broken = join(dir, 'openapi.yaml');
      writeFileSync(broken, stringify(doc));
      const results = await spectral(['openapi.yaml', broken]);
      const errors = results
        .filter((r) => r.source.endsWith(join(ROOT, 'openapi.yaml')) && r.severity === 0)
        .map((r) => `${r.code} ${r.path.join('.')}: ${r.message}`);
      expect(errors).toEqual([]);
      const caught = new Set(results.filter((r) => r.source === broken).map((r) => r.code));
      for (const code of [
        'request-string-limit',
        'request-array-limit',
        'owasp:api4:2023-integer-format',
        'owasp:api8:2023-define-cors-origin',
        'owasp:api9:2023-inventory-access',
      ]) {
        expect(caught, code).toContain(code);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every rule switched off in .spectral.yaml says why', () => {
    const text = readFileSync(join(ROOT, '.spectral.yaml'), 'utf8');
    const lines = text.split('\n');
    const off = lines.flatMap((line, i) => (/^\s+[\w:.-]+:\s+off\s*$/.test(line) ? [i] : []));
    expect(off.length).toBeGreaterThan(0);
    for (const i of off) {
      // The nearest comment above the rule (within its group) gives the reason.
      const above = lines.slice(Math.max(0, i - 12), i).reverse();
      const reason = above.find((l) => l.trim().startsWith('#'));
      expect(reason, lines[i]).toBeDefined();
    }
  });
});
