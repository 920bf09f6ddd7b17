import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type ProblemCode, ProblemError } from '../errors.js';
import { ok, problems } from './v1/common.js';

/**
 * A JSON-RPC 2.0 message as MCP's Streamable HTTP transport takes it, bounded for the document and the
 * body limit; the SDK checks the rest (methods, params) and answers JSON-RPC errors inside a 200.
 */
const JsonRpcMessage = z
  .looseObject({
    jsonrpc: z.literal('2.0'),
    id: z
      .union([z.string().max(200), z.int()])
      .optional()
      .describe('Present on requests and responses; absent on notifications.'),
    method: z.string().max(200).optional().describe('e.g. `initialize`, `tools/list`, `tools/call`, `resources/read`.'),
    params: z.record(z.string().max(200), z.unknown()).optional(),
  })
  .meta({ id: 'JsonRpcMessage', description: 'A JSON-RPC 2.0 request, notification or response.' });
const McpBody = z
  .union([JsonRpcMessage, z.array(JsonRpcMessage).min(1).max(20)])
  .describe('One JSON-RPC message, or a batch of them (clients of protocol versions before 2025-06-18).');
const McpResponse = z
  .looseObject({ jsonrpc: z.literal('2.0'), id: z.union([z.string(), z.int(), z.null()]) })
  .or(z.array(z.looseObject({ jsonrpc: z.literal('2.0') })))
  .meta({ id: 'JsonRpcResponse', description: 'The JSON-RPC response(s): `result`, or `error` for a failed call (still HTTP 200).' });

/** The problem code for a status the MCP transport answers with. */
const CODES: Record<number, ProblemCode> = {
  400: 'bad-request',
  404: 'not-found',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
};

/** The JSON-RPC error of an SDK error response, so it can travel inside a problem. */
async function jsonRpcError(response: Response): Promise<{ code?: number; message?: string } | undefined> {
  try {
    return ((await response.json()) as { error?: { code?: number; message?: string } }).error;
  } catch {
    return undefined;
  }
}

/**
 * The MCP SDK and this registry's MCP server, loaded on the first `POST /mcp` rather than at start:
 * the SDK's modules cost about 150 ms of every cold start and a few MB of idle memory, for an
 * endpoint many instances never serve. The first MCP request waits for them once.
 */
let runtime:
  | Promise<{
      createMcpServer: typeof import('../mcp/server.js').createMcpServer;
      Transport: typeof import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js').WebStandardStreamableHTTPServerTransport;
    }>
  | undefined;
const loadRuntime = () => {
  runtime ??= Promise.all([import('../mcp/server.js'), import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js')]).then(
    ([server, transport]) => ({ createMcpServer: server.createMcpServer, Transport: transport.WebStandardStreamableHTTPServerTransport }),
  );
  return runtime;
};

/**
 * `POST /mcp`: the registry's MCP server over Streamable HTTP, stateless. Each request builds a server
 * and a transport, answers with JSON (no SSE stream: every tool answers at once, and nothing is pushed
 * later), and keeps nothing: any instance behind a load balancer can answer any request, the same as
 * for the REST API, with no session affinity. The SDK's own error answers (a JSON-RPC error with a 4xx)
 * are turned into problem+json like every other 4xx of this API, the JSON-RPC error kept in `jsonrpc`.
 */
export const mcpRoutes: FastifyPluginAsyncZod<{ bodyLimit: number }> = async (app, opts) => {
  const publicUrl = app.config.PUBLIC_URL;
  app.post(
    '/mcp',
    {
      bodyLimit: opts.bodyLimit,
      schema: {
        operationId: 'mcp',
        summary: 'MCP server (Streamable HTTP)',
        description:
          'The Model Context Protocol endpoint for AI assistants: read-only tools `resolve_opt_out`, `search_platforms`, ' +
          '`get_platform`, `list_changes`, `list_policy_events`; resources `registry://platforms/{slug}`; the prompt ' +
          '`opt_out_of_ai_training`. Their input and output schemas are this API’s own. Stateless: no `Mcp-Session-Id`, JSON ' +
          'answers (no SSE stream); `GET` and `DELETE` answer 405. Send `Accept: application/json, text/event-stream`. ' +
          'Rate-limited like the other reads; the body is limited to MCP_BODY_LIMIT bytes.',
        tags: ['MCP'],
        security: [],
        body: McpBody,
        response: {
          200: ok(McpResponse),
          202: z.null().describe('A notification or response was accepted; there is no body.'),
          ...problems(400, 406, 413, 415, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === 'string') headers.set(name, value);
        else if (Array.isArray(value)) headers.set(name, value.join(', '));
      }
      const { createMcpServer, Transport } = await loadRuntime();
      const server = createMcpServer(app.services, { publicUrl, onInternalError: (err) => request.log.error({ err }, 'MCP tool failed') });
      const transport = new Transport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      try {
        await server.connect(transport);
        const response = await transport.handleRequest(new Request(`${publicUrl}/mcp`, { method: 'POST', headers }), {
          parsedBody: request.body,
        });
        if (response.status >= 400) {
          const error = await jsonRpcError(response);
          throw new ProblemError(response.status, CODES[response.status] ?? 'bad-request', error?.message ?? response.statusText, {
            extensions: error ? { jsonrpc: error } : undefined,
          });
        }
        reply.code(response.status as 200 | 202).header('cache-control', 'no-store');
        const type = response.headers.get('content-type');
        if (type) reply.type(type);
        // The SDK's JSON text goes out as it is (a string skips fastify's serializer): the schema above documents it.
        const text = await response.text();
        return reply.send((text === '' ? undefined : text) as never);
      } finally {
        await server.close();
      }
    },
  );

  // Stateless: there is no stream to open (GET) and no session to end (DELETE).
  const notAllowed = async () => {
    throw new ProblemError(405, 'method-not-allowed', 'This MCP endpoint is stateless: send JSON-RPC messages with POST.', {
      headers: { allow: 'POST' },
    });
  };
  app.get('/mcp', { schema: { hide: true } }, notAllowed);
  app.delete('/mcp', { schema: { hide: true } }, notAllowed);
};
