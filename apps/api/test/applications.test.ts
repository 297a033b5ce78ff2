import type { ApplicationOut, ErrorBody, ListPage } from '@herald/core';
import { createOrganization, issueApiKey } from '@herald/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHerald, type TestHerald } from '../../../test/support/harness';

const ID = /^app_[0-9A-Za-z]{22}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const OUT_FIELDS = ['createdAt', 'id', 'metadata', 'name', 'rateLimit', 'throttleRate', 'uid', 'updatedAt'];

let herald: TestHerald;

beforeAll(async () => {
  herald = await startTestHerald();
});
afterAll(async () => {
  await herald?.close();
});

const createApp = (token: string, json: unknown, query = '') =>
  call<ApplicationOut>(herald.url, 'POST', `/api/v1/app${query}`, { token, json });
const getApp = (token: string, idOrUid: string) =>
  call<ApplicationOut>(herald.url, 'GET', `/api/v1/app/${encodeURIComponent(idOrUid)}`, { token });
const listApps = (token: string, query = '') => call<ListPage<ApplicationOut>>(herald.url, 'GET', `/api/v1/app${query}`, { token });

/** A second organization, made the way an operator would, with an org-wide key. */
async function newOrganization(name: string) {
  const org = await createOrganization(herald.database.db, { name });
  const { token } = await issueApiKey(herald.database.db, { orgId: org.id, scope: 'org', name: `${name} key` });
  return { orgId: org.id, token };
}

async function created(token: string, json: unknown): Promise<ApplicationOut> {
  const response = await createApp(token, json);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

/** Follows `iterator` until `done`, failing instead of looping forever. */
async function walk(token: string, params: Record<string, string>) {
  const pages: ListPage<ApplicationOut>[] = [];
  let iterator: string | null = null;
  for (let i = 0; i < 20; i++) {
    const query = new URLSearchParams(params);
    if (iterator) query.set('iterator', iterator);
    const response = await listApps(token, `?${query}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    pages.push(response.body);
    if (response.body.done) return pages;
    expect(response.body.iterator).toEqual(expect.any(String));
    iterator = response.body.iterator;
  }
  throw new Error('pagination never reported done');
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('POST /api/v1/app', () => {
  it('creates an application and answers 201 with every field', async () => {
    const before = Date.now();
    const response = await createApp(herald.rootToken, {
      name: 'Acme Corp',
      uid: 'acme-1',
      rateLimit: 100,
      throttleRate: 50,
      metadata: { plan: 'pro', region: 'eu' },
    });
    const after = Date.now();

    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const app = response.body;
    expect(Object.keys(app).sort()).toEqual(OUT_FIELDS);
    expect(app.id).toMatch(ID);
    expect(app.uid).toBe('acme-1');
    expect(app.name).toBe('Acme Corp');
    expect(app.rateLimit).toBe(100);
    expect(app.throttleRate).toBe(50);
    expect(app.metadata).toEqual({ plan: 'pro', region: 'eu' });
    expect(app.createdAt).toMatch(ISO);
    expect(app.updatedAt).toMatch(ISO);
    // The database clock stamps the row; allow it a little drift from this process's clock.
    expect(Date.parse(app.createdAt)).toBeGreaterThanOrEqual(before - 5_000);
    expect(Date.parse(app.createdAt)).toBeLessThanOrEqual(after + 5_000);
    expect(Date.parse(app.updatedAt)).toBeGreaterThanOrEqual(Date.parse(app.createdAt));
  });

  it('answers null and {} for the optional fields left out', async () => {
    const app = await created(herald.rootToken, { name: 'Minimal' });
    expect(app).toEqual({
      id: expect.stringMatching(ID),
      uid: null,
      name: 'Minimal',
      rateLimit: null,
      throttleRate: null,
      metadata: {},
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
    });
  });

  it('gives every application its own id, even without a uid', async () => {
    const a = await created(herald.rootToken, { name: 'Twin' });
    const b = await created(herald.rootToken, { name: 'Twin' });
    expect(a.id).not.toBe(b.id);
  });

  it('refuses a uid already taken in the organization with 409 conflict and keeps the original', async () => {
    const original = await created(herald.rootToken, { name: 'First', uid: 'taken-uid' });
    const again = await createApp(herald.rootToken, { name: 'Second', uid: 'taken-uid' });
    expect(again.status).toBe(409);
    const error = again.body as unknown as ErrorBody;
    expect(error.code).toBe('conflict');
    expect(error.requestId).toBe(again.headers.get('x-request-id'));

    const explicitFalse = await createApp(herald.rootToken, { name: 'Third', uid: 'taken-uid' }, '?get_if_exists=false');
    expect(explicitFalse.status).toBe(409);

    expect((await getApp(herald.rootToken, 'taken-uid')).body).toEqual(original);
  });

  it('answers the existing application with 200 when get_if_exists=true and the uid is taken', async () => {
    const original = await created(herald.rootToken, { name: 'Keeper', uid: 'get-or-create', metadata: { v: '1' } });
    const response = await createApp(herald.rootToken, { name: 'Ignored', uid: 'get-or-create' }, '?get_if_exists=true');
    expect(response.status).toBe(200);
    expect(response.body).toEqual(original);

    const all = await walk(herald.rootToken, { limit: '250' });
    expect(all.flatMap((page) => page.data).filter((app) => app.uid === 'get-or-create')).toHaveLength(1);
  });

  it('creates with 201 when get_if_exists=true and the uid is free', async () => {
    const response = await createApp(herald.rootToken, { name: 'Fresh', uid: 'fresh-uid' }, '?get_if_exists=true');
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ name: 'Fresh', uid: 'fresh-uid', id: expect.stringMatching(ID) });
  });
});

describe('GET /api/v1/app/{app_id}', () => {
  it('finds an application by id and by uid', async () => {
    const app = await created(herald.rootToken, { name: 'Findable', uid: 'findable', metadata: { k: 'v' } });
    const byId = await getApp(herald.rootToken, app.id);
    expect(byId.status).toBe(200);
    expect(byId.body).toEqual(app);
    const byUid = await getApp(herald.rootToken, 'findable');
    expect(byUid.status).toBe(200);
    expect(byUid.body).toEqual(app);
  });

  it('answers 404 not_found for an id or uid that does not exist', async () => {
    for (const missing of ['app_0000000000000000000000', 'no-such-uid']) {
      const response = await getApp(herald.rootToken, missing);
      expect(response.status).toBe(404);
      expect((response.body as unknown as ErrorBody).code).toBe('not_found');
    }
  });
});

describe('GET /api/v1/app', () => {
  // An organization of its own, so the list holds exactly the applications made here.
  let token: string;
  let apps: ApplicationOut[];

  beforeAll(async () => {
    ({ token } = await newOrganization('Pagination org'));
    apps = [];
    for (let i = 0; i < 5; i++) {
      apps.push(await created(token, { name: `Paged ${i}`, uid: `paged-${i}` }));
      // Ids order by millisecond; a pause keeps "newest" unambiguous.
      await pause(3);
    }
  });

  it('lists newest first by default, in one page when it fits', async () => {
    const response = await listApps(token);
    expect(response.status).toBe(200);
    const page = response.body;
    expect(Object.keys(page).sort()).toEqual(['data', 'done', 'iterator', 'prevIterator']);
    expect(page.data).toEqual([...apps].reverse());
    expect(page.done).toBe(true);
    expect(page.iterator).toBe(apps[0]!.id);
    expect(page.prevIterator).toBe(`-${apps[4]!.id}`);
  });

  it('walks back to the previous page with prevIterator', async () => {
    const first = await listApps(token, '?limit=2');
    const second = await listApps(token, `?limit=2&iterator=${first.body.iterator}`);
    expect(second.body.data.map((a) => a.id)).toEqual([apps[2]!.id, apps[1]!.id]);
    const back = await listApps(token, `?limit=2&iterator=${encodeURIComponent(second.body.prevIterator!)}`);
    expect(back.status).toBe(200);
    expect(back.body.data).toEqual(first.body.data);
  });

  it('walks pages of two with the iterator, seeing every application exactly once', async () => {
    const pages = await walk(token, { limit: '2' });
    expect(pages.map((page) => page.data.length)).toEqual([2, 2, 1]);
    expect(pages.map((page) => page.done)).toEqual([false, false, true]);
    const seen = pages.flatMap((page) => page.data.map((app) => app.id));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...apps].reverse().map((app) => app.id));
  });

  it('walks oldest first with order=ascending', async () => {
    const pages = await walk(token, { limit: '2', order: 'ascending' });
    expect(pages.map((page) => page.done)).toEqual([false, false, true]);
    expect(pages.flatMap((page) => page.data)).toEqual(apps);
  });

  it('reports done on a page that ends exactly at the last application', async () => {
    const response = await listApps(token, '?limit=5');
    expect(response.status).toBe(200);
    expect(response.body.data).toHaveLength(5);
    expect(response.body.done).toBe(true);
  });
});

describe('tenancy', () => {
  let mine: ApplicationOut;
  let other: { orgId: string; token: string };

  beforeAll(async () => {
    mine = await created(herald.rootToken, { name: 'Mine', uid: 'tenant-shared-uid' });
    other = await newOrganization('Other org');
  });

  it("hides one organization's application from another organization's key", async () => {
    for (const ref of [mine.id, 'tenant-shared-uid']) {
      const response = await getApp(other.token, ref);
      expect(response.status).toBe(404);
      expect((response.body as unknown as ErrorBody).code).toBe('not_found');
    }
  });

  it('lets each organization use the same uid and lists only its own applications', async () => {
    const theirs = await created(other.token, { name: 'Theirs', uid: 'tenant-shared-uid' });
    expect(theirs.id).not.toBe(mine.id);

    expect((await getApp(other.token, 'tenant-shared-uid')).body).toEqual(theirs);
    expect((await getApp(herald.rootToken, 'tenant-shared-uid')).body).toEqual(mine);

    const otherList = await listApps(other.token, '?limit=250');
    expect(otherList.status).toBe(200);
    expect(otherList.body.data.map((app) => app.id)).toEqual([theirs.id]);

    const myIds = (await walk(herald.rootToken, { limit: '250' })).flatMap((page) => page.data.map((app) => app.id));
    expect(myIds).toContain(mine.id);
    expect(myIds).not.toContain(theirs.id);
  });

  describe('an app-scoped key', () => {
    let own: ApplicationOut;
    let sibling: ApplicationOut;
    let appToken: string;

    beforeAll(async () => {
      own = await created(herald.rootToken, { name: 'Scoped', uid: 'scoped-app' });
      sibling = await created(herald.rootToken, { name: 'Sibling', uid: 'sibling-app' });
      ({ token: appToken } = await issueApiKey(herald.database.db, {
        orgId: herald.orgId,
        scope: 'app',
        appId: own.id,
        name: 'subscriber',
      }));
    });

    it('may not create or list applications (403 forbidden)', async () => {
      const create = await createApp(appToken, { name: 'Sneaky' });
      expect(create.status).toBe(403);
      expect((create.body as unknown as ErrorBody).code).toBe('forbidden');

      const list = await listApps(appToken);
      expect(list.status).toBe(403);
      expect((list.body as unknown as ErrorBody).code).toBe('forbidden');
    });

    it('reads its own application by id and by uid', async () => {
      for (const ref of [own.id, 'scoped-app']) {
        const response = await getApp(appToken, ref);
        expect(response.status).toBe(200);
        expect(response.body).toEqual(own);
      }
    });

    it('gets 404, not 403, for any other application of its organization', async () => {
      for (const ref of [sibling.id, 'sibling-app']) {
        const response = await getApp(appToken, ref);
        expect(response.status).toBe(404);
        expect((response.body as unknown as ErrorBody).code).toBe('not_found');
      }
    });
  });
});
