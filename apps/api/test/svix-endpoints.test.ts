import { findEndpoint } from '@herald/db';
import { ApiException, type ApplicationOut, type EndpointOut, Ordering, Svix, Webhook } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHerald, type TestHerald } from '../../../test/support/harness';

const EP_ID = /^ep_[0-9A-Za-z]{22}$/;
const SECRET = /^whsec_[A-Za-z0-9+/]{32}$/;
const DAY_MS = 86_400_000;

let herald: TestHerald;
let svix: Svix;
let app: ApplicationOut;

beforeAll(async () => {
  herald = await startTestHerald();
  // An empty retry schedule means no retries (`numRetries: 0` would fall back to the default two).
  svix = new Svix(herald.rootToken, { serverUrl: herald.url, retryScheduleInMs: [] });
  app = await svix.application.create({ name: 'Svix endpoints', uid: 'svix-ep-app' });
});
afterAll(async () => {
  await herald?.close();
});

function expectValidDate(value: unknown) {
  expect(value).toBeInstanceOf(Date);
  expect(Number.isNaN((value as Date).getTime())).toBe(false);
}

/** What the client throws for a 4xx; `body` is Herald's parsed error. */
async function rejection(promise: Promise<unknown>): Promise<ApiException<{ code: string; errors?: { path: string }[] }>> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ApiException);
  return error as ApiException<{ code: string; errors?: { path: string }[] }>;
}

const stored = async (epId: string) => {
  const row = await findEndpoint(herald.database.db, { orgId: herald.orgId, appId: app.id }, epId);
  expect(row).toBeDefined();
  return row!;
};

describe('svix.endpoint against Herald', () => {
  let created: EndpointOut;

  beforeAll(async () => {
    created = await svix.endpoint.create(app.id, {
      url: 'https://example.com/svix',
      uid: 'svix-ep',
      description: 'From the client',
      version: 1,
      filterTypes: ['invoice.paid', 'invoice.failed'],
      channels: ['billing'],
      throttleRate: 12,
      metadata: { owner: 'billing-team' },
    });
  });

  it('create answers the new endpoint, field by field', () => {
    expect(created.id).toMatch(EP_ID);
    expect(created.uid).toBe('svix-ep');
    expect(created.url).toBe('https://example.com/svix');
    expect(created.description).toBe('From the client');
    expect(created.version).toBe(1);
    expect(created.disabled).toBe(false);
    expect(created.filterTypes).toEqual(['invoice.paid', 'invoice.failed']);
    expect(created.channels).toEqual(['billing']);
    expect(created.rateLimit).toBeNull();
    expect(created.throttleRate).toBe(12);
    expect(created.metadata).toEqual({ owner: 'billing-team' });
    expectValidDate(created.createdAt);
    expectValidDate(created.updatedAt);
    expect(Math.abs(created.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('create with only a url answers the defaults', async () => {
    const ep = await svix.endpoint.create(app.id, { url: 'https://example.com/minimal' });
    expect(ep).toEqual({
      id: expect.stringMatching(EP_ID),
      uid: null,
      url: 'https://example.com/minimal',
      description: '',
      version: 1,
      disabled: false,
      filterTypes: null,
      channels: null,
      rateLimit: null,
      throttleRate: null,
      metadata: {},
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
  });

  it('get finds it by id and by uid, under the app id or uid', async () => {
    expect(await svix.endpoint.get(app.id, created.id)).toEqual(created);
    expect(await svix.endpoint.get(app.id, 'svix-ep')).toEqual(created);
    expect(await svix.endpoint.get('svix-ep-app', 'svix-ep')).toEqual(created);
  });

  it('get rejects an unknown endpoint with a 404', async () => {
    const error = await rejection(svix.endpoint.get(app.id, 'svix-nobody'));
    expect(error.code).toBe(404);
    expect(error.body.code).toBe('not_found');
  });

  it('create rejects a taken uid with a 409', async () => {
    const error = await rejection(svix.endpoint.create(app.id, { url: 'https://example.com/dup', uid: 'svix-ep' }));
    expect(error.code).toBe(409);
    expect(error.body.code).toBe('conflict');
  });

  it('create rejects an invalid field with a 422 naming it', async () => {
    const error = await rejection(svix.endpoint.create(app.id, { url: 'https://example.com', filterTypes: [] }));
    expect(error.code).toBe(422);
    expect(error.body.errors?.map((e) => e.path)).toContain('body.filterTypes');
  });

  it('list pages newest first with the iterator, and ascending on request', async () => {
    const listed = await svix.application.create({ name: 'Svix list' });
    const eps: EndpointOut[] = [];
    for (let i = 0; i < 3; i++) {
      eps.push(await svix.endpoint.create(listed.id, { url: `https://example.com/l${i}` }));
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const first = await svix.endpoint.list(listed.id, { limit: 2 });
    expect(first.data).toEqual([eps[2], eps[1]]);
    expect(first.done).toBe(false);
    expect(first.iterator).toBe(eps[1]!.id);
    const second = await svix.endpoint.list(listed.id, { limit: 2, iterator: first.iterator! });
    expect(second.data).toEqual([eps[0]]);
    expect(second.done).toBe(true);

    const ascending = await svix.endpoint.list(listed.id, { order: Ordering.Ascending });
    expect(ascending.data).toEqual(eps);
    expect(ascending.done).toBe(true);
  });

  it('update replaces the fields, and creates under a new uid (upsert)', async () => {
    const ep = await svix.endpoint.create(app.id, { url: 'https://example.com/u', uid: 'svix-upd', description: 'old', channels: ['x'] });
    const updated = await svix.endpoint.update(app.id, 'svix-upd', { url: 'https://example.com/u2', disabled: true, rateLimit: 3 });
    expect(updated).toEqual({
      id: ep.id,
      uid: 'svix-upd',
      url: 'https://example.com/u2',
      description: '',
      version: 1,
      disabled: true,
      filterTypes: null,
      channels: null,
      rateLimit: 3,
      throttleRate: 3,
      metadata: {},
      createdAt: ep.createdAt,
      updatedAt: expect.any(Date),
    });
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(ep.updatedAt.getTime());

    const upserted = await svix.endpoint.update(app.id, 'svix-upserted', { url: 'https://example.com/new' });
    expect(upserted.id).toMatch(EP_ID);
    expect(upserted.uid).toBe('svix-upserted');
    expect(await svix.endpoint.get(app.id, 'svix-upserted')).toEqual(upserted);
  });

  it('patch changes only what it is given, and null clears', async () => {
    const ep = await svix.endpoint.create(app.id, {
      url: 'https://example.com/p',
      uid: 'svix-patch',
      channels: ['keep-me'],
      throttleRate: 4,
      metadata: { a: 'b' },
    });
    // The svix e2e expectation: channels survive a patch that only sets filterTypes.
    const patched = await svix.endpoint.patch(app.id, ep.id, { filterTypes: ['only.this'] });
    expect(patched).toEqual({ ...ep, filterTypes: ['only.this'], updatedAt: expect.any(Date) });

    const cleared = await svix.endpoint.patch(app.id, 'svix-patch', { channels: null, throttleRate: null, description: 'now' });
    expect(cleared).toEqual({ ...patched, channels: null, throttleRate: null, description: 'now', updatedAt: expect.any(Date) });
  });

  it('delete removes it; get then answers 404', async () => {
    const ep = await svix.endpoint.create(app.id, { url: 'https://example.com/d', uid: 'svix-del' });
    await expect(svix.endpoint.delete(app.id, 'svix-del')).resolves.toBeUndefined();
    expect((await rejection(svix.endpoint.get(app.id, ep.id))).code).toBe(404);
    expect((await rejection(svix.endpoint.delete(app.id, ep.id))).code).toBe(404);
  });

  it('getHeaders / updateHeaders / patchHeaders manage the custom headers, hiding sensitive values', async () => {
    const ep = await svix.endpoint.create(app.id, { url: 'https://example.com/h', headers: { 'X-Initial': '0' } });
    expect(await svix.endpoint.getHeaders(app.id, ep.id)).toEqual({ headers: { 'X-Initial': '0' }, sensitive: [] });

    await expect(
      svix.endpoint.updateHeaders(app.id, ep.id, { headers: { 'X-Region': 'eu', Authorization: 'Bearer abc', 'X-Old': '1' } }),
    ).resolves.toBeUndefined();
    expect(await svix.endpoint.getHeaders(app.id, ep.id)).toEqual({
      headers: { 'X-Region': 'eu', 'X-Old': '1' },
      sensitive: ['Authorization'],
    });

    await expect(
      svix.endpoint.patchHeaders(app.id, ep.id, { headers: { 'X-Region': 'us', 'X-New': '2' }, deleteHeaders: ['X-Old'] }),
    ).resolves.toBeUndefined();
    expect(await svix.endpoint.getHeaders(app.id, ep.id)).toEqual({
      headers: { 'X-Region': 'us', 'X-New': '2' },
      sensitive: ['Authorization'],
    });
    expect((await stored(ep.id)).headers).toEqual({ 'X-Region': 'us', 'X-New': '2', Authorization: 'Bearer abc' });

    const refused = await rejection(svix.endpoint.updateHeaders(app.id, ep.id, { headers: { 'webhook-signature': 'forged' } }));
    expect(refused.code).toBe(422);
    expect(refused.body.errors?.map((e) => e.path)).toEqual(['body.headers.webhook-signature']);
  });

  it('getSecret answers a whsec_ key that the svix Webhook verifier accepts', async () => {
    const { key } = await svix.endpoint.getSecret(app.id, created.id);
    expect(key).toMatch(SECRET);
    expect(key).toBe((await stored(created.id)).secret);
    const wh = new Webhook(key);
    const timestamp = new Date();
    const signature = wh.sign('msg_1', timestamp, '{"ok":true}');
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': signature,
    };
    expect(wh.verify('{"ok":true}', headers)).toEqual({ ok: true });
  });

  it('rotateSecret installs a new key; the row keeps the previous one with a future expiry', async () => {
    const ep = await svix.endpoint.create(app.id, { url: 'https://example.com/rotate' });
    const { key: old } = await svix.endpoint.getSecret(app.id, ep.id);

    const before = Date.now();
    await expect(svix.endpoint.rotateSecret(app.id, ep.id)).resolves.toBeUndefined();
    const { key: fresh } = await svix.endpoint.getSecret(app.id, ep.id);
    expect(fresh).toMatch(SECRET);
    expect(fresh).not.toBe(old);
    let row = await stored(ep.id);
    expect(row.secret).toBe(fresh);
    expect(row.previousSecret).toBe(old);
    expect(row.previousSecretExpiresAt!.getTime()).toBeGreaterThan(Date.now());
    expect(row.previousSecretExpiresAt!.getTime()).toBeGreaterThanOrEqual(before + DAY_MS - 5_000);
    expect(row.previousSecretExpiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + DAY_MS + 5_000);

    const chosen = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    await svix.endpoint.rotateSecret(app.id, ep.id, { key: chosen, gracePeriodSeconds: 3_600 });
    expect(await svix.endpoint.getSecret(app.id, ep.id)).toEqual({ key: chosen });
    row = await stored(ep.id);
    expect(row.previousSecret).toBe(fresh);
    expect(row.previousSecretExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 3_600_000 - 60_000);
    expect(row.previousSecretExpiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 3_600_000 + 5_000);
  });

  it('rotateSecret rejects a grace period over 7 days with a 422', async () => {
    const error = await rejection(svix.endpoint.rotateSecret(app.id, created.id, { gracePeriodSeconds: 604_801 }));
    expect(error.code).toBe(422);
    expect(error.body.errors?.map((e) => e.path)).toContain('body.gracePeriodSeconds');
  });
});
