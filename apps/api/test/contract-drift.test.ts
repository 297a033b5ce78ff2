import { request as httpRequest } from 'node:http';
import type { ErrorBody } from '@herald/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHerald, type TestHerald } from '../../../test/support/harness';

/**
 * Each mismatch between the OpenAPI document and the answers that schemathesis
 * found (issue 12, point 8), pinned by a plain request so it cannot come back
 * unnoticed between contract runs.
 */
interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
}

let herald: TestHerald;
let document: OpenApiDocument;

const send = (method: string, path: string, init: { json?: unknown; headers?: Record<string, string>; token?: string | null } = {}) =>
  call<ErrorBody & Record<string, unknown>>(herald.url, method, path, {
    ...(init.token === null ? {} : { token: init.token ?? herald.rootToken }),
    json: init.json,
    headers: init.headers,
  });

beforeAll(async () => {
  herald = await startTestHerald();
  document = (await call<OpenApiDocument>(herald.url, 'GET', '/api/v1/openapi.json')).body;
  await send('POST', '/api/v1/app', { json: { name: 'Drift', uid: 'drift' } });
  await send('POST', '/api/v1/event-type', { json: { name: 'drift.happened', description: 'x' } });
});
afterAll(async () => {
  await herald?.close();
});

/** A raw request, for what fetch refuses to send (TRACE) or to see exactly what Node's parser answers. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(path, herald.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('whoami', () => {
  it('documents operator as nullable, as it answers for an API key', async () => {
    const whoami = await send('GET', '/api/v1/auth/whoami');
    expect(whoami.status).toBe(200);
    expect(whoami.body.operator).toBeNull();
    const operator = document.components.schemas.WhoamiOut!.properties!.operator as { anyOf?: unknown[] };
    expect(operator.anyOf).toEqual(expect.arrayContaining([{ type: 'null' }, { $ref: '#/components/schemas/OperatorOut' }]));
  });
});

describe('431 Request Header Fields Too Large', () => {
  it('answers in the one error shape and is documented on every operation', async () => {
    const answer = await raw('GET', '/api/v1/app', { authorization: `Bearer ${herald.rootToken}`, 'x-padding': 'a'.repeat(70_000) });
    expect(answer.status).toBe(431);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body)).toMatchObject({
      code: 'header_too_large',
      detail: expect.stringContaining('64'),
      requestId: expect.any(String),
    });
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(Object.keys(operation.responses), `${method} ${path}`).toContain('431');
      }
    }
  });

  it('lets the longest list filter the document allows reach validation', async () => {
    const longest = encodeURIComponent('\u{1F600}'.repeat(4096));
    const answer = await send('GET', `/api/v1/app/drift/msg?event_types=${longest}`);
    expect(answer.status).toBe(422);
    expect(answer.body.errors?.[0]?.path).toBe('query.event_types');
  });
});

describe('a required body', () => {
  it.each([
    ['PATCH', '/api/v1/app/drift'],
    ['PATCH', '/api/v1/event-type/drift.happened'],
    ['POST', '/api/v1/app/drift/dead-letter/replay'],
  ])('is refused when missing: %s %s', async (method, path) => {
    const answer = await send(method, path);
    expect(answer.status, JSON.stringify(answer.body)).toBe(422);
    expect(answer.body).toMatchObject({ code: 'validation', errors: [{ path: 'body', message: 'is required' }] });
  });

  it('still lets an empty JSON object through where every field is optional', async () => {
    expect((await send('PATCH', '/api/v1/app/drift', { json: {} })).status).toBe(200);
  });

  it('answers 415 with the hint when the body is not JSON', async () => {
    const response = await fetch(`${herald.url}/api/v1/app/drift`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${herald.rootToken}`, 'content-type': 'text/plain' },
      body: '{"name":"plain"}',
    });
    expect(response.status).toBe(415);
    const body = (await response.json()) as ErrorBody;
    expect(body).toMatchObject({ code: 'unsupported_media_type', detail: expect.stringContaining('send content-type: application/json') });
    expect(document.paths['/api/v1/app/{app_id}']!.patch!.responses['415']).toMatchObject({
      description: expect.stringContaining('send content-type: application/json'),
    });
  });
});

describe('list filters follow their documented pattern', () => {
  it.each([
    ['/api/v1/app/drift/msg', 'event_types', 'a b'],
    ['/api/v1/app/drift/msg', 'event_types', 'ok,no!'],
    ['/api/v1/app/drift/msg', 'channel', 'a b'],
    ['/api/v1/app/drift/dead-letter', 'event_types', 'x<y'],
  ])('%s refuses %s=%s naming the field', async (path, name, value) => {
    const answer = await send('GET', `${path}?${name}=${encodeURIComponent(value)}`);
    expect(answer.status).toBe(422);
    expect(answer.body.errors?.[0]?.path).toBe(`query.${name}`);
  });

  it('accepts comma-separated names, as the svix clients send them', async () => {
    expect((await send('GET', '/api/v1/app/drift/msg?event_types=a.b,c-d,e_f&channel=ch.1')).status).toBe(200);
  });

  it('declares the pattern in the document', () => {
    const list = document.paths['/api/v1/app/{app_id}/msg']!.get as unknown as {
      parameters: { name: string; schema: { pattern?: string } }[];
    };
    for (const name of ['event_types', 'channel']) {
      expect(list.parameters.find((p) => p.name === name)?.schema.pattern, name).toEqual(expect.any(String));
    }
  });
});

describe('undeclared methods', () => {
  it.each([
    ['TRACE', '/api/v1/app'],
    ['TRACE', '/api/v1/health'],
    ['PUT', '/api/v1/health'],
    ['DELETE', '/api/v1/auth/whoami'],
  ])('%s %s answers 405 with Allow', async (method, path) => {
    const answer = await raw(method, path, { authorization: `Bearer ${herald.rootToken}` });
    expect(answer.status).toBe(405);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'method_not_allowed' });
    expect(String(answer.headers.allow)).toMatch(/\bGET\b/);
  });

  it('still answers 404 for a path no operation has', async () => {
    expect((await raw('TRACE', '/api/v1/nothing-here', { authorization: `Bearer ${herald.rootToken}` })).status).toBe(404);
  });
});

describe('expire-all', () => {
  it('ends the app-portal tokens and leaves app keys issued through /api/v1/api-key working', async () => {
    const app = (await send('POST', '/api/v1/app', { json: { name: 'Expiring', uid: 'expiring' } })).body as unknown as { id: string };
    const portal = (await send('POST', '/api/v1/auth/app-portal-access/expiring', { json: {} })).body as unknown as { token: string };
    const key = (await send('POST', '/api/v1/api-key', { json: { name: 'integration', scope: 'app', appId: app.id } })).body as unknown as {
      token: string;
    };
    expect((await send('GET', '/api/v1/app/expiring', { token: portal.token })).status).toBe(200);
    expect((await send('GET', '/api/v1/app/expiring', { token: key.token })).status).toBe(200);

    expect((await send('POST', '/api/v1/auth/app/expiring/expire-all', { json: {} })).status).toBe(204);
    // Each API process trusts a credential lookup for up to a second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await send('GET', '/api/v1/app/expiring', { token: portal.token })).status).toBe(401);
    expect((await send('GET', '/api/v1/app/expiring', { token: key.token })).status).toBe(200);
  });
});

describe('message deliverAt', () => {
  it('refuses a time JavaScript cannot read back from PostgreSQL, instead of a 500 on every later list', async () => {
    const answer = await send('POST', '/api/v1/app/drift/msg', {
      json: { eventType: 'drift.happened', payload: {}, deliverAt: '0000-01-01T00:00:00Z' },
    });
    expect(answer.status).toBe(422);
    expect(answer.body.errors?.[0]?.path).toBe('body.deliverAt');
    expect((await send('GET', '/api/v1/app/drift/msg')).status).toBe(200);
  });
});
