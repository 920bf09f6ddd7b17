/**
 * A typed client for the AI-training opt-out registry, built on openapi-fetch with the types that
 * openapi-typescript generates from openapi.yaml (`npm run openapi` regenerates schema.d.ts).
 *
 *   const registry = createRegistryClient('http://127.0.0.1:3000');
 *   const { data, error } = await registry.GET('/v1/platforms/{slug}/opt-out', {
 *     params: { path: { slug: 'linkedin' }, query: { region: 'GB', device: 'android' } },
 *   });
 *
 * Every call resolves to `{ data, error, response }`: `data` is the typed body on 2xx, `error` the
 * RFC 9457 problem otherwise.
 */
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema.js';

export type { components, operations, paths };
export type RegistryClient = Client<paths>;
export type Problem = components['schemas']['Problem'];
export type OptOutAnswer = components['schemas']['OptOutAnswer'];
export type PlatformRecord = components['schemas']['PlatformRecord'];
export type ChangeEntry = components['schemas']['ChangeEntry'];

export interface RegistryClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** An API key (`npm run keys -- create`), needed only by the admin operations under /v1/admin. */
  apiKey?: string;
}

export function createRegistryClient(baseUrl: string, { apiKey, ...options }: RegistryClientOptions = {}): RegistryClient {
  const client = createClient<paths>({ ...options, baseUrl: baseUrl.replace(/\/+$/, '') });
  if (apiKey) {
    // Sent to admin operations only: the public reads need no key, and it should not sit in caches' logs.
    client.use({
      onRequest({ request, schemaPath }) {
        if (schemaPath.startsWith('/v1/admin/')) request.headers.set('authorization', `Bearer ${apiKey}`);
        return request;
      },
    });
  }
  return client;
}
