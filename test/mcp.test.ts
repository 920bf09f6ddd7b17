import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { OptOutAnswer, PlatformList } from '../src/schemas/responses.js';
import { makeApp } from './helpers.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** The app listening on a real port, and an MCP client (the SDK's own) connected to its `/mcp`. */
async function connect(overrides = {}) {
  const app = await makeApp(overrides);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const client = new Client({ name: 'registry-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${address}/mcp`)));
  open.push(client);
  return { app, address, client };
}

const structured = (result: unknown) => (result as CallToolResult).structuredContent as Record<string, unknown>;
const text = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;

describe('MCP over Streamable HTTP (the SDK’s client against the real server)', () => {
  it('initializes, lists the tools with the API’s schemas, and answers the opt-out question with sources, evidence, version and link', async () => {
    const { app, client } = await connect();
    expect(client.getServerVersion()?.name).toBe('ai-optout-registry');
    expect(client.getInstructions()).toContain('cite the sources');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'get_platform',
      'list_changes',
      'list_policy_events',
      'resolve_opt_out',
      'search_platforms',
    ]);
    const resolve = tools.find((t) => t.name === 'resolve_opt_out')!;
    expect(resolve.annotations?.readOnlyHint).toBe(true);
    expect(resolve.outputSchema?.type).toBe('object');
    expect(Object.keys(resolve.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining(['platform', 'region', 'device', 'accountType', 'at', 'version']),
    );

    const result = await client.callTool({
      name: 'resolve_opt_out',
      arguments: { platform: 'linkedin', region: 'DE', device: 'ios', at: '2024-10-01' },
    });
    expect(result.isError).toBeFalsy();
    const answer = OptOutAnswer.parse(structured(result));
    // The same answer as the REST route gives for the same question.
    const rest = (await app.inject('/v1/platforms/linkedin/opt-out?region=DE&device=ios&at=2024-10-01')).json();
    expect(answer).toEqual(OptOutAnswer.parse(rest));
    expect(answer.sources.length).toBeGreaterThan(0);
    expect(answer.asOf.version).toBeGreaterThan(0);
    expect(structured(result).links).toEqual({
      rest: 'http://localhost:3000/v1/platforms/linkedin/opt-out?region=DE&device=ios&at=2024-10-01',
      page: 'http://localhost:3000/?platform=linkedin&region=DE&device=ios&account=personal',
    });
    // The text block carries the same JSON, for clients that read only text.
    expect(JSON.parse(text(result))).toEqual(structured(result));
  });

  it('searches, reads a record, lists changes since a day and the policy timeline', async () => {
    const { client } = await connect();
    const found = await client.callTool({ name: 'search_platforms', arguments: { q: 'linked', region: 'GB' } });
    const list = PlatformList.parse(structured(found));
    expect(list.data.map((p) => p.slug)).toContain('linkedin');
    expect(list.asOf.region).toBe('GB');
    const record = structured(await client.callTool({ name: 'get_platform', arguments: { platform: 'linkedin', at: '2024-10-01' } }));
    expect(record).toMatchObject({ slug: 'linkedin', at: '2024-10-01', asOf: { at: '2024-10-01' } });
    const changes = structured(await client.callTool({ name: 'list_changes', arguments: { since: '2000-01-01', limit: 5 } }));
    expect((changes.data as { version: number; rest: string }[])[0]).toMatchObject({
      version: 1,
      rest: 'http://localhost:3000/v1/changes/1',
    });
    expect(changes.data as object[]).toEqual([expect.not.objectContaining({ patch: expect.anything() })]);
    const none = structured(await client.callTool({ name: 'list_changes', arguments: { since: '2999-01-01' } }));
    expect(none.data).toEqual([]);
    const events = structured(await client.callTool({ name: 'list_policy_events', arguments: { platform: 'linkedin', limit: 3 } }));
    expect(
      (events.data as { platform: string; sourceDetails: unknown[] }[]).every(
        (e) => e.platform === 'linkedin' && e.sourceDetails.length > 0,
      ),
    ).toBe(true);
    expect((events.data as unknown[]).length).toBe(3);
  });

  it('serves platform records as resources and a prompt with the answer attached', async () => {
    const { client } = await connect();
    const templates = await client.listResourceTemplates();
    expect(templates.resourceTemplates.map((t) => t.uriTemplate)).toEqual(['registry://platforms/{slug}']);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain('registry://platforms/linkedin');
    const read = await client.readResource({ uri: 'registry://platforms/linkedin' });
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toMatchObject({ slug: 'linkedin' });
    const completion = await client.complete({
      ref: { type: 'ref/resource', uri: 'registry://platforms/{slug}' },
      argument: { name: 'slug', value: 'link' },
    });
    expect(completion.completion.values).toContain('linkedin');
    const prompt = await client.getPrompt({ name: 'opt_out_of_ai_training', arguments: { platform: 'linkedin', device: 'web' } });
    expect(prompt.messages).toHaveLength(2);
    expect(JSON.stringify(prompt.messages[1])).toContain('trainingByDefault');
  });

  it('answers bad input with a tool error that says what to fix, never a crash', async () => {
    const { client } = await connect();
    const call = (args: Record<string, unknown>) => client.callTool({ name: 'resolve_opt_out', arguments: args });
    const unknown = await call({ platform: 'no-such-platform' });
    expect(unknown.isError).toBe(true);
    expect(text(unknown)).toContain('There is no platform "no-such-platform"');
    expect(text(unknown)).toContain('search_platforms');
    const region = await call({ platform: 'linkedin', region: 'XX' });
    expect(region.isError).toBe(true);
    expect(text(region)).toContain('ISO 3166-1 alpha-2');
    const date = await call({ platform: 'linkedin', at: '2025-02-30' });
    expect(date.isError).toBe(true);
    expect(text(date)).toContain('real calendar date');
    const extra = await call({ platform: 'linkedin', password: 'x' });
    expect(extra.isError).toBe(true);
    expect(text(extra)).toMatch(/password/);
    const long = await call({ platform: 'x'.repeat(5000) });
    expect(long.isError).toBe(true);
    const version = await client.callTool({ name: 'get_platform', arguments: { platform: 'linkedin', version: 999999 } });
    expect(version.isError).toBe(true);
    expect(text(version)).toContain('999999');
    const both = await client.callTool({ name: 'list_changes', arguments: { since: '2024-01-01', after: 3 } });
    expect(text(both)).toContain('not several');
  });

  it('speaks problem+json at the HTTP level: wrong method, Accept, body and size', async () => {
    const { address } = await connect({ MCP_BODY_LIMIT: 2048 });
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${address}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
        body,
      });
    const expectProblemOf = async (res: Response, status: number) => {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      return (await res.json()) as { detail: string; code: string; jsonrpc?: { code: number } };
    };
    const get = await expectProblemOf(await fetch(`${address}/mcp`), 405);
    expect(get.code).toBe('method-not-allowed');
    const init = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    const accept = await expectProblemOf(await post(init, { accept: 'application/json' }), 406);
    expect(accept.detail).toContain('text/event-stream');
    expect(accept.jsonrpc?.code).toBe(-32000);
    const notRpc = await expectProblemOf(await post('{"hello":"world"}'), 400);
    expect(notRpc.code).toBe('validation-failed');
    await expectProblemOf(
      await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(4000) } })),
      413,
    );
    await expectProblemOf(await post('<initialize/>', { 'content-type': 'application/xml' }), 415);
    // A notification is accepted with 202 and no body.
    const note = await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), {
      'mcp-protocol-version': '2025-06-18',
    });
    expect(note.status).toBe(202);
    expect(await note.text()).toBe('');
  });

  it('is rate-limited like the other reads', async () => {
    const app = await makeApp({ RATE_LIMIT_MAX: 1 });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${address}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2025-06-18',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/list' }),
      });
      statuses.push(res.status);
      if (res.status === 429) expect(res.headers.get('retry-after')).toBeTruthy();
    }
    expect(statuses).toEqual([200, 429, 429]);
  });
});

describe('MCP over stdio (npm run mcp)', () => {
  it('serves the same tools from the local database', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-stdio-'));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['bin/ai-optout-registry-mcp.mjs'],
      env: { ...process.env, DATABASE_URL: '', DATABASE_PATH: join(dir, 'registry.sqlite'), LOG_LEVEL: 'warn' } as Record<string, string>,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'registry-test', version: '1.0.0' });
    await client.connect(transport);
    open.push(client);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('resolve_opt_out');
    const result = await client.callTool({ name: 'resolve_opt_out', arguments: { platform: 'linkedin', region: 'GB', at: '2024-10-01' } });
    const answer = OptOutAnswer.parse(structured(result));
    expect(answer.platform.slug).toBe('linkedin');
    expect(answer.trainingByDefault).not.toBeUndefined();
  });
});
