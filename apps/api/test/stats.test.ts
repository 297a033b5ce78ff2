import { newId } from '@herald/core';
import { createOrganization, issueApiKey, schema } from '@herald/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHerald, type TestHerald } from '../../../test/support/harness';

/**
 * Deliveries and attempts are written by the worker; here they are seeded
 * straight into the tables so the stats are checked on known rows.
 */
let herald: TestHerald;
let intruder = '';
const ids = { app: '', ok: '', broken: '', idle: '', m1: '', m2: '', m3: '' };
const HOUR = 3_600_000;
// Attempts land in two whole hours well in the past, so buckets are deterministic.
const base = Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR;

const get = <T = Record<string, unknown>>(path: string, token = herald.rootToken) => call<T>(herald.url, 'GET', path, { token });

beforeAll(async () => {
  herald = await startTestHerald();
  const root = herald.rootToken;
  const post = async (path: string, json: unknown) => (await call<{ id: string }>(herald.url, 'POST', path, { token: root, json })).body.id;
  ids.app = await post('/api/v1/app', { name: 'Stats', uid: 'stats' });
  ids.ok = await post(`/api/v1/app/${ids.app}/endpoint`, { url: 'https://ok.test/hook', uid: 'ok' });
  ids.broken = await post(`/api/v1/app/${ids.app}/endpoint`, { url: 'https://broken.test/hook', uid: 'broken' });
  ids.idle = await post(`/api/v1/app/${ids.app}/endpoint`, { url: 'https://idle.test/hook', uid: 'idle' });
  ids.m1 = await post(`/api/v1/app/${ids.app}/msg`, { eventType: 'a.b', payload: { n: 1 } });
  ids.m2 = await post(`/api/v1/app/${ids.app}/msg`, { eventType: 'a.b', payload: { n: 2 } });
  ids.m3 = await post(`/api/v1/app/${ids.app}/msg`, { eventType: 'a.b', payload: { n: 3 } });

  const db = herald.database.db;
  const delivery = async (messageId: string, endpointId: string, status: 'pending' | 'sending' | 'succeeded' | 'failed' | 'dead') => {
    const id = newId('delivery');
    await db.insert(schema.deliveries).values({ id, orgId: herald.orgId, appId: ids.app, messageId, endpointId, status });
    return id;
  };
  const attempt = async (deliveryId: string, messageId: string, endpointId: string, ok: boolean, durationMs: number, at: number) => {
    await db.insert(schema.attempts).values({
      id: newId('attempt', at),
      orgId: herald.orgId,
      appId: ids.app,
      messageId,
      endpointId,
      deliveryId,
      status: ok ? 'succeeded' : 'failed',
      url: 'https://x.test/hook',
      responseStatusCode: ok ? 200 : 500,
      durationMs,
      createdAt: new Date(at),
    });
  };
  // ok: m1 succeeded, m2 succeeded, m3 sending. broken: m1 dead, m2 failed, m3 pending.
  const ok1 = await delivery(ids.m1, ids.ok, 'succeeded');
  const ok2 = await delivery(ids.m2, ids.ok, 'succeeded');
  await delivery(ids.m3, ids.ok, 'sending');
  const br1 = await delivery(ids.m1, ids.broken, 'dead');
  const br2 = await delivery(ids.m2, ids.broken, 'failed');
  await delivery(ids.m3, ids.broken, 'pending');
  // Hour 0: ok 10 ms, ok 20 ms, broken 100 ms. Hour 1: ok 30 ms, broken 200 ms, broken 300 ms.
  await attempt(ok1, ids.m1, ids.ok, true, 10, base + 60_000);
  await attempt(ok2, ids.m2, ids.ok, true, 20, base + 120_000);
  await attempt(br1, ids.m1, ids.broken, false, 100, base + 180_000);
  await attempt(ok2, ids.m2, ids.ok, true, 30, base + HOUR + 60_000);
  await attempt(br1, ids.m1, ids.broken, false, 200, base + HOUR + 120_000);
  await attempt(br2, ids.m2, ids.broken, false, 300, base + HOUR + 180_000);

  const other = await createOrganization(db, { name: 'Intruder' });
  intruder = (await issueApiKey(db, { orgId: other.id, scope: 'org', name: 'intruder' })).token;
});
afterAll(async () => {
  await herald?.close();
});

describe('endpoint stats (Svix EndpointStats)', () => {
  it('counts deliveries by Svix status', async () => {
    const ok = await get(`/api/v1/app/stats/endpoint/ok/stats`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ success: 2, fail: 0, pending: 0, sending: 1, canceled: 0 });
    const broken = await get(`/api/v1/app/${ids.app}/endpoint/${ids.broken}/stats`);
    expect(broken.body).toEqual({ success: 0, fail: 1, pending: 2, sending: 0, canceled: 0 });
    expect((await get(`/api/v1/app/${ids.app}/endpoint/${ids.idle}/stats`)).body).toEqual({
      success: 0,
      fail: 0,
      pending: 0,
      sending: 0,
      canceled: 0,
    });
  });

  it('filters on message creation time', async () => {
    const future = new Date(Date.now() + HOUR).toISOString();
    const past = new Date(Date.now() - HOUR).toISOString();
    expect((await get(`/api/v1/app/${ids.app}/endpoint/ok/stats?since=${encodeURIComponent(future)}`)).body).toMatchObject({
      success: 0,
      sending: 0,
    });
    expect((await get(`/api/v1/app/${ids.app}/endpoint/ok/stats?since=${encodeURIComponent(past)}`)).body).toMatchObject({
      success: 2,
      sending: 1,
    });
    expect((await get(`/api/v1/app/${ids.app}/endpoint/ok/stats?until=${encodeURIComponent(past)}`)).body).toMatchObject({ success: 0 });
  });

  it('rejects a malformed date naming the field', async () => {
    const response = await get<{ errors: { path: string }[] }>(`/api/v1/app/${ids.app}/endpoint/ok/stats?since=yesterday`);
    expect(response.status).toBe(422);
    expect(response.body.errors[0]!.path).toBe('query.since');
  });
});

type Stats = {
  attempts: { succeeded: number; failed: number };
  successRate: number | null;
  p50DurationMs: number | null;
  p99DurationMs: number | null;
  backlog: number;
  buckets: { start: string; succeeded: number; failed: number; p50DurationMs: number | null; p99DurationMs: number | null }[];
};
type Health = { consecutiveFailures: number; failingSince: string | null; circuitOpenUntil: string | null };
type AppStats = Stats & { bucket: string; endpoints: (Stats & { endpointId: string; uid: string | null; health: Health })[] };

describe('application stats', () => {
  const window = `since=${new Date(base).toISOString()}&until=${new Date(base + 2 * HOUR).toISOString()}`;

  it('reports success rate, percentiles and backlog for the app and each endpoint', async () => {
    const response = await get<AppStats>(`/api/v1/app/stats/stats?bucket=hour&${window}`);
    expect(response.status).toBe(200);
    const stats = response.body;
    expect(stats.bucket).toBe('hour');
    expect(stats.attempts).toEqual({ succeeded: 3, failed: 3 });
    expect(stats.successRate).toBeCloseTo(0.5);
    // durations 10, 20, 30, 100, 200, 300: median 65, p99 interpolated 295
    expect(stats.p50DurationMs).toBeCloseTo(65);
    expect(stats.p99DurationMs).toBeCloseTo(295);
    expect(stats.backlog).toBe(3);

    const byUid = Object.fromEntries(stats.endpoints.map((e) => [e.uid, e]));
    expect(Object.keys(byUid).sort()).toEqual(['broken', 'idle', 'ok']);
    expect(byUid.ok).toMatchObject({
      endpointId: ids.ok,
      attempts: { succeeded: 3, failed: 0 },
      successRate: 1,
      p50DurationMs: 20,
      backlog: 1,
    });
    expect(byUid.broken).toMatchObject({ attempts: { succeeded: 0, failed: 3 }, successRate: 0, p50DurationMs: 200, backlog: 2 });
    expect(byUid.broken!.p99DurationMs).toBeCloseTo(298);
    expect(byUid.idle).toMatchObject({ attempts: { succeeded: 0, failed: 0 }, successRate: null, p50DurationMs: null, backlog: 0 });
  });

  it('buckets attempts by status over the whole window', async () => {
    const stats = (await get<AppStats>(`/api/v1/app/${ids.app}/stats?bucket=hour&${window}`)).body;
    expect(stats.buckets.map(({ p99DurationMs: _, ...b }) => b)).toEqual([
      { start: new Date(base).toISOString(), succeeded: 2, failed: 1, p50DurationMs: 20 },
      { start: new Date(base + HOUR).toISOString(), succeeded: 1, failed: 2, p50DurationMs: 200 },
    ]);
    // Hour 0 holds 10, 20 and 100 ms; hour 1 holds 30, 200 and 300 ms (linear interpolation).
    expect(stats.buckets[0]!.p99DurationMs).toBeCloseTo(98.4);
    expect(stats.buckets[1]!.p99DurationMs).toBeCloseTo(298);
    const ok = stats.endpoints.find((e) => e.uid === 'ok')!;
    expect(ok.buckets.map((b) => [b.succeeded, b.failed, b.p50DurationMs])).toEqual([
      [2, 0, 15],
      [1, 0, 30],
    ]);
    const idle = stats.endpoints.find((e) => e.uid === 'idle')!;
    expect(idle.buckets.map((b) => [b.succeeded, b.failed, b.p50DurationMs, b.p99DurationMs])).toEqual([
      [0, 0, null, null],
      [0, 0, null, null],
    ]);
    const minutes = (await get<AppStats>(`/api/v1/app/${ids.app}/stats?bucket=minute&${window}`)).body;
    expect(minutes.buckets).toHaveLength(120);
    expect(minutes.buckets[1]).toMatchObject({ succeeded: 1, failed: 0 });
    expect(minutes.buckets[3]).toMatchObject({ succeeded: 0, failed: 1 });
    const days = (await get<AppStats>(`/api/v1/app/${ids.app}/stats?bucket=day&${window}`)).body;
    expect(days.buckets.reduce((n, b) => n + b.succeeded + b.failed, 0)).toBe(6);
  });

  it("reports each endpoint's circuit breaker as it is now", async () => {
    const since = new Date(base);
    const openUntil = new Date(Date.now() + 60_000);
    await herald.database.db
      .update(schema.endpoints)
      .set({ consecutiveFailures: 7, failingSince: since, circuitOpenUntil: openUntil })
      .where(eq(schema.endpoints.id, ids.broken));
    try {
      const stats = (await get<AppStats>(`/api/v1/app/${ids.app}/stats?bucket=hour&${window}`)).body;
      const health = Object.fromEntries(stats.endpoints.map((e) => [e.uid, e.health]));
      expect(health.broken).toEqual({
        consecutiveFailures: 7,
        failingSince: since.toISOString(),
        circuitOpenUntil: openUntil.toISOString(),
      });
      expect(health.ok).toEqual({ consecutiveFailures: 0, failingSince: null, circuitOpenUntil: null });
    } finally {
      await herald.database.db
        .update(schema.endpoints)
        .set({ consecutiveFailures: 0, failingSince: null, circuitOpenUntil: null })
        .where(eq(schema.endpoints.id, ids.broken));
    }
  });

  it('defaults to the last day in hour buckets', async () => {
    const stats = (await get<AppStats>(`/api/v1/app/${ids.app}/stats`)).body;
    expect(stats.bucket).toBe('hour');
    expect(stats.buckets.length).toBeGreaterThanOrEqual(24);
    expect(stats.buckets.length).toBeLessThanOrEqual(25);
    expect(stats.attempts).toEqual({ succeeded: 3, failed: 3 });
  });

  it('answers 422 naming the field on absurd ranges', async () => {
    const year = `since=${new Date(base - 365 * 24 * HOUR).toISOString()}&until=${new Date(base).toISOString()}`;
    const tooMany = await get<{ code: string; errors: { path: string }[] }>(`/api/v1/app/${ids.app}/stats?bucket=minute&${year}`);
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.code).toBe('validation');
    expect(tooMany.body.errors[0]!.path).toBe('query.since');
    expect((await get(`/api/v1/app/${ids.app}/stats?bucket=day&${year}`)).status).toBe(200);
    const backwards = `since=${new Date(base).toISOString()}&until=${new Date(base - HOUR).toISOString()}`;
    const reversed = await get<{ errors: { path: string }[] }>(`/api/v1/app/${ids.app}/stats?${backwards}`);
    expect(reversed.status).toBe(422);
    expect(reversed.body.errors[0]!.path).toBe('query.since');
    const badBucket = await get<{ errors: { path: string }[] }>(`/api/v1/app/${ids.app}/stats?bucket=week`);
    expect(badBucket.status).toBe(422);
    expect(badBucket.body.errors[0]!.path).toBe('query.bucket');
  });
});

describe('failing endpoints and published event types', () => {
  it("lists the organization's failing endpoints, open circuits first, and refuses app-scoped keys", async () => {
    const db = herald.database.db;
    await db
      .update(schema.endpoints)
      .set({ consecutiveFailures: 4, failingSince: new Date(base), circuitOpenUntil: new Date(Date.now() + HOUR), circuitTrips: 2 })
      .where(eq(schema.endpoints.id, ids.broken));
    await db.update(schema.endpoints).set({ consecutiveFailures: 1, failingSince: new Date() }).where(eq(schema.endpoints.id, ids.idle));
    const listed = await get<{ data: { endpointId: string; appId: string; uid: string; health: Record<string, unknown> }[] }>(
      '/api/v1/stats/endpoint-health',
    );
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((e) => e.endpointId)).toEqual([ids.broken, ids.idle]);
    expect(listed.body.data[0]).toMatchObject({
      appId: ids.app,
      uid: 'broken',
      url: 'https://broken.test/hook',
      health: { consecutiveFailures: 4, failingSince: new Date(base).toISOString(), circuitTrips: 2 },
    });
    expect((await get<{ data: unknown[] }>('/api/v1/stats/endpoint-health', intruder)).body.data).toEqual([]);
    const appKey = (await issueApiKey(db, { orgId: herald.orgId, scope: 'app', appId: ids.app, name: 'app' })).token;
    expect((await get('/api/v1/stats/endpoint-health', appKey)).status).toBe(403);
  });

  it("lists the event types of an application's messages, newest use first, registered or not", async () => {
    await call(herald.url, 'POST', `/api/v1/app/${ids.app}/msg`, {
      token: herald.rootToken,
      json: { eventType: 'z.unregistered', payload: {} },
    });
    const listed = await get<{ data: { eventType: string; lastPublishedAt: string }[] }>(`/api/v1/app/stats/stats/event-types`);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((t) => t.eventType)).toEqual(['z.unregistered', 'a.b']);
    expect((await get(`/api/v1/app/${ids.app}/stats/event-types`, intruder)).status).toBe(404);
  });
});

describe('tenancy', () => {
  it("answers 404 for another organization's application and endpoint", async () => {
    for (const path of [`/api/v1/app/${ids.app}/stats`, `/api/v1/app/stats/stats`, `/api/v1/app/${ids.app}/endpoint/${ids.ok}/stats`]) {
      const response = await get(path, intruder);
      expect(response.status, path).toBe(404);
      expect(JSON.stringify(response.body)).not.toContain(ids.ok);
    }
  });

  it('answers 404 for an unknown endpoint', async () => {
    expect((await get(`/api/v1/app/${ids.app}/endpoint/nope/stats`)).status).toBe(404);
  });
});
