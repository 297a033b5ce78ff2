import { newId } from '@herald/core';
import { createOperator, createOperatorSession, createOrganization, issueApiKey, schema } from '@herald/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHerald, type TestHerald } from '../../../test/support/harness';

/**
 * One set of security checks, run against every authenticated route the API
 * documents in its OpenAPI document, so a new route is covered the day it is
 * added: no key, malformed key, revoked key, unknown or expired session,
 * another organization's key and operator session, and an app-scoped key of
 * another application. None may see or touch the fixtures of organization A.
 */
let herald: TestHerald;
const fixtures = {
  app: '',
  appUid: 'sec-app',
  endpoint: '',
  message: '',
  attempt: '',
  eventType: 'sec.secret-type',
  keyId: '',
  secret: '',
  operator: '',
  operatorEmail: 'sec-operator@example.com',
};
const keys = { revoked: '', otherOrg: '', otherOrgSession: '', expiredSession: '', otherApp: '', ownApp: '' };
let routes: { method: string; template: string }[] = [];

/** Valid bodies, so that validation never answers before the tenancy check does. */
const BODIES: Record<string, unknown> = {
  'POST /api/v1/app': { name: 'x' },
  'PUT /api/v1/app/{app_id}': { name: 'x' },
  'PATCH /api/v1/app/{app_id}': { name: 'x' },
  'POST /api/v1/app/{app_id}/msg': { eventType: 'a.b', payload: {} },
  'POST /api/v1/app/{app_id}/endpoint': { url: 'https://x.test/hook' },
  'PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}': { url: 'https://x.test/hook' },
  'PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}': { description: 'x' },
  'PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers': { headers: { 'x-a': 'b' } },
  'PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers': { headers: { 'x-a': 'b' } },
  'POST /api/v1/event-type': { name: 'sec.other', description: 'd' },
  'PUT /api/v1/event-type/{event_type_name}': { description: 'd' },
  'PATCH /api/v1/event-type/{event_type_name}': { description: 'd' },
  'POST /api/v1/api-key': { name: 'k', scope: 'org' },
  'POST /api/v1/organization': { name: 'o' },
  'POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/recover': { since: new Date(Date.now() - 3600_000).toISOString() },
  'POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/replay-missing': { since: new Date(Date.now() - 3600_000).toISOString() },
  'POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example': { eventType: 'a.b' },
  'POST /api/v1/operator': { email: 'sec-new@example.com', password: 'long enough password', role: 'admin' },
};

/** Organization-wide routes an app-scoped key may still read (or, for sign-out, call harmlessly). */
const APP_KEY_MAY_READ = new Set([
  'GET /api/v1/event-type',
  'GET /api/v1/event-type/{event_type_name}',
  'GET /api/v1/auth/whoami',
  'POST /api/v1/auth/logout',
]);

const PUBLIC = new Set(['/api/v1/health', '/api/v1/health/ping', '/api/v1/openapi.json', '/api/v1/auth/login']);

function fill(template: string): string {
  return template
    .replace('{app_id}', fixtures.app)
    .replace('{endpoint_id}', fixtures.endpoint)
    .replace('{msg_id}', fixtures.message)
    .replace('{attempt_id}', fixtures.attempt)
    .replace('{event_type_name}', fixtures.eventType)
    .replace('{key_id}', fixtures.keyId)
    .replace('{operator_id}', fixtures.operator);
}

const late = (route: { method: string; template: string }) =>
  route.template === '/api/v1/auth/logout' ? 2 : route.method === 'PUT' ? 1 : 0;

const request = (token: string | undefined, route: { method: string; template: string }, headers: Record<string, string> = {}) => {
  const body = BODIES[`${route.method} ${route.template}`];
  const hasBody = route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH';
  return call(herald.url, route.method, fill(route.template), { token, json: hasBody ? (body ?? {}) : undefined, headers });
};

/** Nothing of organization A may appear in an answer to anyone else. */
function expectNoLeak(route: { method: string; template: string }, body: unknown) {
  const text = JSON.stringify(body);
  for (const secret of [
    fixtures.app,
    fixtures.appUid,
    fixtures.endpoint,
    fixtures.message,
    fixtures.attempt,
    fixtures.secret,
    fixtures.eventType,
    fixtures.operator,
    fixtures.operatorEmail,
  ]) {
    expect(text.includes(secret), `${route.method} ${route.template} leaked ${secret}`).toBe(false);
  }
}

beforeAll(async () => {
  herald = await startTestHerald();
  const root = herald.rootToken;
  const app = await call<{ id: string }>(herald.url, 'POST', '/api/v1/app', {
    token: root,
    json: { name: 'Secure', uid: fixtures.appUid },
  });
  fixtures.app = app.body.id;
  const endpoint = await call<{ id: string }>(herald.url, 'POST', `/api/v1/app/${fixtures.app}/endpoint`, {
    token: root,
    json: { url: 'https://a.test/hook' },
  });
  fixtures.endpoint = endpoint.body.id;
  const secret = await call<{ key: string }>(herald.url, 'GET', `/api/v1/app/${fixtures.app}/endpoint/${fixtures.endpoint}/secret`, {
    token: root,
  });
  fixtures.secret = secret.body.key;
  await call(herald.url, 'POST', '/api/v1/event-type', { token: root, json: { name: fixtures.eventType, description: 'private' } });
  const message = await call<{ id: string }>(herald.url, 'POST', `/api/v1/app/${fixtures.app}/msg`, {
    token: root,
    json: { eventType: 'a.b', payload: { private: true } },
  });
  fixtures.message = message.body.id;
  const delivery = newId('delivery');
  const db = herald.database.db;
  await db
    .insert(schema.deliveries)
    .values({ id: delivery, orgId: herald.orgId, appId: fixtures.app, messageId: fixtures.message, endpointId: fixtures.endpoint });
  fixtures.attempt = newId('attempt');
  await db.insert(schema.attempts).values({
    id: fixtures.attempt,
    orgId: herald.orgId,
    appId: fixtures.app,
    messageId: fixtures.message,
    endpointId: fixtures.endpoint,
    deliveryId: delivery,
    status: 'succeeded',
  });

  const revoked = await issueApiKey(db, { orgId: herald.orgId, scope: 'org', name: 'revoked' });
  await db.update(schema.apiKeys).set({ revokedAt: new Date() }).where(eq(schema.apiKeys.id, revoked.key.id));
  keys.revoked = revoked.token;
  fixtures.keyId = revoked.key.id;
  const other = await createOrganization(db, { name: 'Intruder' });
  keys.otherOrg = (await issueApiKey(db, { orgId: other.id, scope: 'org', name: 'intruder' })).token;
  const operator = await createOperator(db, {
    orgId: herald.orgId,
    email: fixtures.operatorEmail,
    password: 'sec operator password',
    role: 'admin',
  });
  fixtures.operator = operator!.id;
  const expired = await createOperatorSession(db, operator!, 60);
  await db
    .update(schema.operatorSessions)
    .set({ expiresAt: new Date(Date.now() - 1000) })
    .where(eq(schema.operatorSessions.id, expired.session.id));
  keys.expiredSession = expired.token;
  // An organization of its own: the key's run above may rightly create rows (PUT upserts) in `other`.
  const third = await createOrganization(db, { name: 'Intruder by session' });
  const intruder = await createOperator(db, {
    orgId: third.id,
    email: 'sec-intruder@example.com',
    password: 'intruder password',
    role: 'admin',
  });
  keys.otherOrgSession = (await createOperatorSession(db, intruder!, 3600)).token;
  const sibling = await call<{ id: string }>(herald.url, 'POST', '/api/v1/app', { token: root, json: { name: 'Sibling' } });
  keys.otherApp = (await issueApiKey(db, { orgId: herald.orgId, scope: 'app', appId: sibling.body.id, name: 'sibling' })).token;

  const doc = await call<{ paths: Record<string, Record<string, unknown>> }>(herald.url, 'GET', '/api/v1/openapi.json');
  routes = Object.entries(doc.body.paths)
    .filter(([path]) => !PUBLIC.has(path))
    .flatMap(([template, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), template })))
    // Upserts last: a PUT may rightly create the same name in the caller's own organization,
    // after which routes on that name would (rightly) find the caller's own row. Sign-out after
    // them: it ends the session the loop is using.
    .sort((a, b) => late(a) - late(b));
});
afterAll(async () => {
  await herald?.close();
});

describe('every authenticated route', () => {
  it('covers the routes the API documents', () => {
    expect(routes.length).toBeGreaterThan(30);
    const listed = routes.map((r) => `${r.method} ${r.template}`);
    expect(listed).toEqual(
      expect.arrayContaining([
        'GET /api/v1/auth/whoami',
        'POST /api/v1/auth/logout',
        'DELETE /api/v1/operator/{operator_id}',
        'POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example',
        'GET /api/v1/app/{app_id}/replay',
      ]),
    );
    expect(listed).not.toContain('POST /api/v1/auth/login');
  });

  it.each([
    ['no key', undefined, {}],
    ['a malformed Authorization header', undefined, { authorization: 'Basic abc' }],
    ['an unknown key', 'hk_not-a-real-key-0000000000000000000000000000', {}],
    ['an unknown session token', `hsess_${'0'.repeat(43)}`, {}],
  ] as const)('answers 401 to %s', async (_, token, headers) => {
    for (const route of routes) {
      const response = await request(token, route, headers);
      expect(response.status, `${route.method} ${route.template}`).toBe(401);
      expect(response.body).toMatchObject({ code: 'unauthorized' });
    }
  });

  it('answers 401 to a revoked key and an expired session', async () => {
    for (const route of routes) {
      expect((await request(keys.revoked, route)).status, `${route.method} ${route.template}`).toBe(401);
      const expired = await request(keys.expiredSession, route);
      expect(expired.status, `${route.method} ${route.template}`).toBe(401);
      expect(expired.body).toMatchObject({ code: 'unauthorized', detail: 'session expired, sign in again' });
    }
  });

  it.each([
    ['key', 'otherOrg'],
    ['operator session', 'otherOrgSession'],
  ] as const)("never shows or changes another organization's resources, with its %s", async (_, credential) => {
    for (const route of routes) {
      const response = await request(keys[credential], route);
      const label = `${route.method} ${route.template} -> ${response.status} ${JSON.stringify(response.body)}`;
      if (
        /\{(app_id|endpoint_id|msg_id|attempt_id|event_type_name|key_id|operator_id)\}/.test(route.template) &&
        !route.template.includes('/auth/app-portal-access/')
      ) {
        // Upserts (PUT) may create in the caller's own organization; a create never touches A's row.
        if (route.method === 'PUT' && response.status === 201) continue;
        expect(response.status, label).toBe(404);
      } else {
        expect(response.status, label).toBeLessThan(500);
      }
      expectNoLeak(route, response.body);
    }
  });

  it('keeps an app-scoped key inside its own application', async () => {
    for (const route of routes) {
      const response = await request(keys.otherApp, route);
      const label = `${route.method} ${route.template} -> ${response.status} ${JSON.stringify(response.body)}`;
      if (route.template.includes('{app_id}') && !route.template.startsWith('/api/v1/auth/')) {
        expect(response.status, label).toBe(404);
      } else if (APP_KEY_MAY_READ.has(`${route.method} ${route.template}`)) {
        expect(response.status, label).toBeLessThan(500);
      } else {
        expect(response.status, label).toBe(403);
      }
      if (!APP_KEY_MAY_READ.has(`${route.method} ${route.template}`)) expectNoLeak(route, response.body);
    }
  });

  it('left the fixtures untouched', async () => {
    const app = await call<{ name: string }>(herald.url, 'GET', `/api/v1/app/${fixtures.app}`, { token: herald.rootToken });
    expect(app.body.name).toBe('Secure');
    const endpoint = await call<{ description: string }>(herald.url, 'GET', `/api/v1/app/${fixtures.app}/endpoint/${fixtures.endpoint}`, {
      token: herald.rootToken,
    });
    expect(endpoint.status).toBe(200);
    expect(endpoint.body.description).toBe('');
    const operators = await call<{ data: { id: string }[] }>(herald.url, 'GET', '/api/v1/operator?limit=250', { token: herald.rootToken });
    expect(operators.body.data.map((o) => o.id)).toContain(fixtures.operator);
  });
});
