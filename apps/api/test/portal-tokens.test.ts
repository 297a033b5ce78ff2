import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHerald, type TestHerald } from '../../../test/support/harness';

/**
 * App-portal tokens mean what they say: `readOnly` reads and nothing else (no
 * writes, no signing secrets); a token lives only as long as whoever issued
 * it (an operator's ends when the operator is removed, a key's when the key
 * is revoked); listings show who issued each. An app-scoped credential cannot
 * point an endpoint at a Kafka cluster or Redis of its own.
 */
let herald: TestHerald;
let endpointId = '';
const PASSWORD = 'a long enough password';

const as = (token: string) => ({
  get: <T = Record<string, unknown>>(path: string) => call<T>(herald.url, 'GET', path, { token }),
  send: <T = Record<string, unknown>>(method: string, path: string, json?: unknown) => call<T>(herald.url, method, path, { token, json }),
});
const root = () => as(herald.rootToken);

async function portalToken(issuer: string, body: Record<string, unknown> = {}) {
  const issued = await as(issuer).send<{ token: string }>('POST', '/api/v1/auth/app-portal-access/portal-app', body);
  expect(issued.status, JSON.stringify(issued.body)).toBe(200);
  return issued.body.token;
}

/** The auth cache trusts a lookup for one second; a revocation shows within that. */
async function eventually401(token: string) {
  const deadline = Date.now() + 3000;
  let status = 0;
  while (Date.now() < deadline) {
    status = (await as(token).get('/api/v1/app/portal-app')).status;
    if (status === 401) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(status).toBe(401);
}

beforeAll(async () => {
  herald = await startTestHerald();
  expect((await root().send('POST', '/api/v1/app', { name: 'Portal', uid: 'portal-app' })).status).toBe(201);
  const endpoint = await root().send<{ id: string }>('POST', '/api/v1/app/portal-app/endpoint', { url: 'https://example.com/hook' });
  endpointId = endpoint.body.id;
});
afterAll(async () => {
  await herald?.close();
});

describe('a read-only portal token', () => {
  it('reads the application, its endpoints and messages', async () => {
    const token = await portalToken(herald.rootToken, { readOnly: true });
    expect((await as(token).get('/api/v1/app/portal-app')).status).toBe(200);
    expect((await as(token).get('/api/v1/app/portal-app/endpoint')).status).toBe(200);
    expect((await as(token).get('/api/v1/app/portal-app/msg')).status).toBe(200);
  });

  it.each([
    ['POST', '/api/v1/app/portal-app/endpoint', { url: 'https://example.com/other' }],
    ['POST', '/api/v1/app/portal-app/msg', { eventType: 'a.b', payload: {} }],
    ['PATCH', '/api/v1/app/portal-app/endpoint/{endpoint}', { description: 'changed' }],
    ['POST', '/api/v1/app/portal-app/endpoint/{endpoint}/secret/rotate', {}],
    ['DELETE', '/api/v1/app/portal-app/endpoint/{endpoint}', undefined],
  ])('is refused %s %s with 403', async (method, path, body) => {
    const token = await portalToken(herald.rootToken, { readOnly: true });
    const response = await as(token).send(method, path.replace('{endpoint}', endpointId), body);
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ code: 'forbidden', detail: expect.stringContaining('read-only') });
    expect((await root().get(`/api/v1/app/portal-app/endpoint/${endpointId}`)).status).toBe(200);
  });

  it('cannot read the signing secret, which a full portal token can', async () => {
    const readOnly = await portalToken(herald.rootToken, { readOnly: true });
    const denied = await as(readOnly).get(`/api/v1/app/portal-app/endpoint/${endpointId}/secret`);
    expect(denied.status).toBe(403);
    expect(JSON.stringify(denied.body)).not.toContain('whsec_');
    const full = await portalToken(herald.rootToken);
    const shown = await as(full).get<{ key: string }>(`/api/v1/app/portal-app/endpoint/${endpointId}/secret`);
    expect(shown.status).toBe(200);
    expect(shown.body.key).toMatch(/^whsec_/);
  });
});

describe('a portal token lives as long as its issuer', () => {
  it('ends when the operator who issued it is removed', async () => {
    const member = await root().send<{ id: string }>('POST', '/api/v1/operator', {
      email: 'member@example.com',
      password: PASSWORD,
      role: 'member',
    });
    expect(member.status).toBe(201);
    const session = await call<{ token: string }>(herald.url, 'POST', '/api/v1/auth/login', {
      json: { email: 'member@example.com', password: PASSWORD },
    });
    const token = await portalToken(session.body.token);
    expect((await as(token).get('/api/v1/app/portal-app')).status).toBe(200);

    const keys = await root().get<{ data: { portal: boolean; readOnly: boolean; issuedBy: unknown; appId: string }[] }>(
      '/api/v1/api-key?limit=250',
    );
    expect(keys.body.data).toContainEqual(
      expect.objectContaining({ portal: true, readOnly: false, issuedBy: { kind: 'operator', id: member.body.id } }),
    );

    expect((await root().send('DELETE', `/api/v1/operator/${member.body.id}`)).status).toBe(204);
    await eventually401(token);
  });

  it('ends when the API key that issued it is revoked', async () => {
    const key = await root().send<{ id: string; token: string }>('POST', '/api/v1/api-key', { name: 'issuer', scope: 'org' });
    expect(key.status).toBe(201);
    const token = await portalToken(key.body.token, { readOnly: true });
    expect((await as(token).get('/api/v1/app/portal-app')).status).toBe(200);
    const keys = await root().get<{ data: { portal: boolean; readOnly: boolean; issuedBy: unknown }[] }>('/api/v1/api-key?limit=250');
    expect(keys.body.data).toContainEqual(
      expect.objectContaining({ portal: true, readOnly: true, issuedBy: { kind: 'api_key', id: key.body.id } }),
    );
    expect((await root().send('DELETE', `/api/v1/api-key/${key.body.id}`)).status).toBe(204);
    await eventually401(token);
  });
});

describe('connection settings', () => {
  it.each([
    [{ type: 'kafka', settings: { topic: 'orders', brokers: ['10.0.0.5:9092'] } }, 'body.settings.brokers'],
    [{ type: 'queue', settings: { queue: 'jobs', redisUrl: 'redis://10.0.0.5:6379' } }, 'body.settings.redisUrl'],
  ])('an app-scoped token cannot point an endpoint at its own cluster (%j)', async (body, field) => {
    const token = await portalToken(herald.rootToken);
    const refused = await as(token).send('POST', '/api/v1/app/portal-app/endpoint', body);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'forbidden', errors: [{ path: field }] });
    // The organization may; the worker's outbound policy then checks every address it connects to.
    expect((await root().send('POST', '/api/v1/app/portal-app/endpoint', body)).status).toBe(201);
  });

  it('an app-scoped token may still use Herald’s own cluster and queue store', async () => {
    const token = await portalToken(herald.rootToken);
    const created = await as(token).send('POST', '/api/v1/app/portal-app/endpoint', { type: 'queue', settings: { queue: 'jobs' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  });
});
