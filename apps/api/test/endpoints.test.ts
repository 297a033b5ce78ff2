import type { ApplicationOut, EndpointHeadersOut, EndpointOut, EndpointSecretOut, ErrorBody, ListPage } from '@herald/core';
import { createOrganization, findEndpoint, issueApiKey } from '@herald/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, call, startTestHerald, type TestHerald } from '../../../test/support/harness';

const EP_ID = /^ep_[0-9A-Za-z]{22}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const SECRET = /^whsec_[A-Za-z0-9+/]{32}$/;
const OUT_FIELDS = [
  'channels',
  'createdAt',
  'description',
  'disabled',
  'fifo',
  'filter',
  'filterTypes',
  'id',
  'metadata',
  'rateLimit',
  'retrySchedule',
  'settings',
  'throttleRate',
  'type',
  'uid',
  'updatedAt',
  'url',
  'version',
];
/** Herald's extension fields as an endpoint created without them has them. */
const EXTENSION_DEFAULTS = { filter: null, retrySchedule: null, fifo: false, type: 'webhook', settings: {} };
const DAY_MS = 86_400_000;

let herald: TestHerald;

beforeAll(async () => {
  herald = await startTestHerald();
});
afterAll(async () => {
  await herald?.close();
});

const enc = encodeURIComponent;
const base = (app: string) => `/api/v1/app/${enc(app)}/endpoint`;
const one = (app: string, ep: string) => `${base(app)}/${enc(ep)}`;

const createEp = (token: string, app: string, json: unknown) => call<EndpointOut>(herald.url, 'POST', base(app), { token, json });
const getEp = (token: string, app: string, ep: string) => call<EndpointOut>(herald.url, 'GET', one(app, ep), { token });
const listEps = (token: string, app: string, query = '') =>
  call<ListPage<EndpointOut>>(herald.url, 'GET', `${base(app)}${query}`, { token });
const putEp = (token: string, app: string, ep: string, json: unknown) =>
  call<EndpointOut>(herald.url, 'PUT', one(app, ep), { token, json });
const patchEp = (token: string, app: string, ep: string, json: unknown) =>
  call<EndpointOut>(herald.url, 'PATCH', one(app, ep), { token, json });
const deleteEp = (token: string, app: string, ep: string) => call(herald.url, 'DELETE', one(app, ep), { token });
const getHeaders = (token: string, app: string, ep: string) =>
  call<EndpointHeadersOut>(herald.url, 'GET', `${one(app, ep)}/headers`, { token });
const putHeaders = (token: string, app: string, ep: string, json: unknown) =>
  call(herald.url, 'PUT', `${one(app, ep)}/headers`, { token, json });
const patchHeaders = (token: string, app: string, ep: string, json: unknown) =>
  call(herald.url, 'PATCH', `${one(app, ep)}/headers`, { token, json });
const getSecret = (token: string, app: string, ep: string) =>
  call<EndpointSecretOut>(herald.url, 'GET', `${one(app, ep)}/secret`, { token });
const rotate = (token: string, app: string, ep: string, json?: unknown) =>
  call(herald.url, 'POST', `${one(app, ep)}/secret/rotate`, json === undefined ? { token } : { token, json });

async function newApp(token: string, name: string, uid?: string): Promise<ApplicationOut> {
  const response = await call<ApplicationOut>(herald.url, 'POST', '/api/v1/app', { token, json: { name, uid } });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

async function newOrganization(name: string) {
  const org = await createOrganization(herald.database.db, { name });
  const { token } = await issueApiKey(herald.database.db, { orgId: org.id, scope: 'org', name: `${name} key` });
  return { orgId: org.id, token };
}

async function created(token: string, app: string, json: unknown): Promise<EndpointOut> {
  const response = await createEp(token, app, json);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

/** The stored row of an endpoint of the root organization, read straight from the database. */
async function row(application: ApplicationOut, ep: string) {
  const found = await findEndpoint(herald.database.db, { orgId: herald.orgId, appId: application.id }, ep);
  expect(found).toBeDefined();
  return found!;
}

function expectError(response: ApiResponse<unknown>, status: number, code: string) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  const error = response.body as ErrorBody;
  expect(error.code).toBe(code);
  expect(error.requestId).toBe(response.headers.get('x-request-id'));
  return error;
}

function expectFieldError(response: ApiResponse<unknown>, path: string) {
  const error = expectError(response, 422, 'validation');
  expect(error.errors?.map((e) => e.path)).toContain(path);
  return error;
}

function expectNoContent(response: ApiResponse<unknown>) {
  expect(response.status, JSON.stringify(response.body)).toBe(204);
  expect(response.body).toBe('');
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let app: ApplicationOut;

beforeAll(async () => {
  app = await newApp(herald.rootToken, 'Endpoint owner', 'ep-owner');
});

describe('POST /api/v1/app/{app_id}/endpoint', () => {
  it('creates an endpoint and answers 201 with every field', async () => {
    const before = Date.now();
    const response = await createEp(herald.rootToken, app.id, {
      url: 'https://example.com/hooks?x=1',
      uid: 'full-ep',
      description: 'All the fields',
      version: 3,
      disabled: true,
      filterTypes: ['user.created', 'user.deleted'],
      channels: ['eu', 'priority.high'],
      rateLimit: 100,
      throttleRate: 40,
      metadata: { team: 'core', tier: 'gold' },
    });
    const after = Date.now();

    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const ep = response.body;
    expect(Object.keys(ep).sort()).toEqual(OUT_FIELDS);
    expect(ep.id).toMatch(EP_ID);
    expect(ep.uid).toBe('full-ep');
    expect(ep.url).toBe('https://example.com/hooks?x=1');
    expect(ep.description).toBe('All the fields');
    expect(ep.version).toBe(3);
    expect(ep.disabled).toBe(true);
    expect(ep.filterTypes).toEqual(['user.created', 'user.deleted']);
    expect(ep.channels).toEqual(['eu', 'priority.high']);
    expect(ep.rateLimit).toBe(100);
    expect(ep.throttleRate).toBe(40);
    expect(ep.metadata).toEqual({ team: 'core', tier: 'gold' });
    expect(ep.createdAt).toMatch(ISO);
    expect(ep.updatedAt).toMatch(ISO);
    expect(Date.parse(ep.createdAt)).toBeGreaterThanOrEqual(before - 5_000);
    expect(Date.parse(ep.createdAt)).toBeLessThanOrEqual(after + 5_000);
    expect(ep.updatedAt).toBe(ep.createdAt);

    const stored = await row(app, ep.id);
    expect(stored.orgId).toBe(herald.orgId);
    expect(stored.appId).toBe(app.id);
    expect(stored.type).toBe('webhook');
  });

  it('fills in the defaults for the fields left out and generates a secret', async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'http://localhost:9000/in' });
    expect(ep).toEqual({
      id: expect.stringMatching(EP_ID),
      uid: null,
      url: 'http://localhost:9000/in',
      description: '',
      version: 1,
      disabled: false,
      filterTypes: null,
      channels: null,
      rateLimit: null,
      throttleRate: null,
      metadata: {},
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
      ...EXTENSION_DEFAULTS,
    });
    const secret = await getSecret(herald.rootToken, app.id, ep.id);
    expect(secret.status).toBe(200);
    expect(secret.body.key).toMatch(SECRET);
    expect(Buffer.from(secret.body.key.slice('whsec_'.length), 'base64')).toHaveLength(24);
    expect(await getHeaders(herald.rootToken, app.id, ep.id)).toMatchObject({ status: 200, body: { headers: {}, sensitive: [] } });

    const stored = await row(app, ep.id);
    expect(stored.previousSecret).toBeNull();
    expect(stored.previousSecretExpiresAt).toBeNull();
  });

  it('accepts explicit nulls for every nullable field', async () => {
    const ep = await created(herald.rootToken, app.id, {
      url: 'https://example.com/nulls',
      uid: null,
      version: null,
      filterTypes: null,
      channels: null,
      rateLimit: null,
      throttleRate: null,
      headers: null,
      secret: null,
    });
    expect(ep).toMatchObject({ uid: null, version: 1, filterTypes: null, channels: null, rateLimit: null, throttleRate: null });
    expect((await getSecret(herald.rootToken, app.id, ep.id)).body.key).toMatch(SECRET);
  });

  it('gives every endpoint its own secret', async () => {
    const a = await created(herald.rootToken, app.id, { url: 'https://example.com/a' });
    const b = await created(herald.rootToken, app.id, { url: 'https://example.com/b' });
    expect(a.id).not.toBe(b.id);
    const [sa, sb] = await Promise.all([getSecret(herald.rootToken, app.id, a.id), getSecret(herald.rootToken, app.id, b.id)]);
    expect(sa.body.key).not.toBe(sb.body.key);
  });

  it('treats the deprecated rateLimit as the throttle when throttleRate is left out', async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/rl', rateLimit: 7 });
    expect(ep.rateLimit).toBe(7);
    expect(ep.throttleRate).toBe(7);
  });

  it('keeps a caller-chosen secret, adding the whsec_ prefix when it is missing', async () => {
    const raw = 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const bare = await created(herald.rootToken, app.id, { url: 'https://example.com/s1', secret: raw });
    expect((await getSecret(herald.rootToken, app.id, bare.id)).body).toEqual({ key: `whsec_${raw}` });
    const prefixed = await created(herald.rootToken, app.id, { url: 'https://example.com/s2', secret: `whsec_${raw}` });
    expect((await getSecret(herald.rootToken, app.id, prefixed.id)).body).toEqual({ key: `whsec_${raw}` });
  });

  it('stores the initial custom headers', async () => {
    const ep = await created(herald.rootToken, app.id, {
      url: 'https://example.com/h',
      headers: { 'X-Tenant': 'acme', Authorization: 'Bearer s3cret' },
    });
    const headers = await getHeaders(herald.rootToken, app.id, ep.id);
    expect(headers.body).toEqual({ headers: { 'X-Tenant': 'acme' }, sensitive: ['Authorization'] });
    expect((await row(app, ep.id)).headers).toEqual({ 'X-Tenant': 'acme', Authorization: 'Bearer s3cret' });
  });

  it('refuses a uid already taken in the application with 409 and keeps the original', async () => {
    const original = await created(herald.rootToken, app.id, { url: 'https://example.com/1', uid: 'taken-ep' });
    const again = await createEp(herald.rootToken, app.id, { url: 'https://example.com/2', uid: 'taken-ep' });
    const error = expectError(again, 409, 'conflict');
    expect(error.detail).toContain('taken-ep');
    expect((await getEp(herald.rootToken, app.id, 'taken-ep')).body).toEqual(original);
  });

  it('lets two applications use the same endpoint uid', async () => {
    const other = await newApp(herald.rootToken, 'Second app');
    const a = await created(herald.rootToken, app.id, { url: 'https://example.com/a', uid: 'shared-ep-uid' });
    const b = await created(herald.rootToken, other.id, { url: 'https://example.com/b', uid: 'shared-ep-uid' });
    expect(a.id).not.toBe(b.id);
    expect((await getEp(herald.rootToken, app.id, 'shared-ep-uid')).body).toEqual(a);
    expect((await getEp(herald.rootToken, other.id, 'shared-ep-uid')).body).toEqual(b);
  });

  it('finds the application by uid too', async () => {
    const ep = await created(herald.rootToken, 'ep-owner', { url: 'https://example.com/by-app-uid' });
    expect((await getEp(herald.rootToken, app.id, ep.id)).body).toEqual(ep);
  });

  it('answers 404 for an application that does not exist', async () => {
    for (const missing of ['app_0000000000000000000000', 'no-such-app']) {
      expectError(await createEp(herald.rootToken, missing, { url: 'https://example.com' }), 404, 'not_found');
    }
  });

  const channels11 = Array.from({ length: 11 }, (_, i) => `c${i}`);
  const invalid: [string, Record<string, unknown>, string][] = [
    ['a missing url', {}, 'body.url'],
    ['a url that is not a URL', { url: 'not a url' }, 'body.url'],
    ['a non-http url', { url: 'ftp://example.com/file' }, 'body.url'],
    ['a url over 65536 characters', { url: `https://example.com/${'a'.repeat(65_536)}` }, 'body.url'],
    ['a uid with a space', { url: 'https://example.com', uid: 'has space' }, 'body.uid'],
    ['a uid over 256 characters', { url: 'https://example.com', uid: 'u'.repeat(257) }, 'body.uid'],
    ['a uid that looks like an endpoint id', { url: 'https://example.com', uid: 'ep_lookalike' }, 'body.uid'],
    ['a numeric description', { url: 'https://example.com', description: 5 }, 'body.description'],
    ['version 0', { url: 'https://example.com', version: 0 }, 'body.version'],
    ['a fractional version', { url: 'https://example.com', version: 1.5 }, 'body.version'],
    ['a string disabled', { url: 'https://example.com', disabled: 'yes' }, 'body.disabled'],
    ['empty filterTypes', { url: 'https://example.com', filterTypes: [] }, 'body.filterTypes'],
    ['repeated filterTypes', { url: 'https://example.com', filterTypes: ['a.b', 'a.b'] }, 'body.filterTypes'],
    ['a filter type with a bad character', { url: 'https://example.com', filterTypes: ['ok', 'no/slash'] }, 'body.filterTypes.1'],
    ['a filter type over 256 characters', { url: 'https://example.com', filterTypes: ['t'.repeat(257)] }, 'body.filterTypes.0'],
    ['empty channels', { url: 'https://example.com', channels: [] }, 'body.channels'],
    ['eleven channels', { url: 'https://example.com', channels: channels11 }, 'body.channels'],
    ['repeated channels', { url: 'https://example.com', channels: ['x', 'x'] }, 'body.channels'],
    ['a channel over 128 characters', { url: 'https://example.com', channels: ['c'.repeat(129)] }, 'body.channels.0'],
    ['a channel with a space', { url: 'https://example.com', channels: ['a b'] }, 'body.channels.0'],
    ['a negative rateLimit', { url: 'https://example.com', rateLimit: -1 }, 'body.rateLimit'],
    ['a throttleRate over 65535', { url: 'https://example.com', throttleRate: 65_536 }, 'body.throttleRate'],
    ['non-string metadata', { url: 'https://example.com', metadata: { n: 1 } }, 'body.metadata.n'],
    ['a short secret', { url: 'https://example.com', secret: 'whsec_short' }, 'body.secret'],
    ['a secret with a bad character', { url: 'https://example.com', secret: `${'a'.repeat(40)}!` }, 'body.secret'],
    // The signer reads '=' only as trailing padding; a secret with one inside could never sign a delivery.
    ['a secret with "=" inside', { url: 'https://example.com', secret: `whsec_dGVzdA==${'a'.repeat(30)}` }, 'body.secret'],
    ['a secret over 100 characters', { url: 'https://example.com', secret: `whsec_${'a'.repeat(101)}` }, 'body.secret'],
    ['an unknown field', { url: 'https://example.com', bogus: true }, 'body.bogus'],
    ['a Herald-owned header', { url: 'https://example.com', headers: { 'webhook-signature': 'x' } }, 'body.headers.webhook-signature'],
    ['an invalid header name', { url: 'https://example.com', headers: { 'bad name': 'x' } }, 'body.headers.bad name'],
    ['a header value with a newline', { url: 'https://example.com', headers: { 'X-Evil': 'a\r\nInjected: 1' } }, 'body.headers.X-Evil'],
  ];
  it.each(invalid)('refuses %s with 422 naming the field', async (_what, json, path) => {
    expectFieldError(await createEp(herald.rootToken, app.id, json), path);
  });

  it('creates nothing when validation fails', async () => {
    const fresh = await newApp(herald.rootToken, 'Validation only');
    await createEp(herald.rootToken, fresh.id, { url: 'nope', uid: 'never-made' });
    expect((await listEps(herald.rootToken, fresh.id)).body.data).toEqual([]);
  });
});

describe('GET /api/v1/app/{app_id}/endpoint/{endpoint_id}', () => {
  it('finds an endpoint by id and by uid, under the app id or uid', async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/find', uid: 'findable-ep' });
    for (const [appRef, epRef] of [
      [app.id, ep.id],
      [app.id, 'findable-ep'],
      ['ep-owner', ep.id],
      ['ep-owner', 'findable-ep'],
    ] as const) {
      const response = await getEp(herald.rootToken, appRef, epRef);
      expect(response.status).toBe(200);
      expect(response.body).toEqual(ep);
    }
  });

  it('answers 404 not_found for an id or uid that does not exist', async () => {
    for (const missing of ['ep_0000000000000000000000', 'no-such-ep']) {
      const error = expectError(await getEp(herald.rootToken, app.id, missing), 404, 'not_found');
      expect(error.detail).toBe('endpoint not found');
    }
  });

  it("does not find one application's endpoint under another application", async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/mine', uid: 'app-bound' });
    const other = await newApp(herald.rootToken, 'Neighbour');
    for (const ref of [ep.id, 'app-bound']) expectError(await getEp(herald.rootToken, other.id, ref), 404, 'not_found');
  });
});

/** Follows `iterator` until `done`, failing instead of looping forever. */
async function walk(token: string, appRef: string, params: Record<string, string>) {
  const pages: ListPage<EndpointOut>[] = [];
  let iterator: string | null = null;
  for (let i = 0; i < 20; i++) {
    const query = new URLSearchParams(params);
    if (iterator) query.set('iterator', iterator);
    const response = await listEps(token, appRef, `?${query}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    pages.push(response.body);
    if (response.body.done) return pages;
    iterator = response.body.iterator;
    expect(iterator).toEqual(expect.any(String));
  }
  throw new Error('pagination never reported done');
}

describe('GET /api/v1/app/{app_id}/endpoint', () => {
  let listed: ApplicationOut;
  let eps: EndpointOut[];

  beforeAll(async () => {
    listed = await newApp(herald.rootToken, 'Listed', 'listed-app');
    eps = [];
    for (let i = 0; i < 5; i++) {
      eps.push(await created(herald.rootToken, listed.id, { url: `https://example.com/${i}`, uid: `paged-${i}` }));
      // Ids order by millisecond; a pause keeps "newest" unambiguous.
      await pause(3);
    }
    // Another application's endpoint must never show up.
    await created(herald.rootToken, app.id, { url: 'https://example.com/elsewhere' });
  });

  it('lists newest first by default, in one page when it fits', async () => {
    const response = await listEps(herald.rootToken, listed.id);
    expect(response.status).toBe(200);
    const page = response.body;
    expect(Object.keys(page).sort()).toEqual(['data', 'done', 'iterator', 'prevIterator']);
    expect(page.data).toEqual([...eps].reverse());
    expect(page.done).toBe(true);
    expect(page.iterator).toBe(eps[0]!.id);
  });

  it('lists by application uid too', async () => {
    expect((await listEps(herald.rootToken, 'listed-app')).body.data).toEqual([...eps].reverse());
  });

  it('walks pages of two with the iterator, seeing every endpoint exactly once', async () => {
    const pages = await walk(herald.rootToken, listed.id, { limit: '2' });
    expect(pages.map((page) => page.data.length)).toEqual([2, 2, 1]);
    expect(pages.map((page) => page.done)).toEqual([false, false, true]);
    expect(pages.flatMap((page) => page.data.map((ep) => ep.id))).toEqual([...eps].reverse().map((ep) => ep.id));
  });

  it('walks oldest first with order=ascending', async () => {
    const pages = await walk(herald.rootToken, listed.id, { limit: '2', order: 'ascending' });
    expect(pages.flatMap((page) => page.data)).toEqual(eps);
  });

  it('answers an empty page for an application without endpoints', async () => {
    const empty = await newApp(herald.rootToken, 'Empty');
    const response = await listEps(herald.rootToken, empty.id);
    expect(response.body).toEqual({ data: [], done: true, iterator: null, prevIterator: null });
  });

  it('refuses a bad limit or order with 422 naming the parameter', async () => {
    expectFieldError(await listEps(herald.rootToken, listed.id, '?limit=0'), 'query.limit');
    expectFieldError(await listEps(herald.rootToken, listed.id, '?limit=251'), 'query.limit');
    expectFieldError(await listEps(herald.rootToken, listed.id, '?order=sideways'), 'query.order');
  });

  it('answers 404 for an application that does not exist', async () => {
    expectError(await listEps(herald.rootToken, 'no-such-app'), 404, 'not_found');
  });
});

describe('PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}', () => {
  const full = {
    url: 'https://example.com/full',
    uid: 'put-full',
    description: 'before',
    version: 2,
    disabled: true,
    filterTypes: ['a.b'],
    channels: ['ch'],
    rateLimit: 9,
    throttleRate: 8,
    metadata: { k: 'v' },
    headers: { 'X-Keep': 'me' },
  };

  it('replaces every updatable field, resetting the ones left out, and keeps id, createdAt, secret and headers', async () => {
    const ep = await created(herald.rootToken, app.id, full);
    const secretBefore = (await getSecret(herald.rootToken, app.id, ep.id)).body.key;
    await pause(5);
    const response = await putEp(herald.rootToken, app.id, ep.id, { url: 'https://example.com/replaced' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: ep.id,
      uid: null, // addressed by id and left out: a full replace clears it
      url: 'https://example.com/replaced',
      description: '',
      version: 1,
      disabled: false,
      filterTypes: null,
      channels: null,
      rateLimit: null,
      throttleRate: null,
      metadata: {},
      createdAt: ep.createdAt,
      updatedAt: expect.stringMatching(ISO),
      ...EXTENSION_DEFAULTS,
    });
    expect(Date.parse(response.body.updatedAt)).toBeGreaterThan(Date.parse(ep.createdAt));
    expect((await getSecret(herald.rootToken, app.id, ep.id)).body.key).toBe(secretBefore);
    expect((await getHeaders(herald.rootToken, app.id, ep.id)).body.headers).toEqual({ 'X-Keep': 'me' });
  });

  it('sets every field given', async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/plain' });
    const { headers: _headers, ...update } = { ...full, uid: 'put-set-all', description: 'after' };
    const response = await putEp(herald.rootToken, app.id, ep.id, update);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ...update, id: ep.id, createdAt: ep.createdAt });
  });

  it('keeps the uid the path named when the body leaves it out', async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/u', uid: 'put-by-uid' });
    const response = await putEp(herald.rootToken, app.id, 'put-by-uid', { url: 'https://example.com/u2' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: ep.id, uid: 'put-by-uid', url: 'https://example.com/u2' });

    const cleared = await putEp(herald.rootToken, app.id, 'put-by-uid', { url: 'https://example.com/u3', uid: null });
    expect(cleared.body).toMatchObject({ id: ep.id, uid: null });
  });

  it('creates the endpoint under the uid in the path with 201, then updates it with 200', async () => {
    const first = await putEp(herald.rootToken, app.id, 'upserted', { url: 'https://example.com/up', description: 'one' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      id: expect.stringMatching(EP_ID),
      uid: 'upserted',
      url: 'https://example.com/up',
      description: 'one',
    });
    expect((await getSecret(herald.rootToken, app.id, 'upserted')).body.key).toMatch(SECRET);

    const second = await putEp(herald.rootToken, app.id, 'upserted', { url: 'https://example.com/up', description: 'two' });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ id: first.body.id, uid: 'upserted', description: 'two' });
    expect((await getEp(herald.rootToken, app.id, 'upserted')).body).toEqual(second.body);
  });

  it('answers 404 for an endpoint id that does not exist (ids are never created by PUT)', async () => {
    expectError(await putEp(herald.rootToken, app.id, 'ep_0000000000000000000000', { url: 'https://example.com' }), 404, 'not_found');
  });

  it('refuses a uid taken by another endpoint with 409', async () => {
    await created(herald.rootToken, app.id, { url: 'https://example.com/x', uid: 'put-taken' });
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/y', uid: 'put-mover' });
    expectError(await putEp(herald.rootToken, app.id, ep.id, { url: 'https://example.com/y', uid: 'put-taken' }), 409, 'conflict');
    expect((await getEp(herald.rootToken, app.id, ep.id)).body).toEqual(ep);
  });

  it('refuses fields PUT does not take, and a missing url, with 422', async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/strict' });
    expectFieldError(await putEp(herald.rootToken, app.id, ep.id, { description: 'no url' }), 'body.url');
    expectFieldError(await putEp(herald.rootToken, app.id, ep.id, { url: 'https://example.com', secret: null }), 'body.secret');
    expectFieldError(await putEp(herald.rootToken, app.id, ep.id, { url: 'https://example.com', headers: {} }), 'body.headers');
    expectFieldError(await putEp(herald.rootToken, app.id, ep.id, { url: 'https://example.com', channels: [] }), 'body.channels');
  });
});

describe('PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}', () => {
  const full = {
    url: 'https://example.com/patch',
    description: 'desc',
    version: 2,
    disabled: false,
    filterTypes: ['a.b'],
    channels: ['ch1', 'ch2'],
    rateLimit: 9,
    throttleRate: 8,
    metadata: { k: 'v' },
  };

  it('changes only the fields given', async () => {
    const ep = await created(herald.rootToken, app.id, { ...full, uid: 'patch-one' });
    await pause(5);
    const response = await patchEp(herald.rootToken, app.id, ep.id, { description: 'changed' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ...ep, description: 'changed', updatedAt: expect.stringMatching(ISO) });
    expect(Date.parse(response.body.updatedAt)).toBeGreaterThan(Date.parse(ep.updatedAt));
  });

  it('keeps channels when only filterTypes changes (the svix e2e expectation)', async () => {
    const ep = await created(herald.rootToken, app.id, full);
    const response = await patchEp(herald.rootToken, app.id, ep.id, { filterTypes: ['x.y', 'z'] });
    expect(response.body.filterTypes).toEqual(['x.y', 'z']);
    expect(response.body.channels).toEqual(['ch1', 'ch2']);
  });

  it('sets every field given', async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/p0' });
    const patch = {
      url: 'http://example.org/p1',
      uid: 'patched-uid',
      description: 'd',
      version: 5,
      disabled: true,
      filterTypes: ['t'],
      channels: ['c'],
      rateLimit: 3,
      throttleRate: 2,
      metadata: { a: 'b' },
    };
    const response = await patchEp(herald.rootToken, app.id, ep.id, patch);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ...patch, id: ep.id, createdAt: ep.createdAt });
    expect((await getEp(herald.rootToken, app.id, 'patched-uid')).body).toEqual(response.body);
  });

  it('clears the nullable fields given as null', async () => {
    const ep = await created(herald.rootToken, app.id, { ...full, uid: 'patch-nulls' });
    const response = await patchEp(herald.rootToken, app.id, 'patch-nulls', {
      uid: null,
      filterTypes: null,
      channels: null,
      rateLimit: null,
      throttleRate: null,
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      ...ep,
      uid: null,
      filterTypes: null,
      channels: null,
      rateLimit: null,
      throttleRate: null,
      updatedAt: expect.stringMatching(ISO),
    });
    expectError(await getEp(herald.rootToken, app.id, 'patch-nulls'), 404, 'not_found');
  });

  it('moves the throttle with the deprecated rateLimit unless throttleRate is given too', async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/rl', throttleRate: 50 });
    const alone = await patchEp(herald.rootToken, app.id, ep.id, { rateLimit: 5 });
    expect(alone.body).toMatchObject({ rateLimit: 5, throttleRate: 5 });
    const both = await patchEp(herald.rootToken, app.id, ep.id, { rateLimit: 6, throttleRate: 60 });
    expect(both.body).toMatchObject({ rateLimit: 6, throttleRate: 60 });
  });

  it('sets the secret when given one and generates a new one for null', async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/ps' });
    const raw = 'QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB';
    expect((await patchEp(herald.rootToken, app.id, ep.id, { secret: raw })).status).toBe(200);
    expect((await getSecret(herald.rootToken, app.id, ep.id)).body.key).toBe(`whsec_${raw}`);
    expect((await patchEp(herald.rootToken, app.id, ep.id, { secret: null })).status).toBe(200);
    const regenerated = (await getSecret(herald.rootToken, app.id, ep.id)).body.key;
    expect(regenerated).toMatch(SECRET);
    expect(regenerated).not.toBe(`whsec_${raw}`);
  });

  it('accepts an empty patch and changes nothing but updatedAt', async () => {
    const ep = await created(herald.rootToken, app.id, full);
    const response = await patchEp(herald.rootToken, app.id, ep.id, {});
    expect(response.body).toEqual({ ...ep, updatedAt: expect.stringMatching(ISO) });
  });

  it('refuses null for the fields that cannot be cleared, and unknown fields, with 422', async () => {
    const ep = await created(herald.rootToken, app.id, full);
    for (const field of ['url', 'version', 'description', 'disabled', 'metadata']) {
      expectFieldError(await patchEp(herald.rootToken, app.id, ep.id, { [field]: null }), `body.${field}`);
    }
    expectFieldError(await patchEp(herald.rootToken, app.id, ep.id, { headers: {} }), 'body.headers');
    expectFieldError(await patchEp(herald.rootToken, app.id, ep.id, { url: 'mailto:a@b.c' }), 'body.url');
    expect((await getEp(herald.rootToken, app.id, ep.id)).body).toEqual(ep);
  });

  it('refuses a uid taken by another endpoint with 409', async () => {
    await created(herald.rootToken, app.id, { url: 'https://example.com/1', uid: 'patch-taken' });
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/2' });
    expectError(await patchEp(herald.rootToken, app.id, ep.id, { uid: 'patch-taken' }), 409, 'conflict');
  });

  it('answers 404 for an endpoint that does not exist', async () => {
    expectError(await patchEp(herald.rootToken, app.id, 'nobody', { description: 'x' }), 404, 'not_found');
  });
});

describe('Herald endpoint extensions (filter, retrySchedule, fifo, type)', () => {
  const filter = {
    type: 'invoice.paid',
    'data.amount': { $gte: 100, $lt: 10_000 },
    $or: [{ 'data.currency': { $in: ['EUR', 'USD'] } }, { $not: { 'items.0.sku': { $exists: false } } }],
  };
  const extensions = { filter, retrySchedule: [0, 5, 300, 86_400], fifo: true, type: 'webhook' };

  it('round-trips on create, get and list, and stores the filter in payloadFilter', async () => {
    const listedApp = await newApp(herald.rootToken, 'Extensions');
    const ep = await created(herald.rootToken, listedApp.id, { url: 'https://example.com/ext', uid: 'ext-ep', ...extensions });
    expect(ep).toMatchObject(extensions);
    expect(Object.keys(ep).sort()).toEqual(OUT_FIELDS);
    expect((await getEp(herald.rootToken, listedApp.id, 'ext-ep')).body).toEqual(ep);
    expect((await listEps(herald.rootToken, listedApp.id)).body.data).toEqual([ep]);
    const stored = await row(listedApp, ep.id);
    expect(stored.payloadFilter).toEqual(filter);
    expect(stored.retrySchedule).toEqual([0, 5, 300, 86_400]);
    expect(stored.fifo).toBe(true);
    expect(stored.type).toBe('webhook');
  });

  it('accepts explicit nulls for filter and retrySchedule, and an empty filter', async () => {
    const nulls = await created(herald.rootToken, app.id, { url: 'https://example.com/ext-null', filter: null, retrySchedule: null });
    expect(nulls).toMatchObject(EXTENSION_DEFAULTS);
    const empty = await created(herald.rootToken, app.id, { url: 'https://example.com/ext-empty', filter: {}, fifo: false });
    expect(empty).toMatchObject({ filter: {}, fifo: false });
  });

  it('PUT sets them, resets the ones left out to their defaults, and creates with them', async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/ext-put', ...extensions });
    const replaced = await putEp(herald.rootToken, app.id, ep.id, { url: 'https://example.com/ext-put', retrySchedule: [60] });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ ...EXTENSION_DEFAULTS, retrySchedule: [60] });
    const set = await putEp(herald.rootToken, app.id, ep.id, { url: 'https://example.com/ext-put', ...extensions });
    expect(set.body).toMatchObject(extensions);
    expect((await row(app, ep.id)).payloadFilter).toEqual(filter);

    const upserted = await putEp(herald.rootToken, app.id, 'ext-upserted', { url: 'https://example.com/ext-up', ...extensions });
    expect(upserted.status).toBe(201);
    expect(upserted.body).toMatchObject({ uid: 'ext-upserted', ...extensions });
  });

  it('PATCH leaves absent fields alone, sets the ones given, and null clears filter and retrySchedule', async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/ext-patch', ...extensions });
    const untouched = await patchEp(herald.rootToken, app.id, ep.id, { description: 'only this' });
    expect(untouched.body).toEqual({ ...ep, description: 'only this', updatedAt: expect.stringMatching(ISO) });

    const changed = await patchEp(herald.rootToken, app.id, ep.id, { filter: { 'data.amount': { $gt: 5 } }, fifo: false, type: 'webhook' });
    expect(changed.body).toMatchObject({ filter: { 'data.amount': { $gt: 5 } }, retrySchedule: extensions.retrySchedule, fifo: false });

    const cleared = await patchEp(herald.rootToken, app.id, ep.id, { filter: null, retrySchedule: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ filter: null, retrySchedule: null, fifo: false, type: 'webhook' });
    const stored = await row(app, ep.id);
    expect(stored.payloadFilter).toBeNull();
    expect(stored.retrySchedule).toBeNull();

    for (const field of ['fifo', 'type']) {
      expectFieldError(await patchEp(herald.rootToken, app.id, ep.id, { [field]: null }), `body.${field}`);
    }
    expect((await getEp(herald.rootToken, app.id, ep.id)).body).toEqual(cleared.body);
  });

  const deepFilter = (levels: number) => {
    let f: Record<string, unknown> = { a: 1 };
    for (let i = 1; i < levels; i++) f = { $not: f };
    return f;
  };
  const path33 = Array.from({ length: 33 }, () => 'a').join('.');
  const badFilters: [string, unknown, string, RegExp?][] = [
    ['an array', [{ a: 1 }], 'body.filter'],
    ['a string', 'amount > 5', 'body.filter'],
    ['an unknown logical operator', { $xor: [{ a: 1 }] }, 'body.filter.$xor', /not a logical operator/],
    ['an unknown comparison operator', { a: { $regex: '^x' } }, 'body.filter.a.$regex', /not a comparison operator/],
    ['$gt with a boolean', { a: { $gt: true } }, 'body.filter.a.$gt', /number or a string/],
    ['$in with a scalar', { a: { $in: 'EUR' } }, 'body.filter.a.$in', /array/],
    ['$exists with a string', { a: { $exists: 'yes' } }, 'body.filter.a.$exists', /boolean/],
    ['a nested failure', { $and: [{ a: 1 }, { $or: [{ b: { $lt: null } }] }] }, 'body.filter.$and.1.$or.0.b.$lt', /number or a string/],
    ['an empty $or', { $or: [] }, 'body.filter.$or', /at least one/],
    ['an empty nested filter', { $not: {} }, 'body.filter.$not', /empty filter/],
    ['an empty path segment', { 'data..amount': 1 }, 'body.filter.data..amount', /not a valid path/],
    ['a path of 33 segments', { [path33]: 1 }, `body.filter.${path33}`, /more than 32 segments/],
    ['65 conditions', Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])), 'body.filter', /more than 64 conditions/],
    ['9 levels', deepFilter(9), 'body.filter', /deeper than 8 levels/],
  ];
  it.each(badFilters)(
    'refuses a filter that is %s with 422 naming body.filter…, on create, PUT and PATCH',
    async (_what, bad, path, message) => {
      const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/ext-bad' });
      for (const response of [
        await createEp(herald.rootToken, app.id, { url: 'https://example.com/ext-bad', filter: bad }),
        await putEp(herald.rootToken, app.id, ep.id, { url: 'https://example.com/ext-bad', filter: bad }),
        await patchEp(herald.rootToken, app.id, ep.id, { filter: bad }),
      ]) {
        const error = expectFieldError(response, path);
        if (message) expect(error.errors?.find((e) => e.path === path)?.message).toMatch(message);
      }
      expect((await getEp(herald.rootToken, app.id, ep.id)).body.filter).toBeNull();
    },
  );

  it('refuses a filter holding a NUL character (which jsonb cannot store) with 400 naming body.filter.a, on create, PUT and PATCH', async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/ext-nul' });
    const bad = { a: 'x\u0000y' };
    for (const response of [
      await createEp(herald.rootToken, app.id, { url: 'https://example.com/ext-nul', filter: bad }),
      await putEp(herald.rootToken, app.id, ep.id, { url: 'https://example.com/ext-nul', filter: bad }),
      await patchEp(herald.rootToken, app.id, ep.id, { filter: bad }),
    ]) {
      const error = expectError(response, 400, 'bad_request');
      expect(error.errors).toEqual([{ path: 'body.filter.a', message: expect.stringMatching(/NUL/) }]);
    }
    expect((await getEp(herald.rootToken, app.id, ep.id)).body.filter).toBeNull();
  });

  it('accepts a filter right at the limits (64 conditions, 8 levels, 32 path segments)', async () => {
    const conditions = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, i]));
    const path32 = Array.from({ length: 32 }, () => 'a').join('.');
    for (const limit of [conditions, deepFilter(8), { [path32]: { $exists: true } }]) {
      const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/ext-limit', filter: limit });
      expect(ep.filter).toEqual(limit);
    }
  });

  const badSchedules: [string, unknown, string][] = [
    ['empty', [], 'body.retrySchedule'],
    ['21 entries', Array.from({ length: 21 }, () => 1), 'body.retrySchedule'],
    ['not an array', 60, 'body.retrySchedule'],
    ['negative', [5, -1], 'body.retrySchedule.1'],
    ['over a day', [86_401], 'body.retrySchedule.0'],
    ['fractional', [1.5], 'body.retrySchedule.0'],
    ['a string entry', ['60'], 'body.retrySchedule.0'],
  ];
  it.each(badSchedules)('refuses a retrySchedule that is %s with 422 naming it, on create, PUT and PATCH', async (_what, bad, path) => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/ext-sched' });
    expectFieldError(await createEp(herald.rootToken, app.id, { url: 'https://example.com/ext-sched', retrySchedule: bad }), path);
    expectFieldError(await putEp(herald.rootToken, app.id, ep.id, { url: 'https://example.com/ext-sched', retrySchedule: bad }), path);
    expectFieldError(await patchEp(herald.rootToken, app.id, ep.id, { retrySchedule: bad }), path);
  });

  it('accepts the schedule bounds: one entry, twenty entries, 0 and 86400 seconds', async () => {
    for (const schedule of [[0], Array.from({ length: 20 }, (_, i) => i * 4_000), [86_400, 0]]) {
      expect(
        (await created(herald.rootToken, app.id, { url: 'https://example.com/ext-ok', retrySchedule: schedule })).retrySchedule,
      ).toEqual(schedule);
    }
  });

  it('creates kafka and queue endpoints with their settings, without a URL, and checks settings against the type', async () => {
    const kafka = await createEp(herald.rootToken, app.id, {
      type: 'kafka',
      settings: { topic: 'orders', key: 'data.customer', sasl: { mechanism: 'plain', username: 'u', password: 'secret-pw' } },
    });
    expect(kafka.status, JSON.stringify(kafka.body)).toBe(201);
    expect(kafka.body).toMatchObject({
      type: 'kafka',
      url: '',
      settings: { topic: 'orders', key: 'data.customer', sasl: { username: 'u' } },
    });
    // The SASL password is stored, never shown.
    expect(JSON.stringify(kafka.body)).not.toContain('secret-pw');
    const queue = await createEp(herald.rootToken, app.id, { type: 'queue', settings: { queue: 'jobs' } });
    expect(queue.status).toBe(201);
    expect(queue.body).toMatchObject({ type: 'queue', settings: { queue: 'jobs' } });

    expectFieldError(await createEp(herald.rootToken, app.id, { type: 'kafka' }), 'body.settings.topic');
    expectFieldError(await createEp(herald.rootToken, app.id, { type: 'kafka', settings: { topic: 'bad topic!' } }), 'body.settings.topic');
    expectFieldError(await createEp(herald.rootToken, app.id, { type: 'queue', settings: { topic: 'x' } }), 'body.settings');
    expectFieldError(await createEp(herald.rootToken, app.id, { description: 'no url' }), 'body.url');
    expectFieldError(await createEp(herald.rootToken, app.id, { url: 'https://example.com/x', settings: { topic: 'x' } }), 'body.settings');
    // Turning a webhook into a kafka endpoint needs its settings.
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/ext-type' });
    expectFieldError(await patchEp(herald.rootToken, app.id, ep.id, { type: 'kafka' }), 'body.settings.topic');
    const moved = await patchEp(herald.rootToken, app.id, ep.id, { type: 'kafka', settings: { topic: 'moved' } });
    expect(moved.status).toBe(200);
    expect((await row(app, ep.id)).type).toBe('kafka');
  });

  it('refuses an unknown type and a non-boolean fifo', async () => {
    expectFieldError(await createEp(herald.rootToken, app.id, { url: 'https://example.com/ext', type: 'sqs' }), 'body.type');
    expectFieldError(await createEp(herald.rootToken, app.id, { url: 'https://example.com/ext', fifo: 'yes' }), 'body.fifo');
    expectFieldError(await createEp(herald.rootToken, app.id, { url: 'https://example.com/ext', type: null }), 'body.type');
  });

  it('describes the fields in the OpenAPI document', async () => {
    const doc = await call<{ components: { schemas: Record<string, { properties: Record<string, unknown> }> } }>(
      herald.url,
      'GET',
      '/api/v1/openapi.json',
    );
    for (const name of ['EndpointIn', 'EndpointUpdate', 'EndpointPatch', 'EndpointOut']) {
      expect(Object.keys(doc.body.components.schemas[name]!.properties), name).toEqual(
        expect.arrayContaining(['filter', 'retrySchedule', 'fifo', 'type', 'settings']),
      );
    }
  });
});

describe('DELETE /api/v1/app/{app_id}/endpoint/{endpoint_id}', () => {
  it('deletes by id with 204 and no body; the endpoint is gone', async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/del' });
    expectNoContent(await deleteEp(herald.rootToken, app.id, ep.id));
    expectError(await getEp(herald.rootToken, app.id, ep.id), 404, 'not_found');
    expectError(await deleteEp(herald.rootToken, app.id, ep.id), 404, 'not_found');
    expect(await findEndpoint(herald.database.db, { orgId: herald.orgId, appId: app.id }, ep.id)).toBeUndefined();
  });

  it('deletes by uid, which frees the uid', async () => {
    await created(herald.rootToken, app.id, { url: 'https://example.com/del', uid: 'del-uid' });
    expectNoContent(await deleteEp(herald.rootToken, app.id, 'del-uid'));
    await created(herald.rootToken, app.id, { url: 'https://example.com/again', uid: 'del-uid' });
  });
});

describe('endpoint headers', () => {
  let ep: EndpointOut;

  beforeAll(async () => {
    ep = await created(herald.rootToken, app.id, { url: 'https://example.com/headers', uid: 'with-headers' });
  });

  it('PUT replaces them all (204, no body); GET names the sensitive ones without their values', async () => {
    expectNoContent(
      await putHeaders(herald.rootToken, app.id, ep.id, {
        headers: {
          'X-Custom': 'a',
          Authorization: 'Bearer t0k3n',
          cookie: 'session=1',
          'X-API-Key': 'k',
          'Proxy-Authorization': 'Basic x',
        },
      }),
    );
    const response = await getHeaders(herald.rootToken, app.id, 'with-headers');
    expect(response.status).toBe(200);
    expect(response.body.headers).toEqual({ 'X-Custom': 'a' });
    expect([...response.body.sensitive].sort()).toEqual(['Authorization', 'Proxy-Authorization', 'X-API-Key', 'cookie']);
    // The values are stored (deliveries send them); only the API hides them.
    expect((await row(app, ep.id)).headers).toMatchObject({ Authorization: 'Bearer t0k3n', 'X-API-Key': 'k' });

    expectNoContent(await putHeaders(herald.rootToken, app.id, ep.id, { headers: { 'X-Only': '1' } }));
    expect((await getHeaders(herald.rootToken, app.id, ep.id)).body).toEqual({ headers: { 'X-Only': '1' }, sensitive: [] });

    expectNoContent(await putHeaders(herald.rootToken, app.id, ep.id, { headers: {} }));
    expect((await getHeaders(herald.rootToken, app.id, ep.id)).body).toEqual({ headers: {}, sensitive: [] });
  });

  it('PATCH sets, overrides whatever the case, and deletes case-insensitively', async () => {
    expectNoContent(await putHeaders(herald.rootToken, app.id, ep.id, { headers: { 'X-A': '1', 'X-B': '2', 'X-C': '3' } }));
    expectNoContent(
      await patchHeaders(herald.rootToken, app.id, ep.id, { headers: { 'x-a': 'one', 'X-D': '4' }, deleteHeaders: ['x-b', 'X-Missing'] }),
    );
    expect((await getHeaders(herald.rootToken, app.id, ep.id)).body).toEqual({
      headers: { 'x-a': 'one', 'X-C': '3', 'X-D': '4' },
      sensitive: [],
    });
    expectNoContent(await patchHeaders(herald.rootToken, app.id, ep.id, { headers: {} }));
    expect((await getHeaders(herald.rootToken, app.id, ep.id)).body.headers).toEqual({ 'x-a': 'one', 'X-C': '3', 'X-D': '4' });
  });

  it('leaves the endpoint itself alone', async () => {
    const before = (await getEp(herald.rootToken, app.id, ep.id)).body;
    await patchHeaders(herald.rootToken, app.id, ep.id, { headers: { 'X-E': '5' } });
    expect((await getEp(herald.rootToken, app.id, ep.id)).body).toMatchObject({ ...before, updatedAt: expect.any(String) });
  });

  it('refuses every header Herald sets itself, whatever the case, naming it', async () => {
    for (const name of ['webhook-id', 'Webhook-Timestamp', 'webhook-signature', 'Content-Type', 'content-length', 'Host', 'User-Agent']) {
      const put = await putHeaders(herald.rootToken, app.id, ep.id, { headers: { 'X-Fine': '1', [name]: 'x' } });
      const error = expectFieldError(put, `body.headers.${name}`);
      expect(error.errors).toHaveLength(1);
      expectFieldError(await patchHeaders(herald.rootToken, app.id, ep.id, { headers: { [name]: 'x' } }), `body.headers.${name}`);
    }
  });

  it('refuses bad names and values, names repeated in another case, and setting and deleting one header', async () => {
    expectFieldError(await putHeaders(herald.rootToken, app.id, ep.id, { headers: { 'x:y': '1' } }), 'body.headers.x:y');
    expectFieldError(await putHeaders(herald.rootToken, app.id, ep.id, { headers: { 'X-N': 'a\nb' } }), 'body.headers.X-N');
    expectFieldError(await putHeaders(herald.rootToken, app.id, ep.id, { headers: { 'X-Long': 'v'.repeat(4097) } }), 'body.headers.X-Long');
    expectFieldError(await putHeaders(herald.rootToken, app.id, ep.id, { headers: { 'X-Dup': '1', 'x-dup': '2' } }), 'body.headers.x-dup');
    expectFieldError(await putHeaders(herald.rootToken, app.id, ep.id, {}), 'body.headers');
    expectFieldError(await putHeaders(herald.rootToken, app.id, ep.id, { headers: { 'X-N': 1 } }), 'body.headers.X-N');
    expectFieldError(
      await patchHeaders(herald.rootToken, app.id, ep.id, { headers: { 'X-Both': '1' }, deleteHeaders: ['x-both'] }),
      'body.deleteHeaders.0',
    );
    expectFieldError(await patchHeaders(herald.rootToken, app.id, ep.id, { deleteHeaders: ['X-A'] }), 'body.headers');
  });

  it('answers 404 for an endpoint that does not exist', async () => {
    expectError(await getHeaders(herald.rootToken, app.id, 'nobody'), 404, 'not_found');
    expectError(await putHeaders(herald.rootToken, app.id, 'nobody', { headers: {} }), 404, 'not_found');
    expectError(await patchHeaders(herald.rootToken, app.id, 'nobody', { headers: {} }), 404, 'not_found');
  });
});

describe('endpoint secret', () => {
  it('GET answers the current key', async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/sec', uid: 'sec-get' });
    const response = await getSecret(herald.rootToken, app.id, 'sec-get');
    expect(response.status).toBe(200);
    expect(Object.keys(response.body)).toEqual(['key']);
    expect(response.body.key).toBe((await row(app, ep.id)).secret);
  });

  it('rotate (204, no body) generates a new key and keeps the old one for 24 hours by default', async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/rot' });
    const old = (await getSecret(herald.rootToken, app.id, ep.id)).body.key;
    const before = Date.now();
    expectNoContent(await rotate(herald.rootToken, app.id, ep.id, {}));
    const fresh = (await getSecret(herald.rootToken, app.id, ep.id)).body.key;
    expect(fresh).toMatch(SECRET);
    expect(fresh).not.toBe(old);

    const stored = await row(app, ep.id);
    expect(stored.secret).toBe(fresh);
    expect(stored.previousSecret).toBe(old);
    const expires = stored.previousSecretExpiresAt!.getTime();
    expect(expires).toBeGreaterThanOrEqual(before + DAY_MS - 5_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + DAY_MS + 5_000);
  });

  it('rotate refuses a key the signer could not use', async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/rot-bad' });
    expectFieldError(await rotate(herald.rootToken, app.id, ep.id, { key: `abc=${'a'.repeat(36)}` }), 'body.key');
  });

  it('rotate takes a key (adding whsec_) and a grace period', async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/rot2' });
    const old = (await getSecret(herald.rootToken, app.id, ep.id)).body.key;
    const raw = 'C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
    const before = Date.now();
    expectNoContent(await rotate(herald.rootToken, app.id, ep.id, { key: raw, gracePeriodSeconds: 60 }));
    expect((await getSecret(herald.rootToken, app.id, ep.id)).body.key).toBe(`whsec_${raw}`);
    const stored = await row(app, ep.id);
    expect(stored.previousSecret).toBe(old);
    expect(stored.previousSecretExpiresAt!.getTime()).toBeGreaterThanOrEqual(before + 60_000 - 5_000);
    expect(stored.previousSecretExpiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 60_000 + 5_000);

    // A second rotation retires the key set above; grace 0 expires it at once.
    expectNoContent(await rotate(herald.rootToken, app.id, ep.id, { key: null, gracePeriodSeconds: 0 }));
    const again = await row(app, ep.id);
    expect(again.previousSecret).toBe(`whsec_${raw}`);
    expect(again.previousSecretExpiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 5_000);
  });

  it('rotate works without any body', async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/rot3' });
    const old = (await getSecret(herald.rootToken, app.id, ep.id)).body.key;
    expectNoContent(await rotate(herald.rootToken, app.id, ep.id));
    expect((await row(app, ep.id)).previousSecret).toBe(old);
  });

  it('rotate refuses a bad key or grace period with 422 and changes nothing', async () => {
    const ep = await created(herald.rootToken, app.id, { url: 'https://example.com/rot4' });
    const old = (await getSecret(herald.rootToken, app.id, ep.id)).body.key;
    expectFieldError(await rotate(herald.rootToken, app.id, ep.id, { key: 'short' }), 'body.key');
    expectFieldError(await rotate(herald.rootToken, app.id, ep.id, { gracePeriodSeconds: 604_801 }), 'body.gracePeriodSeconds');
    expectFieldError(await rotate(herald.rootToken, app.id, ep.id, { gracePeriodSeconds: -1 }), 'body.gracePeriodSeconds');
    expectFieldError(await rotate(herald.rootToken, app.id, ep.id, { other: 1 }), 'body.other');
    expect((await getSecret(herald.rootToken, app.id, ep.id)).body.key).toBe(old);
    expect((await row(app, ep.id)).previousSecret).toBeNull();
  });

  it('answers 404 for an endpoint that does not exist', async () => {
    expectError(await getSecret(herald.rootToken, app.id, 'nobody'), 404, 'not_found');
    expectError(await rotate(herald.rootToken, app.id, 'nobody', {}), 404, 'not_found');
  });
});

describe('tenancy', () => {
  let ep: EndpointOut;

  /** Every endpoint operation, against one application and endpoint reference. */
  const operations = (appRef: string, epRef: string) =>
    [
      ['create', (t: string) => createEp(t, appRef, { url: 'https://example.com/t' })],
      ['list', (t: string) => listEps(t, appRef)],
      ['get', (t: string) => getEp(t, appRef, epRef)],
      ['update', (t: string) => putEp(t, appRef, epRef, { url: 'https://example.com/t' })],
      ['patch', (t: string) => patchEp(t, appRef, epRef, { description: 'hijacked' })],
      ['delete', (t: string) => deleteEp(t, appRef, epRef)],
      ['get headers', (t: string) => getHeaders(t, appRef, epRef)],
      ['update headers', (t: string) => putHeaders(t, appRef, epRef, { headers: {} })],
      ['patch headers', (t: string) => patchHeaders(t, appRef, epRef, { headers: { 'X-H': '1' } })],
      ['get secret', (t: string) => getSecret(t, appRef, epRef)],
      ['rotate secret', (t: string) => rotate(t, appRef, epRef, {})],
    ] as const;

  async function expectUntouched() {
    expect((await getEp(herald.rootToken, app.id, ep.id)).body).toEqual(ep);
    expect((await row(app, ep.id)).previousSecret).toBeNull();
    expect((await getHeaders(herald.rootToken, app.id, ep.id)).body.headers).toEqual({});
    expect((await listEps(herald.rootToken, app.id, '?limit=250')).body.data.filter((e) => e.url === 'https://example.com/t')).toEqual([]);
  }

  beforeAll(async () => {
    ep = await created(herald.rootToken, app.id, { url: 'https://example.com/tenant', uid: 'tenant-ep' });
  });

  it("hides one organization's endpoints from another organization's key (404 for every operation)", async () => {
    const other = await newOrganization('Other org');
    for (const [appRef, epRef] of [
      [app.id, ep.id],
      ['ep-owner', 'tenant-ep'],
    ] as const) {
      for (const [name, run] of operations(appRef, epRef)) {
        const response = await run(other.token);
        expect(response.status, `${name}: ${JSON.stringify(response.body)}`).toBe(404);
        expect((response.body as unknown as ErrorBody).code).toBe('not_found');
      }
    }
    await expectUntouched();
  });

  it("lets another organization use the same app uid without seeing this one's endpoints", async () => {
    const other = await newOrganization('Uid twin org');
    await newApp(other.token, 'Twin', 'ep-owner');
    expect((await listEps(other.token, 'ep-owner')).body.data).toEqual([]);
    expectError(await getEp(other.token, 'ep-owner', 'tenant-ep'), 404, 'not_found');
    const mine = await created(other.token, 'ep-owner', { url: 'https://example.com/theirs', uid: 'tenant-ep' });
    expect(mine.id).not.toBe(ep.id);
    expect((await getEp(herald.rootToken, 'ep-owner', 'tenant-ep')).body).toEqual(ep);
  });

  describe('an app-scoped key', () => {
    let own: ApplicationOut;
    let ownToken: string;
    let siblingToken: string;

    beforeAll(async () => {
      own = await newApp(herald.rootToken, 'Scoped', 'scoped-ep-app');
      const sibling = await newApp(herald.rootToken, 'Sibling', 'sibling-ep-app');
      ({ token: ownToken } = await issueApiKey(herald.database.db, { orgId: herald.orgId, scope: 'app', appId: own.id, name: 'own' }));
      ({ token: siblingToken } = await issueApiKey(herald.database.db, {
        orgId: herald.orgId,
        scope: 'app',
        appId: sibling.id,
        name: 'sibling',
      }));
    });

    it('manages the endpoints of its own application', async () => {
      const made = await created(ownToken, own.id, { url: 'https://example.com/scoped', uid: 'scoped-ep' });
      expect((await getEp(ownToken, 'scoped-ep-app', 'scoped-ep')).body).toEqual(made);
      expect((await listEps(ownToken, own.id)).body.data).toEqual([made]);
      expect((await patchEp(ownToken, own.id, made.id, { description: 'mine' })).body.description).toBe('mine');
      expect((await putEp(ownToken, own.id, made.id, { url: 'https://example.com/scoped2' })).status).toBe(200);
      expectNoContent(await putHeaders(ownToken, own.id, made.id, { headers: { 'X-S': '1' } }));
      expectNoContent(await patchHeaders(ownToken, own.id, made.id, { headers: { 'X-T': '2' } }));
      expect((await getHeaders(ownToken, own.id, made.id)).body.headers).toEqual({ 'X-S': '1', 'X-T': '2' });
      expect((await getSecret(ownToken, own.id, made.id)).body.key).toMatch(SECRET);
      expectNoContent(await rotate(ownToken, own.id, made.id, {}));
      expectNoContent(await deleteEp(ownToken, own.id, made.id));
    });

    it('gets 404 for every operation on another application of its organization', async () => {
      for (const [appRef, epRef] of [
        [app.id, ep.id],
        ['ep-owner', 'tenant-ep'],
      ] as const) {
        for (const [name, run] of operations(appRef, epRef)) {
          const response = await run(siblingToken);
          expect(response.status, `${name}: ${JSON.stringify(response.body)}`).toBe(404);
          expect((response.body as unknown as ErrorBody).code).toBe('not_found');
        }
      }
      await expectUntouched();
    });
  });

  it('asks for an API key on every operation (401)', async () => {
    for (const [name, run] of operations(app.id, ep.id)) {
      const response = await run('');
      expect(response.status, name).toBe(401);
    }
  });
});

describe('OpenAPI document', () => {
  it('describes every endpoint route and the endpoint schemas', async () => {
    const doc = await call<{ paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } }>(
      herald.url,
      'GET',
      '/api/v1/openapi.json',
    );
    expect(doc.status).toBe(200);
    const { paths, components } = doc.body;
    expect(Object.keys(paths['/api/v1/app/{app_id}/endpoint']!)).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(paths['/api/v1/app/{app_id}/endpoint/{endpoint_id}']!)).toEqual(
      expect.arrayContaining(['get', 'put', 'patch', 'delete']),
    );
    expect(Object.keys(paths['/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers']!)).toEqual(
      expect.arrayContaining(['get', 'put', 'patch']),
    );
    expect(Object.keys(paths['/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret']!)).toContain('get');
    expect(Object.keys(paths['/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate']!)).toContain('post');
    expect(Object.keys(components.schemas)).toEqual(
      expect.arrayContaining([
        'EndpointIn',
        'EndpointUpdate',
        'EndpointPatch',
        'EndpointOut',
        'EndpointHeadersIn',
        'EndpointHeadersPatchIn',
        'EndpointHeadersOut',
        'EndpointSecretOut',
        'EndpointSecretRotateIn',
        'ListResponseEndpointOut',
      ]),
    );
  });
});
