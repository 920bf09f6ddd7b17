import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { badRequest, ProblemError } from '../errors.js';
import { ChangeEntry } from '../schemas/changes.js';
import { IsoDate, Slug } from '../schemas/common.js';
import { AsOf, PlatformRecord } from '../schemas/platform.js';
import { ChangesQuery, EventsQuery, OptOutQuery, PlatformListQuery, PlatformQuery } from '../schemas/queries.js';
import { EventList, OptOutAnswer, PlatformList } from '../schemas/responses.js';
import { changeFeedStart } from '../services/cursor.js';
import type { Services } from '../services/index.js';

/** Where an answer can be read again and cited: the REST resource, and the page for people. */
const Links = z
  .object({
    rest: z.string().describe('The same answer from the REST API (JSON), to cite or fetch again.'),
    page: z.string().optional().describe('The page for people that shows this answer.'),
  })
  .describe('Links to this answer outside MCP.');

const PlatformSlug = Slug.describe('The platform’s slug (e.g. `linkedin`); `search_platforms` finds it from a name.');

/**
 * The tools' inputs and outputs: the REST API's own zod schemas (query parameters, response bodies),
 * with the path parameter as a field and links added. Objects built here carry no id of their own,
 * so each tool's JSON Schema is an object at the top (MCP requires it) referring to the shared parts.
 */
const inputs = {
  optOut: z.strictObject({ platform: PlatformSlug, ...OptOutQuery.shape }),
  search: z.strictObject(PlatformListQuery.shape),
  platform: z.strictObject({ platform: PlatformSlug, ...PlatformQuery.shape }),
  changes: z.strictObject({
    ...ChangesQuery.shape,
    since: IsoDate.optional().describe('Only change sets recorded on or after this day (UTC). Not with `after` or `cursor`.'),
  }),
  events: z.strictObject(EventsQuery.shape),
};
const ChangeSummary = ChangeEntry.omit({ patch: true }).extend({
  rest: z.string().describe('The whole change set, with its RFC 6902 patch.'),
});
const outputs = {
  optOut: z.object({ ...OptOutAnswer.shape, links: Links }),
  search: z.object({ ...PlatformList.shape, links: Links }),
  platform: z.object({ ...PlatformRecord.shape, asOf: AsOf, links: Links }),
  changes: z.object({
    data: z.array(ChangeSummary),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
    asOf: AsOf,
    links: Links,
  }),
  events: z.object({ ...EventList.shape, links: Links }),
};

export interface McpOptions {
  /** The address clients reach the REST API at (PUBLIC_URL): links are built from it. */
  publicUrl: string;
  /** Called with an error a tool could not turn into an answer (a bug or an outage), for the log. */
  onInternalError?: (error: unknown) => void;
}

const INSTRUCTIONS =
  'The AI-training opt-out registry: which online platforms train AI models on their users’ data, how a person opts out on ' +
  'each device, which regions and account types are treated differently, and when each rule changed. Every fact cites sources; ' +
  'each answer carries their evidence level (`primary`: the platform’s own words, a regulator, a court or an archived terms ' +
  'version; `secondary`: press only; `unconfirmed`). When you answer a person, cite the sources and the registry version, say ' +
  'when the evidence is not primary, and mention what still counts after an opt-out (`exceptions`). Start with ' +
  '`resolve_opt_out` for "is my data used, and how do I stop it"; use `search_platforms` to find a slug.';

/** The query string of the parameters that were given, in a stable order. */
function queryString(params: Record<string, unknown>): string {
  const entries = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => [k, String(v)] as [string, string]);
  const qs = new URLSearchParams(entries).toString();
  return qs ? `?${qs}` : '';
}

/** A tool's answer: the structured result, and the same JSON as text for clients that read only text. */
function answer<T extends object>(result: T): CallToolResult {
  return { structuredContent: result as Record<string, unknown>, content: [{ type: 'text', text: JSON.stringify(result) }] };
}

/**
 * A tool error that says what to fix: a problem the services raised (unknown platform, bad cursor,
 * version not written yet) keeps its words and field errors; anything else is reported without
 * internals, as the REST API's 5xx is.
 */
function toolError(error: unknown, options: McpOptions): CallToolResult {
  if (error instanceof ProblemError && error.status < 500) {
    const fields = (error.errors ?? []).map((e) => `${e.field.replace(/^query\./, '')}: ${e.message}`);
    const hint = error.code === 'not-found' ? ' Use search_platforms to find a platform’s slug.' : '';
    return { isError: true, content: [{ type: 'text', text: [error.message + hint, ...fields].join('\n') }] };
  }
  options.onInternalError?.(error);
  const retry = error instanceof ProblemError ? ` ${error.message}` : ' Try again in a moment.';
  return { isError: true, content: [{ type: 'text', text: `The registry could not answer this time.${retry}` }] };
}

/**
 * The registry's MCP server: read-only tools, a resource per platform record and a prompt. Tools are
 * thin: they call the services the REST routes call, with the routes' own zod schemas as their input
 * and output schemas. One server is built per request in the stateless HTTP mode, once for stdio.
 */
export function createMcpServer(services: Services, options: McpOptions): McpServer {
  const base = options.publicUrl;
  const server = new McpServer(
    { name: 'ai-optout-registry', title: 'AI-training opt-out registry', version: '1.0.0' },
    { instructions: INSTRUCTIONS, capabilities: { tools: {}, resources: {}, prompts: {} } },
  );
  const run = async (work: () => Promise<object>) => {
    try {
      return answer(await work());
    } catch (error) {
      return toolError(error, options);
    }
  };
  const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

  server.registerTool(
    'resolve_opt_out',
    {
      title: 'Is my data used to train AI here, and how do I opt out?',
      description:
        'For one platform and one person (country or region group, device, account type, day): whether the platform or its group ' +
        'trains AI models on their data by default (`trainingByDefault`: true, false or null for unknown), the rule that decided it, ' +
        'every relevant setting with its default, the exact steps for the device, what still counts after opting out (`exceptions`), ' +
        'and the sources with their evidence level.',
      inputSchema: inputs.optOut,
      outputSchema: outputs.optOut,
      annotations: { title: 'Resolve the opt-out answer', ...readOnly },
    },
    ({ platform, ...query }) =>
      run(async () => {
        const head = await services.reader.currentVersion();
        const result = await services.platforms.optOut(platform, query, head);
        const qs = queryString({ ...query, accountType: query.accountType === 'personal' ? undefined : query.accountType });
        const page = queryString({ platform, region: query.region, device: query.device, account: query.accountType });
        return { ...result, links: { rest: `${base}/v1/platforms/${platform}/opt-out${qs}`, page: `${base}/${page}` } };
      }),
  );

  server.registerTool(
    'search_platforms',
    {
      title: 'Find platforms',
      description:
        'Platforms in slug order, filtered by text (`q`: name, owner, setting name), category, device, default state and more; ' +
        'each with whether it trains on data by default for the region, account type and day given. Page with `cursor`.',
      inputSchema: inputs.search,
      outputSchema: outputs.search,
      annotations: { title: 'Search platforms', ...readOnly },
    },
    (query) =>
      run(async () => {
        const head = await services.reader.currentVersion();
        const result = await services.platforms.list(query, head);
        return {
          ...result,
          links: { rest: `${base}/v1/platforms${queryString({ ...query, limit: query.limit === 50 ? undefined : query.limit })}` },
        };
      }),
  );

  server.registerTool(
    'get_platform',
    {
      title: 'A platform’s full record',
      description:
        'Every setting, the opt-out steps per device, region rules, dated policy events and sources of one platform, as recorded at ' +
        '`version` (default: now), narrowed to what applied on `at` when given.',
      inputSchema: inputs.platform,
      outputSchema: outputs.platform,
      annotations: { title: 'Get a platform record', ...readOnly },
    },
    ({ platform, ...query }) =>
      run(async () => {
        const head = await services.reader.currentVersion();
        const version = await services.reader.resolveVersion(query.version, head);
        const record = await services.platforms.get(platform, { ...query, version }, head);
        return {
          ...record,
          asOf: { version, at: query.at ?? null },
          links: { rest: `${base}/v1/platforms/${platform}${queryString(query)}`, page: `${base}/${queryString({ platform })}` },
        };
      }),
  );

  server.registerTool(
    'list_changes',
    {
      title: 'What changed in the registry',
      description:
        'Change sets (registry versions) oldest first, after a version (`after`) or since a day (`since`): when, who, why and which ' +
        'platforms each touched, with a link to its full patch. Page with `cursor`.',
      inputSchema: inputs.changes,
      outputSchema: outputs.changes,
      annotations: { title: 'List registry changes', ...readOnly },
    },
    ({ since, ...query }) =>
      run(async () => {
        const head = await services.reader.currentVersion();
        if (since !== undefined && (query.after !== undefined || query.cursor !== undefined)) {
          throw badRequest('Give one of `since`, `after` or `cursor`, not several.');
        }
        const after = since !== undefined ? await services.history.versionBefore(since, head) : changeFeedStart(query);
        const result = await services.history.summariesAfter({ after, limit: query.limit }, head);
        return {
          ...result,
          data: result.data.map((c) => ({ ...c, rest: `${base}/v1/changes/${c.version}` })),
          links: { rest: `${base}/v1/changes${queryString({ after, limit: query.limit })}` },
        };
      }),
  );

  server.registerTool(
    'list_policy_events',
    {
      title: 'Policy timeline',
      description:
        'Dated changes in how platforms use data for AI training (policy updates, default changes, regions added or removed, ' +
        'pauses, regulator and court actions), newest first, filtered by platform, kind and dates, each with its sources.',
      inputSchema: inputs.events,
      outputSchema: outputs.events,
      annotations: { title: 'List policy events', ...readOnly },
    },
    (query) =>
      run(async () => {
        const head = await services.reader.currentVersion();
        const result = await services.events.events(query, head);
        return {
          ...result,
          links: { rest: `${base}/v1/events${queryString({ ...query, limit: query.limit === 50 ? undefined : query.limit })}` },
        };
      }),
  );

  server.registerResource(
    'platform',
    new ResourceTemplate('registry://platforms/{slug}', {
      list: async () => {
        const resources = [];
        let cursor: string | undefined;
        do {
          const page = await services.platforms.list({ limit: 200, cursor });
          for (const p of page.data) {
            resources.push({ uri: `registry://platforms/${p.slug}`, name: p.slug, title: p.name, mimeType: 'application/json' });
          }
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        return { resources };
      },
      complete: {
        slug: async (value) => (await services.platforms.list({ q: value || undefined, limit: 20 })).data.map((p) => p.slug),
      },
    }),
    {
      title: 'A platform’s record',
      description:
        'The platform’s full current record (settings, steps, region rules, events, sources), as `GET /v1/platforms/{slug}` returns it.',
      mimeType: 'application/json',
    },
    async (uri, { slug }) => {
      const value = Array.isArray(slug) ? slug[0] : slug;
      const parsed = Slug.safeParse(value);
      if (!parsed.success) throw new Error(`"${value}" is not a platform slug: ${parsed.error.issues[0]?.message}`);
      const record = await services.platforms.get(parsed.data, {});
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(record) }] };
    },
  );

  server.registerPrompt(
    'opt_out_of_ai_training',
    {
      title: 'How do I stop a platform training AI on my data?',
      description: 'Asks for the steps to opt out of AI training on one platform, with the registry’s current answer attached.',
      argsSchema: { platform: PlatformSlug, region: OptOutQuery.shape.region, device: OptOutQuery.shape.device },
    },
    async ({ platform, region, device }) => {
      const result = await services.platforms.optOut(platform, { region, device });
      const where = [region ? `in ${region}` : '', device ? `on ${device}` : ''].filter(Boolean).join(' ');
      return {
        messages: [
          {
            role: 'user',
            content: {
              type: 'text',
              text:
                `How do I stop ${result.platform.name} from training AI on my data${where ? ` ${where}` : ''}? ` +
                'Answer from the registry record below: say whether it trains by default, give the exact steps, say what still counts ' +
                'after opting out, and cite the sources (with their evidence level) and the registry version.',
            },
          },
          {
            role: 'user',
            content: {
              type: 'resource',
              resource: {
                uri: `${base}/v1/platforms/${platform}/opt-out${queryString({ region, device })}`,
                mimeType: 'application/json',
                text: JSON.stringify(result),
              },
            },
          },
        ],
      };
    },
  );
  return server;
}
