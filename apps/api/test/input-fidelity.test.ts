import { newEndpointSecret } from '@herald/core';
import type { startWorker } from '@herald/worker';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHerald, startTestWorker, type TestHerald } from '../../../test/support/harness';
import { type Receiver, startReceiver } from '../../../test/support/receiver';

/**
 * Input PostgreSQL cannot store, and input that would be stored changed, is
 * refused at the edge in the one error shape naming the field; what is
 * accepted reaches the receiver with every key, string and number as sent,
 * under a signature over exactly those bytes.
 */
let herald: TestHerald;
let receiver: Receiver;
let worker: ReturnType<typeof startWorker>;
const secret = newEndpointSecret();

beforeAll(async () => {
  herald = await startTestHerald({ queue: 'redis', config: { HERALD_OUTBOUND_ALLOWLIST: '127.0.0.0/8' } });
  receiver = await startReceiver();
  await call(herald.url, 'POST', '/api/v1/app', { token: herald.rootToken, json: { name: 'Fidelity', uid: 'fid' } });
  const endpoint = await call(herald.url, 'POST', '/api/v1/app/fid/endpoint', {
    token: herald.rootToken,
    json: { url: `${receiver.url}/hook`, secret },
  });
  expect(endpoint.status).toBe(201);
  worker = startTestWorker(herald);
});
afterAll(async () => {
  await worker?.close();
  await receiver?.close();
  await herald?.close();
});

const raw = (method: string, path: string, body: string | Uint8Array) =>
  fetch(`${herald.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${herald.rootToken}`, 'content-type': 'application/json' },
    body,
  }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }));

describe('input PostgreSQL cannot store', () => {
  it.each([
    ['POST', '/api/v1/app/fid/msg', '{"eventType":"a.b","payload":{"s":"\\ud800"}}', 'body.payload.s'],
    ['POST', '/api/v1/app/fid/msg', '{"eventType":"a.b","payload":{"\\udfff":1}}', 'body.payload.(a key)'],
    ['POST', '/api/v1/app/fid/msg', '{"eventType":"a.b","payload":{"s":"a\\u0000b"}}', 'body.payload.s'],
    ['POST', '/api/v1/app', '{"name":"x\\ud800"}', 'body.name'],
    ['POST', '/api/v1/app', '{"name":"ok","metadata":{"k":"\\udc00"}}', 'body.metadata.k'],
    ['POST', '/api/v1/event-type', '{"name":"sur.rogate","description":"d","schemas":{"1":{"title":"\\ud800"}}}', 'body.schemas.1.title'],
    [
      'POST',
      '/api/v1/app/fid/endpoint',
      '{"url":"https://example.com/h","filter":{"data.kind":{"$eq":"\\ud800"}}}',
      'body.filter.data.kind.$eq',
    ],
  ])('%s %s with %s answers 400 naming %s, and stores nothing', async (method, path, body, field) => {
    const before = await call<{ data: unknown[] }>(herald.url, 'GET', '/api/v1/app?limit=250', { token: herald.rootToken });
    const response = await raw(method, path, body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'bad_request', errors: [{ path: field }] });
    expect(String(response.body.detail)).toContain(field);
    const after = await call<{ data: unknown[] }>(herald.url, 'GET', '/api/v1/app?limit=250', { token: herald.rootToken });
    expect(after.body.data.length).toBe(before.body.data.length);
  });

  it('answers 400 to a body that is not UTF-8 instead of storing U+FFFD', async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"name":"caf'), 0xe9, ...new TextEncoder().encode('"}')]);
    const response = await raw('POST', '/api/v1/app', bytes);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'bad_request', errors: [{ path: 'body', message: 'is not valid UTF-8' }] });
  });
});

describe('payloads that would be stored changed', () => {
  it.each([
    ['{"n":1e400}', 'body.payload.n', 'out of range'],
    ['{"n":123456789012345678901234567890}', 'body.payload.n', 'more precision'],
    ['{"id":9007199254740993}', 'body.payload.id', 'more precision'],
    ['{"a":1,"a":2}', 'body.payload.a', 'more than once'],
  ])('payload %s answers 422 naming %s', async (payload, field, words) => {
    const response = await raw('POST', '/api/v1/app/fid/msg', `{"eventType":"a.b","payload":${payload}}`);
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ code: 'validation', errors: [{ path: field }] });
    expect(String(response.body.detail)).toContain(words);
  });

  it('delivers every key, string and number as published, __proto__ included, signed over those bytes', async () => {
    const payload =
      '{"__proto__":{"admin":true},"constructor":"c","big":9007199254740992,"tiny":5e-324,"price":19.99,"emoji":"\\ud83d\\ude00","nested":{"__proto__":[1]}}';
    const published = await raw('POST', '/api/v1/app/fid/msg', `{"eventType":"order.placed","payload":${payload}}`);
    expect(published.status).toBe(202);
    expect(Object.keys(published.body.payload as object)).toContain('__proto__');
    const [request] = await receiver.waitFor(1, 15_000);
    // The compact form of what was sent: the same members, the same values.
    expect(request!.body).toBe(JSON.stringify(JSON.parse(payload)));
    expect(request!.body).toContain('"__proto__":{"admin":true}');
    expect(request!.body).toContain('"big":9007199254740992');
    const headers = request!.headers as Record<string, string>;
    expect(() => new Webhook(secret).verify(request!.body, headers)).not.toThrow();
    const stored = await call<{ payload: unknown }>(herald.url, 'GET', `/api/v1/app/fid/msg/${published.body.id}`, {
      token: herald.rootToken,
    });
    expect(JSON.stringify(stored.body.payload)).toBe(request!.body);
  });
});
