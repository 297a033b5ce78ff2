import type { ApplicationOut, ErrorBody, ListPage } from '@herald/core';
import { schema } from '@herald/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHerald, type TestHerald } from '../../../test/support/harness';

interface KeyOut {
  id: string;
  orgId: string;
  appId: string | null;
  scope: string;
  name: string;
  hint: string;
  token?: string;
  revokedAt: string | null;
  expiresAt: string | null;
}

let herald: TestHerald;
beforeAll(async () => {
  herald = await startTestHerald();
});
afterAll(async () => {
  await herald?.close();
});

const as = (token: string) => ({
  get: <T>(path: string) => call<T>(herald.url, 'GET', path, { token }),
  post: <T>(path: string, json: unknown = {}) => call<T>(herald.url, 'POST', path, { token, json }),
  put: <T>(path: string, json: unknown) => call<T>(herald.url, 'PUT', path, { token, json }),
  patch: <T>(path: string, json: unknown) => call<T>(herald.url, 'PATCH', path, { token, json }),
  del: <T>(path: string) => call<T>(herald.url, 'DELETE', path, { token }),
});

describe('organizations and API keys', () => {
  it('lets the root key create an organization and issue its first key; that key works only there', async () => {
    const root = as(herald.rootToken);
    const org = await root.post<{ id: string; name: string }>('/api/v1/organization', { name: 'Globex' });
    expect(org.status).toBe(201);
    expect(org.body).toMatchObject({ id: expect.stringMatching(/^org_/), name: 'Globex' });
    const orgs = await root.get<ListPage<{ id: string }>>('/api/v1/organization');
    expect(orgs.body.data.map((o) => o.id)).toContain(org.body.id);

    const issued = await root.post<KeyOut>('/api/v1/api-key', { name: 'globex admin', scope: 'org', orgId: org.body.id });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    expect(issued.body).toMatchObject({ orgId: org.body.id, scope: 'org', appId: null, name: 'globex admin', revokedAt: null });
    expect(issued.body.token).toMatch(/^hk_/);
    expect(issued.body.hint).toBe(`${issued.body.token!.slice(0, 7)}…`);

    const globex = as(issued.body.token!);
    expect((await globex.post('/api/v1/app', { name: 'g-app' })).status).toBe(201);
    const apps = await globex.get<ListPage<ApplicationOut>>('/api/v1/app');
    expect(apps.body.data.map((a) => a.name)).toEqual(['g-app']);
    // An org key cannot create organizations or issue keys elsewhere.
    expect((await globex.post('/api/v1/organization', { name: 'x' })).status).toBe(403);
    expect((await globex.post('/api/v1/api-key', { name: 'x', scope: 'org', orgId: herald.orgId })).status).toBe(404);
  });

  it('lists keys without tokens and revokes one for good', async () => {
    const root = as(herald.rootToken);
    const issued = await root.post<KeyOut>('/api/v1/api-key', { name: 'short-lived', scope: 'org' });
    const list = await root.get<ListPage<KeyOut>>('/api/v1/api-key?limit=250');
    const listed = list.body.data.find((k) => k.id === issued.body.id);
    expect(listed).toMatchObject({ name: 'short-lived', scope: 'org' });
    expect(JSON.stringify(list.body)).not.toContain(issued.body.token!);

    expect((await as(issued.body.token!).get('/api/v1/app')).status).toBe(200);
    expect((await root.del(`/api/v1/api-key/${issued.body.id}`)).status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the auth cache lives one second
    expect((await as(issued.body.token!).get('/api/v1/app')).status).toBe(401);
    const after = await root.get<ListPage<KeyOut>>('/api/v1/api-key?limit=250');
    expect(after.body.data.find((k) => k.id === issued.body.id)?.revokedAt).toEqual(expect.any(String));
  });

  it('revocation reaches every API process within a second', async () => {
    const { startApiServer } = await import('@herald/api');
    const second = await startApiServer({ config: herald.config, db: herald.database.db, queue: herald.queue });
    try {
      const issued = await as(herald.rootToken).post<KeyOut>('/api/v1/api-key', { name: 'two-processes', scope: 'org' });
      // Warm the second process's key cache, then revoke through the first.
      expect((await call(second.url, 'GET', '/api/v1/app', { token: issued.body.token! })).status).toBe(200);
      const revokedAt = Date.now();
      expect((await as(herald.rootToken).del(`/api/v1/api-key/${issued.body.id}`)).status).toBe(204);
      let status = 200;
      while (status === 200 && Date.now() - revokedAt < 3000) {
        status = (await call(second.url, 'GET', '/api/v1/app', { token: issued.body.token! })).status;
        if (status === 200) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(status).toBe(401);
      expect(Date.now() - revokedAt).toBeLessThan(1300);
    } finally {
      await second.close();
    }
  });

  it('issues app-scoped keys limited to one application', async () => {
    const root = as(herald.rootToken);
    const mine = await root.post<ApplicationOut>('/api/v1/app', { name: 'mine', uid: 'mine' });
    await root.post<ApplicationOut>('/api/v1/app', { name: 'theirs', uid: 'theirs' });
    const issued = await root.post<KeyOut>('/api/v1/api-key', { name: 'sub', scope: 'app', appId: 'mine' });
    expect(issued.body).toMatchObject({ scope: 'app', appId: mine.body.id });
    const sub = as(issued.body.token!);
    expect((await sub.get('/api/v1/app/mine')).status).toBe(200);
    expect((await sub.get('/api/v1/app/theirs')).status).toBe(404);
    expect((await sub.get('/api/v1/api-key')).status).toBe(403);
    expect((await sub.post('/api/v1/api-key', { name: 'x', scope: 'org' })).status).toBe(403);
  });

  it.each([
    [{ name: 'x', scope: 'app' }, 'body.appId'],
    [{ name: 'x', scope: 'org', appId: 'mine' }, 'body.appId'],
    [{ name: 'x', scope: 'root' }, 'body.scope'],
    [{ scope: 'org' }, 'body.name'],
  ])('refuses %j naming %s', async (json, path) => {
    const response = await as(herald.rootToken).post<ErrorBody>('/api/v1/api-key', json);
    expect(response.status).toBe(422);
    expect(response.body.errors?.map((e) => e.path)).toContain(path);
  });

  it('will not let an org key revoke the root key', async () => {
    const root = as(herald.rootToken);
    const issued = await root.post<KeyOut>('/api/v1/api-key', { name: 'ops', scope: 'org' });
    const [rootKey] = await herald.database.db.select().from(schema.apiKeys).where(eq(schema.apiKeys.scope, 'root'));
    expect((await as(issued.body.token!).del(`/api/v1/api-key/${rootKey!.id}`)).status).toBe(403);
  });
});

describe('app portal access', () => {
  it('returns a token that sees only its application, and expire-all ends it', async () => {
    const root = as(herald.rootToken);
    await root.post('/api/v1/app', { name: 'portal', uid: 'portal' });
    const access = await root.post<{ token: string; url: string }>('/api/v1/auth/app-portal-access/portal', {});
    expect(access.status).toBe(200);
    expect(access.body.url).toBe(`${herald.url}/#/portal?token=${encodeURIComponent(access.body.token)}`);
    const portal = as(access.body.token);
    expect((await portal.get('/api/v1/app/portal')).status).toBe(200);
    expect((await portal.get('/api/v1/app/mine')).status).toBe(404);
    expect((await portal.get('/api/v1/app')).status).toBe(403);

    expect((await root.post('/api/v1/auth/app/portal/expire-all', {})).status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await portal.get('/api/v1/app/portal')).status).toBe(401);
  });

  it('creates the application when the body describes it', async () => {
    const access = await as(herald.rootToken).post<{ token: string }>('/api/v1/auth/app-portal-access/new-portal-app', {
      application: { name: 'Made by portal' },
    });
    expect(access.status).toBe(200);
    expect((await as(access.body.token).get<ApplicationOut>('/api/v1/app/new-portal-app')).body.name).toBe('Made by portal');
  });
});

describe('application update, patch, delete', () => {
  it('PUT replaces, or creates under a new uid', async () => {
    const root = as(herald.rootToken);
    const created = await root.put<ApplicationOut>('/api/v1/app/put-me', { name: 'Put' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ uid: 'put-me', name: 'Put' });
    const replaced = await root.put<ApplicationOut>('/api/v1/app/put-me', { name: 'Put 2', uid: 'put-me', metadata: { a: 'b' } });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id: created.body.id, name: 'Put 2', metadata: { a: 'b' } });
    expect(Date.parse(replaced.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.body.updatedAt));
  });

  it('PATCH changes only what is given, and null clears', async () => {
    const root = as(herald.rootToken);
    const app = await root.post<ApplicationOut>('/api/v1/app', { name: 'Patch', uid: 'patch-me', throttleRate: 10, metadata: { k: 'v' } });
    const patched = await root.patch<ApplicationOut>(`/api/v1/app/${app.body.id}`, { name: 'Patched', throttleRate: null });
    expect(patched.body).toMatchObject({ name: 'Patched', uid: 'patch-me', throttleRate: null, metadata: { k: 'v' } });
    await root.post('/api/v1/app', { name: 'Other', uid: 'taken-uid' });
    const clash = await root.patch<ErrorBody>(`/api/v1/app/${app.body.id}`, { uid: 'taken-uid' });
    expect(clash.status).toBe(409);
  });

  it('DELETE removes the application and answers 404 afterwards', async () => {
    const root = as(herald.rootToken);
    const app = await root.post<ApplicationOut>('/api/v1/app', { name: 'Doomed' });
    await root.post(`/api/v1/app/${app.body.id}/msg`, { eventType: 'a.b', payload: {} });
    const deleted = await root.del(`/api/v1/app/${app.body.id}`);
    expect(deleted.status).toBe(204);
    expect((await root.get(`/api/v1/app/${app.body.id}`)).status).toBe(404);
    const rows = await herald.database.db.select().from(schema.messages).where(eq(schema.messages.appId, app.body.id));
    expect(rows).toHaveLength(0);
  });
});
