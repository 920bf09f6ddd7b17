import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: { ruleId: string; severity: 'error' | 'warn'; message: string; location: { pointer: string }[] }[];
}

/** `redocly lint --format=json` with the project's redocly.yaml (recommended rules); no telemetry or update check. */
async function lint(file: string): Promise<LintReport> {
  const args = ['lint', file, '--format=json', `--config=${join(ROOT, 'redocly.yaml')}`];
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
  const stdout = await promisify(execFile)(join(ROOT, 'node_modules/.bin/redocly'), args, { cwd: ROOT, env, timeout: 60_000 }).then(
    (r) => r.stdout,
    // A lint with errors exits 1; its report is still on stdout.
    (error: { stdout?: string }) => error.stdout ?? '',
  );
  return JSON.parse(stdout) as LintReport;
}

type Operation = {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; description?: string; example?: unknown }[];
  responses: Record<string, { content?: Record<string, { example?: unknown; examples?: unknown }> }>;
};

describe('OpenAPI lint (Redocly, recommended rules)', () => {
  it('openapi.yaml has no errors and no warnings', async () => {
    const report = await lint('openapi.yaml');
    const errors = report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
    expect(errors).toEqual([]);
    expect(report.totals.errors).toBe(0);
    expect(report.problems.map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`)).toEqual([]);
    expect(report.totals.warnings).toBe(0);
  });

  it('catches what the generator must keep doing: security stated, a 4xx documented (so the rules are really on)', async () => {
    const doc = parseYaml(readFileSync(join(ROOT, 'openapi.yaml'), 'utf8'));
    const health = doc.paths['/healthz'].get as Operation;
    delete health.security;
    delete health.responses['429'];
    const dir = mkdtempSync(join(tmpdir(), 'registry-lint-'));
    try {
      writeFileSync(join(dir, 'openapi.yaml'), stringify(doc));
      const report = await lint(join(dir, 'openapi.yaml'));
      expect(report.totals.errors).toBeGreaterThan(0);
      expect(report.problems.map((p) => p.ruleId)).toEqual(expect.arrayContaining(['security-defined', 'operation-4xx-response']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('every operation states its security, documents 429 and has examples (problem responses; public reads’ parameters); every parameter is described', () => {
    const doc = parseYaml(readFileSync(join(ROOT, 'openapi.yaml'), 'utf8'));
    for (const [path, item] of Object.entries<Record<string, Operation>>(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path} (${op.operationId})`;
        expect(op.security, where).toBeDefined();
        for (const [status, response] of Object.entries(op.responses)) {
          const problem = response.content?.['application/problem+json'];
          if (problem) expect(problem.example, `${where} ${status}`).toMatchObject({ status: Number(status), code: expect.any(String) });
        }
        expect(op.responses['429'], `${where} documents 429 (the rate limit applies to every route)`).toBeDefined();
        const parameters = op.parameters ?? [];
        // Parameters typed by a named schema lose theirs unless the generator keeps them (src/plugins/openapi-fixes.ts).
        for (const p of parameters) expect(p.description, `${where} ${p.in} ${p.name}`).toBeTruthy();
        // Public reads; the admin operations' header parameters get their examples with the admin API.
        const isPublic = op.security?.length === 0;
        if (isPublic && parameters.length > 0) {
          expect(parameters.filter((p) => p.example !== undefined).length, `${where} parameter examples`).toBeGreaterThan(0);
        }
      }
    }
  });
});
