import type { ErrorBody, ListPage, MessageOut } from '@herald/core';
import { bootstrap, createOperator, GENERATED_ADMIN_EMAIL, issueApiKey, schema, verifyPassword } from '@herald/db';
import { eq, sql } from 'drizzle-orm';
import { Svix } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHerald, startTestWorker, type TestHerald, testDatabase } from '../../../test/support/harness';
import { type Receiver, startReceiver } from '../../../test/support/receiver';

/**
 * Dashboard operators end to end against real PostgreSQL: sign-in, lockout,
 * sessions on ordinary and streaming routes, sign-out and expiry, operator
 * management and who may do it, bootstrap of the first admin, and the two
 * routes the dashboard needs besides (send-example, the replay task list).
 */
interface OperatorOut {
  id: string;
  email: string;
  role: 'admin' | 'member';
  orgId: string;
  createdAt: string;
  lastLoginAt: string | null;
}
interface LoginOut {
  token: string;
  expiresAt: string;
  operator: OperatorOut;
}
interface WhoamiOut {
  kind: 'operator' | 'api_key';
  orgId: string;
  scope: 'root' | 'org' | 'app';
  appId: string | null;
  operator: OperatorOut | null;
  expiresAt: string | null;
}

const ADMIN = { email: 'Admin@Example.com', password: 'correct horse battery staple' };
const PASSWORD = 'a long enough password';
const MAX_FAILURES = 3;

let herald: TestHerald;
let adminSession: LoginOut;

beforeAll(async () => {
  herald = await startTestHerald({
    config: { HERALD_ADMIN_EMAIL: ADMIN.email, HERALD_ADMIN_PASSWORD: ADMIN.password, HERALD_LOGIN_MAX_FAILURES: String(MAX_FAILURES) },
    // Every sign-in here comes from 127.0.0.1; the per-address limit has its own test below.
    deps: { loginAttemptsPerClientPerMinute: 1000 },
  });
  adminSession = (await login(ADMIN.email, ADMIN.password)).body as LoginOut;
});
afterAll(async () => {
  await herald?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function login(email: string, password: string, url = herald.url) {
  return call<LoginOut | ErrorBody>(url, 'POST', '/api/v1/auth/login', { json: { email, password } });
}

const as = (token: string) => ({
  get: <T>(path: string) => call<T>(herald.url, 'GET', path, { token }),
  post: <T>(path: string, json: unknown = {}) => call<T>(herald.url, 'POST', path, { token, json }),
  del: <T>(path: string) => call<T>(herald.url, 'DELETE', path, { token }),
});

/** An operator of the main organization, made through the API with the root key. */
async function operator(email: string, role: 'admin' | 'member' = 'member', password = PASSWORD) {
  const created = await as(herald.rootToken).post<OperatorOut>('/api/v1/operator', { email, password, role });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

async function signedIn(email: string, password = PASSWORD) {
  const response = await login(email, password);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body as LoginOut;
}

describe('POST /api/v1/auth/login', () => {
  it('signs in the admin from HERALD_ADMIN_EMAIL/PASSWORD, whatever the case of the email', async () => {
    expect(adminSession.token).toMatch(/^hsess_[A-Za-z0-9_-]{43}$/);
    expect(adminSession.operator).toEqual({
      id: expect.stringMatching(/^op_/),
      email: 'admin@example.com',
      role: 'admin',
      orgId: herald.orgId,
      createdAt: expect.any(String),
      lastLoginAt: expect.any(String),
    });
    // Sessions last HERALD_SESSION_TTL_S, 12 hours by default.
    const ttl = Date.parse(adminSession.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(12 * 3600_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(12 * 3600_000);

    const again = await login('  ADMIN@example.COM ', ADMIN.password);
    expect(again.status).toBe(200);
    expect(again.headers.get('cache-control')).toBe('no-store');
  });

  it('answers a wrong password and an unknown email with the same 401', async () => {
    await operator('wrong-password@example.com');
    const wrong = await login('wrong-password@example.com', 'not the password');
    const unknown = await login('nobody@example.com', PASSWORD);
    for (const response of [wrong, unknown]) {
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ code: 'invalid_credentials', detail: 'email or password is incorrect' });
    }
  });

  it(`locks an account after ${MAX_FAILURES} failures in 15 minutes, even for the right password, with Retry-After`, async () => {
    await operator('locked@example.com');
    for (let i = 0; i < MAX_FAILURES; i++) expect((await login('locked@example.com', `guess ${i}`)).status).toBe(401);
    const locked = await login('locked@example.com', PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ code: 'rate_limited', detail: expect.stringContaining('too many failed sign-ins') });
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(800);
    expect(retryAfter).toBeLessThanOrEqual(900);

    // The window ends (moved back here rather than waited for): the right password works again and clears the count.
    await herald.database.db
      .update(schema.loginFailures)
      .set({ windowStart: sql`now() - interval '16 minutes'` })
      .where(eq(schema.loginFailures.email, 'locked@example.com'));
    expect((await login('locked@example.com', PASSWORD)).status).toBe(200);
    const rows = await herald.database.db.select().from(schema.loginFailures).where(eq(schema.loginFailures.email, 'locked@example.com'));
    expect(rows).toEqual([]);
  });

  it('locks an email nobody has in the same way, so a lockout does not reveal which emails exist', async () => {
    for (let i = 0; i < MAX_FAILURES; i++) expect((await login('ghost@example.com', `guess ${i}`)).status).toBe(401);
    const locked = await login('ghost@example.com', PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('resets the failure count on a successful sign-in', async () => {
    await operator('forgetful@example.com');
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < MAX_FAILURES - 1; i++) expect((await login('forgetful@example.com', 'typo')).status).toBe(401);
      expect((await login('forgetful@example.com', PASSWORD)).status).toBe(200);
    }
  });

  it.each([
    [{ email: 'a@example.com' }, 'body.password'],
    [{ password: 'x' }, 'body.email'],
    [{ email: '   ', password: 'x' }, 'body.email'],
    [{ email: 'a@example.com', password: '' }, 'body.password'],
    [{ email: 'a@example.com', password: 'x'.repeat(1025) }, 'body.password'],
    [{ email: `${'a'.repeat(320)}@example.com`, password: 'x' }, 'body.email'],
    [{ email: 'a@example.com', password: 'x', remember: true }, 'body.remember'],
  ])('refuses %j with 422 naming %s', async (json, path) => {
    const response = await call<ErrorBody>(herald.url, 'POST', '/api/v1/auth/login', { json });
    expect(response.status).toBe(422);
    expect(response.body.code).toBe('validation');
    expect(response.body.errors?.map((e) => e.path)).toContain(path);
  });
});

describe('operator sessions', () => {
  it('work on organization routes, but not on root-key routes', async () => {
    const admin = as(adminSession.token);
    const created = await admin.post<{ id: string }>('/api/v1/app', { name: 'made by an operator', uid: 'operator-app' });
    expect(created.status).toBe(201);
    expect((await admin.get('/api/v1/app/operator-app')).status).toBe(200);
    expect((await admin.get('/api/v1/organization')).status).toBe(403);
  });

  it('open the attempts stream and a replay progress stream (fetch with an Authorization header)', async () => {
    const streamStart = async (path: string) => {
      const abort = new AbortController();
      const response = await fetch(`${herald.url}${path}`, {
        headers: { authorization: `Bearer ${adminSession.token}`, accept: 'text/event-stream' },
        signal: abort.signal,
      });
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const first = await response.body!.getReader().read();
      abort.abort();
      return new TextDecoder().decode(first.value);
    };
    expect(await streamStart('/api/v1/stream/attempts')).toMatch(/retry: \d+/);

    const app = await as(adminSession.token).post<{ id: string }>('/api/v1/app', { name: 'streamed replay' });
    const task = await as(adminSession.token).post<{ id: string }>(`/api/v1/app/${app.body.id}/dead-letter/replay`, {});
    expect(task.status).toBe(202);
    expect(await streamStart(`/api/v1/app/${app.body.id}/replay/${task.body.id}/stream`)).toMatch(/event: progress/);
  });

  it('end open streams soon after their credential ends: sign-out, operator removed, API key revoked', async () => {
    /** Opens the attempt stream and resolves with how long after `ended` was set the server closed it. */
    const openStream = async (token: string) => {
      const response = await fetch(`${herald.url}/api/v1/stream/attempts`, {
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      });
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      const closed = (async () => {
        for (;;) if ((await reader.read()).done) return Date.now();
      })();
      return { closed, cancel: () => reader.cancel().catch(() => {}) };
    };
    const endsWithin = async (stream: Awaited<ReturnType<typeof openStream>>, end: () => Promise<unknown>) => {
      await sleep(300);
      const started = Date.now();
      await end();
      const closedAt = await Promise.race([stream.closed, sleep(5000).then(() => undefined)]);
      await stream.cancel();
      expect(closedAt, 'the stream is still open 5 s after its credential ended').toBeDefined();
      return closedAt! - started;
    };

    const signedOut = await signedIn((await operator('streamer-out@example.com')).email);
    const a = await openStream(signedOut.token);
    expect(await endsWithin(a, () => as(signedOut.token).post('/api/v1/auth/logout'))).toBeLessThan(3000);

    const removed = await operator('streamer-removed@example.com');
    const removedSession = await signedIn(removed.email);
    const b = await openStream(removedSession.token);
    expect(await endsWithin(b, () => as(herald.rootToken).del(`/api/v1/operator/${removed.id}`))).toBeLessThan(3000);

    const key = await as(herald.rootToken).post<{ id: string; token: string }>('/api/v1/api-key', { name: 'streaming', scope: 'org' });
    const c = await openStream(key.body.token);
    expect(await endsWithin(c, () => as(herald.rootToken).del(`/api/v1/api-key/${key.body.id}`))).toBeLessThan(3000);

    // A credential that stays good keeps its stream.
    const kept = await openStream(adminSession.token);
    const stillOpen = await Promise.race([kept.closed, sleep(2500).then(() => 'open')]);
    await kept.cancel();
    expect(stillOpen).toBe('open');
  });

  it('say who is calling: operator, org or root key, app-portal token', async () => {
    const mine = await as(adminSession.token).get<WhoamiOut>('/api/v1/auth/whoami');
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual({
      kind: 'operator',
      orgId: herald.orgId,
      scope: 'org',
      appId: null,
      operator: expect.objectContaining({ id: adminSession.operator.id, email: 'admin@example.com', role: 'admin' }),
      expiresAt: adminSession.expiresAt,
    });

    const root = await as(herald.rootToken).get<WhoamiOut>('/api/v1/auth/whoami');
    expect(root.body).toEqual({ kind: 'api_key', orgId: herald.orgId, scope: 'root', appId: null, operator: null, expiresAt: null });

    const app = await as(adminSession.token).post<{ id: string }>('/api/v1/app', { name: 'portal', uid: 'whoami-portal' });
    const portal = await as(adminSession.token).post<{ token: string }>('/api/v1/auth/app-portal-access/whoami-portal');
    expect(portal.status).toBe(200);
    const sub = await as(portal.body.token).get<WhoamiOut>('/api/v1/auth/whoami');
    expect(sub.body).toMatchObject({ kind: 'api_key', scope: 'app', appId: app.body.id, operator: null, expiresAt: expect.any(String) });
  });

  it('end on sign-out, at once on this process', async () => {
    await operator('leaver@example.com');
    const session = await signedIn('leaver@example.com');
    const mine = as(session.token);
    expect((await mine.get('/api/v1/app')).status).toBe(200);
    expect((await mine.post('/api/v1/auth/logout')).status).toBe(204);
    const after = await mine.get<ErrorBody>('/api/v1/app');
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ code: 'unauthorized', detail: 'invalid session, sign in again' });
    const rows = await herald.database.db
      .select()
      .from(schema.operatorSessions)
      .where(eq(schema.operatorSessions.operatorId, session.operator.id));
    expect(rows).toEqual([]);
  });

  it('sign-out with an API key does nothing to the key', async () => {
    const { token } = await issueApiKey(herald.database.db, { orgId: herald.orgId, scope: 'org', name: 'logout-noop' });
    expect((await as(token).post('/api/v1/auth/logout')).status).toBe(204);
    await sleep(1100);
    expect((await as(token).get('/api/v1/app')).status).toBe(200);
  });

  it('refuse an expired session with "session expired, sign in again"', async () => {
    await operator('sleepy@example.com');
    const session = await signedIn('sleepy@example.com');
    await herald.database.db
      .update(schema.operatorSessions)
      .set({ expiresAt: sql`now() - interval '1 minute'` })
      .where(eq(schema.operatorSessions.operatorId, session.operator.id));
    const response = await as(session.token).get<ErrorBody>('/api/v1/app');
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'unauthorized', detail: 'session expired, sign in again' });
    const unknown = await as(`hsess_${'A'.repeat(43)}`).get<ErrorBody>('/api/v1/app');
    expect(unknown.status).toBe(401);
  });
});

describe('operator management', () => {
  it('lets an admin session add, list and remove operators', async () => {
    const admin = as(adminSession.token);
    const created = await admin.post<OperatorOut>('/api/v1/operator', {
      email: 'New.Member@Example.com',
      password: PASSWORD,
      role: 'member',
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^op_/),
      email: 'new.member@example.com',
      role: 'member',
      orgId: herald.orgId,
      createdAt: expect.any(String),
      lastLoginAt: null,
    });
    expect(JSON.stringify(created.body)).not.toMatch(/argon2|password/i);

    const first = await admin.get<ListPage<OperatorOut>>('/api/v1/operator?limit=1');
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(1);
    expect(first.body.done).toBe(false);
    const all = await admin.get<ListPage<OperatorOut>>('/api/v1/operator?limit=250');
    expect(all.body.data.map((o) => o.email)).toEqual(expect.arrayContaining(['admin@example.com', 'new.member@example.com']));
    const next = await admin.get<ListPage<OperatorOut>>(`/api/v1/operator?limit=1&iterator=${first.body.iterator}`);
    expect(next.body.data[0]?.id).not.toBe(first.body.data[0]?.id);

    expect((await admin.del(`/api/v1/operator/${created.body.id}`)).status).toBe(204);
    expect((await admin.del(`/api/v1/operator/${created.body.id}`)).status).toBe(404);
  });

  it('lets organization keys manage operators, and refuses members and app-scoped keys with 403', async () => {
    const { token: orgKey } = await issueApiKey(herald.database.db, { orgId: herald.orgId, scope: 'org', name: 'operators' });
    const byKey = await as(orgKey).post<OperatorOut>('/api/v1/operator', {
      email: 'by-key@example.com',
      password: PASSWORD,
      role: 'member',
    });
    expect(byKey.status).toBe(201);

    const member = as((await signedIn('by-key@example.com')).token);
    expect((await member.get('/api/v1/app')).status).toBe(200);
    for (const response of [
      await member.get('/api/v1/operator'),
      await member.post('/api/v1/operator', { email: 'x@example.com', password: PASSWORD, role: 'admin' }),
      await member.del(`/api/v1/operator/${adminSession.operator.id}`),
      // Or a member could issue itself an organization key and make itself an admin with it.
      await member.post('/api/v1/api-key', { name: 'escalate', scope: 'org' }),
      await member.get('/api/v1/api-key'),
    ]) {
      expect(response.status).toBe(403);
      expect(response.body).toMatchObject({ code: 'forbidden' });
    }

    const app = await as(herald.rootToken).post<{ id: string }>('/api/v1/app', { name: 'app-key-app' });
    const { token: appKey } = await issueApiKey(herald.database.db, {
      orgId: herald.orgId,
      scope: 'app',
      appId: app.body.id,
      name: 'app',
    });
    expect((await as(appKey).get('/api/v1/operator')).status).toBe(403);
    expect((await as(appKey).post('/api/v1/operator', { email: 'y@example.com', password: PASSWORD })).status).toBe(403);
  });

  it("keeps organizations apart: another organization's operator is not found", async () => {
    const root = as(herald.rootToken);
    const org = await root.post<{ id: string }>('/api/v1/organization', { name: 'Elsewhere' });
    const { token } = await issueApiKey(herald.database.db, { orgId: org.body.id, scope: 'org', name: 'elsewhere' });
    const theirs = await as(token).post<OperatorOut>('/api/v1/operator', {
      email: 'theirs@example.com',
      password: PASSWORD,
      role: 'admin',
    });
    expect(theirs.body.orgId).toBe(org.body.id);

    expect((await as(adminSession.token).del(`/api/v1/operator/${theirs.body.id}`)).status).toBe(404);
    const mine = await as(adminSession.token).get<ListPage<OperatorOut>>('/api/v1/operator?limit=250');
    expect(mine.body.data.map((o) => o.orgId)).toEqual(mine.body.data.map(() => herald.orgId));
    expect(JSON.stringify(mine.body)).not.toContain('theirs@example.com');

    const theirSession = await signedIn('theirs@example.com');
    expect(theirSession.operator.orgId).toBe(org.body.id);
    const seen = await as(theirSession.token).get<ListPage<OperatorOut>>('/api/v1/operator');
    expect(seen.body.data.map((o) => o.email)).toEqual(['theirs@example.com']);
    expect((await as(theirSession.token).get('/api/v1/app/operator-app')).status).toBe(404);
  });

  it('refuses to remove yourself or the last admin, and a taken email, with 409', async () => {
    const self = await as(adminSession.token).del<ErrorBody>(`/api/v1/operator/${adminSession.operator.id}`);
    expect(self.status).toBe(409);
    expect(self.body.detail).toMatch(/yourself/);

    const org = await as(herald.rootToken).post<{ id: string }>('/api/v1/organization', { name: 'One admin' });
    const { token } = await issueApiKey(herald.database.db, { orgId: org.body.id, scope: 'org', name: 'one-admin' });
    const key = as(token);
    const only = await key.post<OperatorOut>('/api/v1/operator', { email: 'only@example.com', password: PASSWORD, role: 'admin' });
    const last = await key.del<ErrorBody>(`/api/v1/operator/${only.body.id}`);
    expect(last.status).toBe(409);
    expect(last.body).toMatchObject({ code: 'conflict', detail: expect.stringContaining('last admin') });
    const second = await key.post<OperatorOut>('/api/v1/operator', { email: 'second@example.com', password: PASSWORD, role: 'admin' });
    expect((await key.del(`/api/v1/operator/${only.body.id}`)).status).toBe(204);
    expect((await key.del(`/api/v1/operator/${second.body.id}`)).status).toBe(409);

    const taken = await key.post<ErrorBody>('/api/v1/operator', { email: 'SECOND@example.com', password: PASSWORD, role: 'member' });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('conflict');
  });

  it("ends a removed operator's sessions on every API process within a second", async () => {
    const { startApiServer } = await import('@herald/api');
    const second = await startApiServer({ config: herald.config, db: herald.database.db, queue: herald.queue });
    try {
      const gone = await operator('removed@example.com');
      const session = await signedIn('removed@example.com');
      // Warm the second process's cache, then remove the operator through the first.
      expect((await call(second.url, 'GET', '/api/v1/app', { token: session.token })).status).toBe(200);
      const removedAt = Date.now();
      expect((await as(adminSession.token).del(`/api/v1/operator/${gone.id}`)).status).toBe(204);
      expect((await as(session.token).get('/api/v1/app')).status).toBe(401);
      let status = 200;
      while (status === 200 && Date.now() - removedAt < 3000) {
        status = (await call(second.url, 'GET', '/api/v1/app', { token: session.token })).status;
        if (status === 200) await sleep(50);
      }
      expect(status).toBe(401);
      expect(Date.now() - removedAt).toBeLessThan(1300);
    } finally {
      await second.close();
    }
  });

  it.each([
    [{ email: 'not-an-email', password: PASSWORD, role: 'member' }, 'body.email'],
    [{ email: 'short@example.com', password: 'too short', role: 'member' }, 'body.password'],
    [{ email: 'owner@example.com', password: PASSWORD, role: 'owner' }, 'body.role'],
    [{ email: 'extra@example.com', password: PASSWORD, role: 'member', name: 'x' }, 'body.name'],
    [{ password: PASSWORD }, 'body.email'],
  ])('refuses %j with 422 naming %s', async (json, path) => {
    const response = await as(adminSession.token).post<ErrorBody>('/api/v1/operator', json);
    expect(response.status).toBe(422);
    expect(response.body.errors?.map((e) => e.path)).toContain(path);
  });
});

describe('bootstrap', () => {
  it('creates admin@herald.local with a generated password once, and the configured admin on a later start', async () => {
    const database = await testDatabase();
    try {
      const db = database.db;
      // Without `operators` (the test harness), nobody is created.
      await bootstrap(db, { adminToken: 'x'.repeat(32) });
      expect(await db.select().from(schema.operators)).toEqual([]);

      const first = await bootstrap(db, { operators: { admin: undefined } });
      expect(first.generatedAdmin?.email).toBe(GENERATED_ADMIN_EMAIL);
      expect(first.generatedAdmin?.password.length).toBeGreaterThanOrEqual(20);
      const [generated] = await db.select().from(schema.operators);
      expect(generated).toMatchObject({ email: GENERATED_ADMIN_EMAIL, role: 'admin', orgId: first.orgId });
      expect(generated!.passwordHash).toMatch(/^\$argon2id\$/);
      expect(await verifyPassword(generated!.passwordHash, first.generatedAdmin!.password)).toBe(true);

      expect((await bootstrap(db, { operators: { admin: undefined } })).generatedAdmin).toBeUndefined();

      const later = { email: 'later@example.com', password: 'a configured password' };
      expect((await bootstrap(db, { operators: { admin: later } })).generatedAdmin).toBeUndefined();
      // A changed password in a later start changes nothing: it counts at creation only.
      await bootstrap(db, { operators: { admin: { ...later, password: 'another configured one' } } });
      const operators = await db.select().from(schema.operators).orderBy(schema.operators.id);
      expect(operators.map((o) => [o.email, o.role])).toEqual([
        [GENERATED_ADMIN_EMAIL, 'admin'],
        ['later@example.com', 'admin'],
      ]);
      expect(await verifyPassword(operators[1]!.passwordHash, later.password)).toBe(true);
    } finally {
      await database.close();
    }
  });

  it('creates only the configured admin on a first start with HERALD_ADMIN_EMAIL', async () => {
    const database = await testDatabase();
    try {
      const result = await bootstrap(database.db, { operators: { admin: { email: 'ops@example.com', password: 'twelve chars!' } } });
      expect(result.generatedAdmin).toBeUndefined();
      const operators = await database.db.select().from(schema.operators);
      expect(operators.map((o) => o.email)).toEqual(['ops@example.com']);
    } finally {
      await database.close();
    }
  });
});

describe('POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example', () => {
  let worker: { close(): Promise<void> };
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    worker = startTestWorker(herald);
  });
  afterAll(async () => {
    await worker?.close();
    for (const receiver of receivers) await receiver.close();
  });

  it('delivers an example message to that endpoint only', async () => {
    const [target, bystander] = [await startReceiver(), await startReceiver()];
    receivers.push(target, bystander);
    const admin = as(adminSession.token);
    const app = await admin.post<{ id: string }>('/api/v1/app', { name: 'examples' });
    const endpoint = await admin.post<{ id: string }>(`/api/v1/app/${app.body.id}/endpoint`, { url: `${target.url}/hook` });
    await admin.post(`/api/v1/app/${app.body.id}/endpoint`, { url: `${bystander.url}/hook` });

    const sent = await admin.post<MessageOut>(`/api/v1/app/${app.body.id}/endpoint/${endpoint.body.id}/send-example`, {
      eventType: 'user.created',
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect(sent.body).toMatchObject({
      id: expect.stringMatching(/^msg_/),
      eventType: 'user.created',
      payload: { type: 'user.created', example: true, sentAt: expect.any(String) },
    });

    const [request] = await target.waitFor(1, 20_000);
    expect(JSON.parse(request!.body)).toEqual(sent.body.payload);
    expect(request!.headers['webhook-id']).toBe(sent.body.id);
    await sleep(500);
    expect(bystander.requests).toEqual([]);
    const deliveries = await herald.database.db.select().from(schema.deliveries).where(eq(schema.deliveries.messageId, sent.body.id));
    expect(deliveries.map((d) => d.endpointId)).toEqual([endpoint.body.id]);
    const listed = await admin.get<ListPage<MessageOut>>(`/api/v1/app/${app.body.id}/msg`);
    expect(listed.body.data.map((m) => m.id)).toContain(sent.body.id);
  });

  it('works with the svix client, and refuses a disabled or unknown endpoint', async () => {
    const target = await startReceiver();
    receivers.push(target);
    const svix = new Svix(herald.rootToken, { serverUrl: herald.url, retryScheduleInMs: [] });
    const app = await svix.application.create({ name: 'svix examples' });
    const endpoint = await svix.endpoint.create(app.id, { url: `${target.url}/hook` });
    const message = await svix.endpoint.sendExample(app.id, endpoint.id, { eventType: 'invoice.paid' });
    expect(message.eventType).toBe('invoice.paid');
    await target.waitFor(1, 20_000);

    await svix.endpoint.patch(app.id, endpoint.id, { disabled: true });
    const disabled = await as(herald.rootToken).post(`/api/v1/app/${app.id}/endpoint/${endpoint.id}/send-example`, { eventType: 'a.b' });
    expect(disabled.status).toBe(409);
    const unknown = await as(herald.rootToken).post(`/api/v1/app/${app.id}/endpoint/ep_missing/send-example`, { eventType: 'a.b' });
    expect(unknown.status).toBe(404);
    const invalid = await as(herald.rootToken).post<ErrorBody>(`/api/v1/app/${app.id}/endpoint/${endpoint.id}/send-example`, {});
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors?.map((e) => e.path)).toContain('body.eventType');
  });
});

describe('GET /api/v1/app/{app_id}/replay', () => {
  it("lists the application's replay tasks newest first, a page at a time", async () => {
    const admin = as(adminSession.token);
    const app = await admin.post<{ id: string }>('/api/v1/app', { name: 'replays', uid: 'replay-list' });
    const other = await admin.post<{ id: string }>('/api/v1/app', { name: 'other replays' });
    await admin.post(`/api/v1/app/${other.body.id}/dead-letter/replay`, {});
    const started: string[] = [];
    for (const reason of ['timeout', 'refused', 'reset']) {
      const task = await admin.post<{ id: string }>(`/api/v1/app/${app.body.id}/dead-letter/replay`, { reason });
      expect(task.status).toBe(202);
      started.push(task.body.id);
    }

    const first = await admin.get<ListPage<{ id: string; appId: string; kind: string }>>('/api/v1/app/replay-list/replay?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.data.map((t) => t.id)).toEqual([started[2], started[1]]);
    expect(first.body.done).toBe(false);
    const rest = await admin.get<ListPage<{ id: string }>>(`/api/v1/app/replay-list/replay?limit=2&iterator=${first.body.iterator}`);
    expect(rest.body.data.map((t) => t.id)).toEqual([started[0]]);
    expect(rest.body.done).toBe(true);

    const { token } = await issueApiKey(herald.database.db, { orgId: herald.orgId, scope: 'app', appId: other.body.id, name: 'x' });
    expect((await as(token).get(`/api/v1/app/${app.body.id}/replay`)).status).toBe(404);
  });
});

describe('sign-in attempts per client address', () => {
  it('are limited per API process, so unknown emails cannot make it hash without end', async () => {
    const own = await startTestHerald();
    try {
      // Different emails: no account lockout, only the per-address limit applies.
      for (let i = 0; i < 30; i++) expect((await login(`nobody-${i}@example.com`, 'whatever', own.url)).status).toBe(401);
      const limited = await login('nobody-31@example.com', 'whatever', own.url);
      expect(limited.status).toBe(429);
      expect(limited.body).toMatchObject({ code: 'rate_limited', detail: expect.stringContaining('this address') });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    } finally {
      await own.close();
    }
  });
});

describe('lockout as a weapon', () => {
  const from = (url: string, client: string, email: string, password: string) =>
    call<LoginOut | ErrorBody>(url, 'POST', '/api/v1/auth/login', { json: { email, password }, headers: { 'x-forwarded-for': client } });

  it('locks the address that guessed wrong, never the account: the admin still signs in from elsewhere', async () => {
    // Behind a trusted proxy (here: loopback, where the tests connect from), X-Forwarded-For names the client.
    const own = await startTestHerald({
      config: {
        HERALD_ADMIN_EMAIL: 'boss@example.com',
        HERALD_ADMIN_PASSWORD: PASSWORD,
        HERALD_LOGIN_MAX_FAILURES: '3',
        HERALD_TRUSTED_PROXIES: '127.0.0.1',
      },
      deps: { loginAttemptsPerClientPerMinute: 1000 },
    });
    try {
      for (let i = 0; i < 3; i++) expect((await from(own.url, '203.0.113.7', 'boss@example.com', `guess ${i}`)).status).toBe(401);
      const stranger = await from(own.url, '203.0.113.7', 'boss@example.com', PASSWORD);
      expect(stranger.status).toBe(429);
      // The proxy appends what it saw: a client cannot pose as another by writing the header itself.
      const posing = await from(own.url, '198.51.100.1, 203.0.113.7', 'boss@example.com', PASSWORD);
      expect(posing.status).toBe(429);
      const admin = await from(own.url, '198.51.100.20', 'boss@example.com', PASSWORD);
      expect(admin.status, JSON.stringify(admin.body)).toBe(200);
      // Several proxies: hops that are themselves trusted are skipped.
      expect((await from(own.url, '203.0.113.7, 127.0.0.1', 'boss@example.com', PASSWORD)).status).toBe(429);
    } finally {
      await own.close();
    }
  });

  it('ignores X-Forwarded-For unless the peer is a trusted proxy', async () => {
    const own = await startTestHerald({
      config: { HERALD_ADMIN_EMAIL: 'chief@example.com', HERALD_ADMIN_PASSWORD: PASSWORD, HERALD_LOGIN_MAX_FAILURES: '2' },
      deps: { loginAttemptsPerClientPerMinute: 1000 },
    });
    try {
      for (let i = 0; i < 2; i++) expect((await from(own.url, `192.0.2.${i}`, 'chief@example.com', `guess ${i}`)).status).toBe(401);
      // Changing the header does not dodge the lock: the TCP peer is the client.
      expect((await from(own.url, '192.0.2.99', 'chief@example.com', PASSWORD)).status).toBe(429);
    } finally {
      await own.close();
    }
  });
});

describe('operators in the database', () => {
  it('are created with lower-cased emails even through the query layer', async () => {
    const row = await createOperator(herald.database.db, {
      orgId: herald.orgId,
      email: ' Mixed@Example.COM ',
      password: PASSWORD,
      role: 'member',
    });
    expect(row?.email).toBe('mixed@example.com');
    expect((await login('mixed@example.com', PASSWORD)).status).toBe(200);
  });
});
