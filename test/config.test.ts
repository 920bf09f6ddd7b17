import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('config', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      DATABASE_PATH: './data/registry.sqlite',
      RATE_LIMIT_MAX: 600,
      TRUST_PROXY: false,
      PUBLIC_URL: 'http://localhost:3000',
      HEADERS_TIMEOUT_MS: 10_000,
      REQUEST_TIMEOUT_MS: 15_000,
      KEEP_ALIVE_TIMEOUT_MS: 72_000,
      CONNECTION_TIMEOUT_MS: 120_000,
      DOCUMENT_CACHE_MAX_BYTES: 4 * 1_048_576,
      DERIVED_CACHE_MAX_BYTES: 2 * 1_048_576,
      SQLITE_CACHE_MAX_BYTES: 4 * 1_048_576,
      RESPONSE_CACHE_MAX_BYTES: 8 * 1_048_576,
    });
    expect(loadConfig({ PUBLIC_URL: 'https://example.org/registry/' }).PUBLIC_URL).toBe('https://example.org/registry');
  });

  it('fails fast naming the bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadConfig({ RATE_LIMIT_MAX: '-1' })).toThrow(/RATE_LIMIT_MAX/);
    expect(() => loadConfig({ HEADERS_TIMEOUT_MS: '20000', REQUEST_TIMEOUT_MS: '10000' })).toThrow(/HEADERS_TIMEOUT_MS: must not exceed/);
    // 60 s at most, as nginx's client_header_timeout: longer only helps a client that holds sockets open.
    expect(() => loadConfig({ HEADERS_TIMEOUT_MS: '60001', REQUEST_TIMEOUT_MS: '90000' })).toThrow(
      /HEADERS_TIMEOUT_MS: must be at most 60000/,
    );
    expect(loadConfig({ HEADERS_TIMEOUT_MS: '60000', REQUEST_TIMEOUT_MS: '90000' }).HEADERS_TIMEOUT_MS).toBe(60_000);
    expect(() => loadConfig({ PUBLIC_URL: 'ftp://example.org' })).toThrow(/PUBLIC_URL/);
    expect(() => loadConfig({ PUBLIC_URL: 'https://example.org/?a=1' })).toThrow(/PUBLIC_URL/);
    expect(() => loadConfig({ DOCUMENT_CACHE_MAX_BYTES: '-1' })).toThrow(/DOCUMENT_CACHE_MAX_BYTES/);
    expect(() => loadConfig({ DERIVED_CACHE_MAX_BYTES: 'lots' })).toThrow(/DERIVED_CACHE_MAX_BYTES/);
    expect(() => loadConfig({ SQLITE_CACHE_MAX_BYTES: '1024' })).toThrow(/SQLITE_CACHE_MAX_BYTES/);
  });

  it('parses TRUST_PROXY as a boolean, hop count or address list', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1' }).TRUST_PROXY).toBe('10.0.0.1');
  });
});
