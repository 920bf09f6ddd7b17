import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { generateOpenApiYaml } from '../src/openapi.js';
import { makeApp } from './helpers.js';

describe('OpenAPI document', () => {
  it('openapi.yaml is exactly what the code generates (run `npm run openapi` after changing schemas)', async () => {
    const checkedIn = readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8');
    expect(checkedIn).toBe(await generateOpenApiYaml());
  });

  it('is OpenAPI 3.1 with named components and, for every operation, an id, summary, tag and error responses', async () => {
    const doc = parseYaml(readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8'));
    expect(doc.openapi).toBe('3.1.0');
    for (const name of ['PlatformRecord', 'OptOutAnswer', 'PlatformList', 'ChangeEntry', 'Problem', 'Source', 'RegionRule']) {
      expect(doc.components.schemas, name).toHaveProperty(name);
    }
    const operationIds = new Set<string>();
    for (const [path, item] of Object.entries<Record<string, Record<string, unknown>>>(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(op.operationId, where).toBeTruthy();
        expect(operationIds.has(op.operationId as string), `${where} duplicate operationId`).toBe(false);
        operationIds.add(op.operationId as string);
        expect(op.summary, where).toBeTruthy();
        expect((op.tags as string[]).length, where).toBeGreaterThan(0);
        const responses = op.responses as Record<string, { content?: Record<string, unknown> }>;
        const errors = Object.keys(responses).filter((s) => s.startsWith('4') || s.startsWith('5'));
        expect(errors.length, `${where} documents its errors`).toBeGreaterThan(0);
        for (const status of errors)
          expect(Object.keys(responses[status]?.content ?? {}), `${where} ${status}`).toEqual(['application/problem+json']);
      }
    }
    for (const id of [
      'listPlatforms',
      'getPlatform',
      'resolveOptOut',
      'getPlatformHistory',
      'diffPlatform',
      'listEvents',
      'listRegions',
      'listChanges',
      'getChange',
      'exportRegistry',
      'getRegistry',
      'getHealth',
    ]) {
      expect(operationIds, id).toContain(id);
    }
  });

  it('is served at /openapi.json and the docs page is live', async () => {
    const app = await makeApp();
    const res = await app.inject('/openapi.json');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(parseYaml(readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8')));
    const docs = await app.inject('/docs/');
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/text\/html/);
  });
});
