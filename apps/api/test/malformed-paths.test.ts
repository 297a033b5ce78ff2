import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHerald, type TestHerald } from '../../../test/support/harness';

/**
 * Every route of the OpenAPI document, with each path parameter and a cursor
 * replaced by text a router, a decoder or PostgreSQL tends to choke on: the
 * answer is a 4xx in the one error shape, never a 5xx.
 */
let herald: TestHerald;

beforeAll(async () => {
  herald = await startTestHerald();
});
afterAll(async () => {
  await herald?.close();
});

/** Already percent-encoded, as they travel in a URL. */
const ODD_SEGMENTS = [
  '%00', // NUL: PostgreSQL text cannot hold it
  'a%00b',
  '%ED%A0%80', // a lone surrogate in UTF-8: not valid UTF-8
  '%FF%FE', // not UTF-8 at all
  '%25', // a literal percent sign
  'x'.repeat(5000),
  '%E2%80%AE', // right-to-left override
  '..%2F..%2Fetc',
];

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
}

describe('odd text in paths and cursors', () => {
  it('answers every route with a 4xx in the error shape, never a 5xx', async () => {
    const document = (await (await fetch(`${herald.url}/api/v1/openapi.json`)).json()) as OpenApiDocument;
    const templates = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map((method) => ({ path, method: method.toUpperCase() })),
    );
    expect(templates.length).toBeGreaterThan(40);

    const failures: string[] = [];
    for (const { path, method } of templates) {
      const withParams = path.includes('{');
      for (const odd of ODD_SEGMENTS) {
        // Path parameters when the route has some; otherwise the list cursor.
        const url = withParams ? path.replace(/\{[^}]+\}/g, odd) : `${path}?iterator=${odd}&limit=10`;
        const response = await fetch(`${herald.url}${url}`, {
          method,
          // No "Accept: text/event-stream": a stream route must answer, not stay open.
          headers: { authorization: `Bearer ${herald.rootToken}`, 'content-type': 'application/json' },
          body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
        });
        const text = await response.text();
        if (response.status >= 500) failures.push(`${method} ${url.slice(0, 120)} → ${response.status} ${text.slice(0, 120)}`);
        else if (response.status >= 400 && !/"code":"[a-z_]+"/.test(text)) failures.push(`${method} ${url.slice(0, 120)} → no error shape`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('refuses a NUL in the URL with 400 before any lookup', async () => {
    for (const path of ['/api/v1/app/%00', '/api/v1/operator/a%00b', '/api/v1/app?iterator=%00', '/api/v1/event-type/x%00']) {
      const response = await fetch(`${herald.url}${path}`, { headers: { authorization: `Bearer ${herald.rootToken}` } });
      expect(response.status, path).toBe(400);
      expect(((await response.json()) as { detail: string }).detail).toMatch(/NUL/);
    }
  });
});
