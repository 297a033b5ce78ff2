import { type ErrorBody, type ErrorCode, newApiToken } from '@herald/core';
import { issueApiKey, schema } from '@herald/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHerald, type TestHerald } from '../../../test/support/harness';

let herald: TestHerald;

beforeAll(async () => {
  herald = await startTestHerald();
});
afterAll(async () => {
  await herald?.close();
});

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** Raw fetch: the stack-trace checks must see the bytes as sent, not a parsed body. */
async function send(
  path: string,
  init: {
    method?: string;
    token?: string;
    authorization?: string;
    json?: unknown;
    body?: string | ReadableStream<Uint8Array>;
    headers?: Record<string, string>;
  } = {},
  baseUrl = herald.url,
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.authorization !== undefined) headers.authorization = init.authorization;
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

// Source locations as a stack or an error message would print them.
const FILE_PATH = /(?:file:\/\/|node_modules|[A-Za-z]:\\|(?:\/[\w.@-]+)+\.(?:[cm]?[jt]sx?)\b)/;

/** The one error shape, nothing internal leaking; returns the body for further checks. */
function expectError(response: RawResponse, status: number, code: ErrorCode): ErrorBody {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.text).not.toContain('    at ');
  expect(response.text).not.toMatch(FILE_PATH);
  expect(response.text).not.toContain(process.cwd());

  const body = JSON.parse(response.text) as ErrorBody;
  expect(Object.keys(body).filter((key) => !['code', 'detail', 'requestId', 'errors'].includes(key))).toEqual([]);
  expect(body.code).toBe(code);
  expect(body.detail).toEqual(expect.any(String));
  expect(body.detail.length).toBeGreaterThan(0);
  const requestId = response.headers.get('x-request-id');
  expect(requestId).toBeTruthy();
  expect(body.requestId).toBe(requestId);
  return body;
}

function expectFieldError(body: ErrorBody, path: string) {
  expect(body.errors, JSON.stringify(body)).toEqual(
    expect.arrayContaining([expect.objectContaining({ path, message: expect.any(String) })]),
  );
}

describe('unknown routes', () => {
  it('answers 404 not_found under /api/v1', async () => {
    const body = expectError(await send('/api/v1/no-such-thing', { token: herald.rootToken }), 404, 'not_found');
    expect(body.detail).toContain('/api/v1/no-such-thing');
  });

  it('answers 405 method_not_allowed with Allow for a method a known path does not serve', async () => {
    const response = await send('/api/v1/app', { method: 'DELETE', token: herald.rootToken });
    expectError(response, 405, 'method_not_allowed');
    expect(response.headers.get('allow')).toBe('GET, HEAD, POST');
  });

  it('answers 404 not_found under /api outside v1 and outside /api altogether', async () => {
    expectError(await send('/api/v2/app', { token: herald.rootToken }), 404, 'not_found');
    expectError(await send('/definitely/not/here'), 404, 'not_found');
  });

  it('echoes a well-formed incoming x-request-id and replaces a malformed one', async () => {
    const echoed = expectError(await send('/nowhere', { headers: { 'x-request-id': 'client-chosen-0001' } }), 404, 'not_found');
    expect(echoed.requestId).toBe('client-chosen-0001');

    const replaced = expectError(await send('/nowhere', { headers: { 'x-request-id': 'bad id with spaces' } }), 404, 'not_found');
    expect(replaced.requestId).not.toBe('bad id with spaces');
  });

  it('gives each request its own id', async () => {
    const a = expectError(await send('/nowhere'), 404, 'not_found');
    const b = expectError(await send('/nowhere'), 404, 'not_found');
    expect(a.requestId).not.toBe(b.requestId);
  });
});

describe('request bodies', () => {
  it('answers 400 invalid_json for a malformed JSON body', async () => {
    const response = await send('/api/v1/app', {
      method: 'POST',
      token: herald.rootToken,
      headers: { 'content-type': 'application/json' },
      body: '{"name": "unterminated',
    });
    expectError(response, 400, 'invalid_json');
  });
});

describe('authentication', () => {
  it('answers 401 unauthorized without an Authorization header', async () => {
    expectError(await send('/api/v1/app'), 401, 'unauthorized');
  });

  it.each([
    ['Basic x', 'Basic x'],
    ['Bearer alone', 'Bearer'],
    ['Bearer with a blank token', 'Bearer    '],
    ['a too-short token', 'Bearer abc'],
  ])('answers 401 unauthorized for a malformed header: %s', async (_name, authorization) => {
    expectError(await send('/api/v1/app', { authorization }), 401, 'unauthorized');
  });

  it('answers 401 unauthorized for a well-formed but unknown key', async () => {
    expectError(await send('/api/v1/app', { token: newApiToken() }), 401, 'unauthorized');
  });

  it.each([
    ['a well-formed key no one issued', () => newApiToken()],
    ['a short wrong token', () => 'wrong'],
    ['a token with characters no key has', () => 'hk_not*a*real*key*at*all'],
  ])('says a wrong bearer token is unknown, not malformed: %s', async (_name, token) => {
    const { detail } = expectError(await send('/api/v1/app', { authorization: `Bearer ${token()}` }), 401, 'unauthorized');
    expect(detail).toMatch(/^unknown API key/);
    expect(detail).not.toMatch(/malformed/);
  });

  it('stops accepting a revoked key within about a second', async () => {
    const { key, token } = await issueApiKey(herald.database.db, { orgId: herald.orgId, scope: 'org', name: 'to be revoked' });
    // A first success also puts the key in the authenticator's cache, the case revocation must outlive.
    expect((await send('/api/v1/app', { token })).status).toBe(200);

    await herald.database.db.update(schema.apiKeys).set({ revokedAt: new Date() }).where(eq(schema.apiKeys.id, key.id));
    const revokedAt = Date.now();

    let response = await send('/api/v1/app', { token });
    while (response.status === 200 && Date.now() - revokedAt < 2_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      response = await send('/api/v1/app', { token });
    }
    const elapsed = Date.now() - revokedAt;
    expectError(response, 401, 'unauthorized');
    expect(elapsed).toBeLessThanOrEqual(1_500);
  });
});

describe('validation', () => {
  const create = (json: unknown) => send('/api/v1/app', { method: 'POST', token: herald.rootToken, json });

  it.each([
    ['an empty object', {}, 'body.name'],
    ['a number for name', { name: 5 }, 'body.name'],
    ['a blank name', { name: '   ' }, 'body.name'],
    ['a uid with forbidden characters', { name: 'x', uid: 'bad uid!' }, 'body.uid'],
    ['a negative rateLimit', { name: 'x', rateLimit: -1 }, 'body.rateLimit'],
    ['a non-string metadata value', { name: 'x', metadata: { owner: 7 } }, 'body.metadata.owner'],
  ])('answers 422 validation naming the field for %s', async (_name, json, path) => {
    const body = expectError(await create(json), 422, 'validation');
    expectFieldError(body, path);
    expect(body.detail).toContain(path);
  });

  it('answers 422 validation naming an unknown extra field', async () => {
    const body = expectError(await create({ name: 'x', colour: 'blue' }), 422, 'validation');
    expectFieldError(body, 'body.colour');
  });

  it.each(['0', 'abc', '251', '1.5'])('answers 422 validation naming query.limit for limit=%s', async (limit) => {
    const body = expectError(await send(`/api/v1/app?limit=${limit}`, { token: herald.rootToken }), 422, 'validation');
    expectFieldError(body, 'query.limit');
  });

  it('answers 422 validation naming query.order for an unknown order', async () => {
    const body = expectError(await send('/api/v1/app?order=sideways', { token: herald.rootToken }), 422, 'validation');
    expectFieldError(body, 'query.order');
  });
});

describe('body size limit', () => {
  let small: TestHerald;

  beforeAll(async () => {
    small = await startTestHerald({ config: { HERALD_MAX_BODY_BYTES: '2048' } });
  });
  afterAll(async () => {
    await small?.close();
  });

  const bigBody = () => JSON.stringify({ name: 'big', metadata: { padding: 'x'.repeat(4000) } });

  it('accepts a body under the limit', async () => {
    const response = await send('/api/v1/app', { method: 'POST', token: small.rootToken, json: { name: 'small enough' } }, small.url);
    expect(response.status, response.text).toBe(201);
  });

  it('answers 413 payload_too_large for a ~4 KiB body', async () => {
    const response = await send(
      '/api/v1/app',
      { method: 'POST', token: small.rootToken, headers: { 'content-type': 'application/json' }, body: bigBody() },
      small.url,
    );
    const body = expectError(response, 413, 'payload_too_large');
    expect(body.detail).toContain('2048');
  });

  it('answers 413 payload_too_large for a streamed body that announces no length', async () => {
    const bytes = new TextEncoder().encode(bigBody());
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 512) controller.enqueue(bytes.slice(i, i + 512));
        controller.close();
      },
    });
    const response = await send(
      '/api/v1/app',
      { method: 'POST', token: small.rootToken, headers: { 'content-type': 'application/json' }, body: stream },
      small.url,
    );
    expectError(response, 413, 'payload_too_large');
  });
});
