import { newId } from '@herald/core';
import { createOrganization, issueApiKey, schema } from '@herald/db';
import { and, eq, inArray } from 'drizzle-orm';
import { createParser } from 'eventsource-parser';
import { ApiException, Svix } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHerald, startTestWorker, type TestHerald } from '../../../test/support/harness';
import { type Receiver, startReceiver } from '../../../test/support/receiver';

/**
 * Bulk replay end to end on the redis backend, with a real worker and real
 * receivers: dead letters replayed by filter (exactly once each, with
 * progress), idempotent starts, cancel, Svix `endpoint.replayMissing`,
 * tenancy and validation. Dead letters are seeded straight into the database.
 */
let herald: TestHerald;
let worker: { close(): Promise<void> };
let svix: Svix;
const receivers: Receiver[] = [];

interface Task {
  id: string;
  appId: string;
  endpointId: string | null;
  kind: string;
  filter: Record<string, unknown>;
  status: string;
  total: number;
  done: number;
}
type Errors = { errors: { path: string }[] };

beforeAll(async () => {
  herald = await startTestHerald({ queue: 'redis', config: { HERALD_RETRY_SCHEDULE: '1', HERALD_DELIVERY_TIMEOUT_MS: '1000' } });
  worker = startTestWorker(herald, { timeoutMs: 1000 });
  svix = new Svix(herald.rootToken, { serverUrl: herald.url, retryScheduleInMs: [] });
});
afterAll(async () => {
  await worker?.close();
  await herald?.close();
  for (const receiver of receivers) await receiver.close();
});

const api = <T = Record<string, unknown>>(method: string, path: string, json?: unknown, token = herald.rootToken) =>
  call<T>(herald.url, method, `/api/v1${path}`, { token, json });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const until = async <T>(probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
};

async function receiver() {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

async function application(uid: string) {
  const created = await api<{ id: string }>('POST', '/app', { name: uid, uid });
  expect(created.status).toBe(201);
  return created.body.id;
}

async function endpoint(app: string, r: Receiver, extra: Record<string, unknown> = {}) {
  const created = await api<{ id: string }>('POST', `/app/${app}/endpoint`, { url: `${r.url}/hook`, ...extra });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

/** Messages already fanned out, each with a dead-lettered delivery to `ep`. Returns the message ids. */
async function seedDead(app: string, ep: string, n: number, eventType: string, reason: string): Promise<string[]> {
  const db = herald.database.db;
  const ids: string[] = [];
  for (let start = 0; start < n; start += 1000) {
    const chunk = Array.from({ length: Math.min(1000, n - start) }, (_, i) => ({
      id: newId('message'),
      orgId: herald.orgId,
      appId: app,
      eventType,
      payload: { n: start + i },
      dispatchedAt: new Date(),
      fannedOutAt: new Date(),
    }));
    await db.insert(schema.messages).values(chunk);
    await db.insert(schema.deliveries).values(
      chunk.map((m) => ({
        id: newId('delivery'),
        orgId: herald.orgId,
        appId: app,
        messageId: m.id,
        endpointId: ep,
        status: 'dead' as const,
        attemptCount: 2,
        lastAttemptAt: new Date(),
        lastError: reason,
      })),
    );
    ids.push(...chunk.map((m) => m.id));
  }
  return ids;
}

const countsById = (r: Receiver) => {
  const counts = new Map<string, number>();
  for (const q of r.requests) counts.set(String(q.headers['webhook-id']), (counts.get(String(q.headers['webhook-id'])) ?? 0) + 1);
  return counts;
};

const task = async (app: string, id: string) => {
  const response = await api<Task>('GET', `/app/${app}/replay/${id}`);
  expect(response.status).toBe(200);
  return response.body;
};

const ended = (app: string, id: string) =>
  until(async () => {
    const t = await task(app, id);
    return t.status !== 'running' && t;
  });

/** Reads a replay task's progress stream to its end with eventsource-parser. */
async function readProgress(app: string, taskId: string): Promise<Task[]> {
  const response = await fetch(`${herald.url}/api/v1/app/${app}/replay/${taskId}/stream`, {
    headers: { authorization: `Bearer ${herald.rootToken}`, accept: 'text/event-stream' },
  });
  expect(response.status).toBe(200);
  const events: Task[] = [];
  const parser = createParser({ onEvent: (event) => event.event === 'progress' && events.push(JSON.parse(event.data) as Task) });
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
  return events;
}

describe('bulk replay of dead letters', () => {
  it('sends each matching dead letter exactly once, reports progress, and does not double-send on a second start', async () => {
    const app = await application('bulk');
    const r = await receiver();
    const ep = await endpoint(app, r);
    const matching = await seedDead(app, ep, 1000, 'bulk.a', 'HTTP 500: Broken receiver');
    const otherType = await seedDead(app, ep, 5, 'bulk.other', 'HTTP 500: Broken receiver');
    const otherReason = await seedDead(app, ep, 5, 'bulk.a', 'connection timed out');

    const filter = { endpointId: ep, eventTypes: ['bulk.a'], reason: 'broken', since: new Date(Date.now() - 3600_000).toISOString() };
    const [first, second] = await Promise.all([
      api<Task>('POST', `/app/${app}/dead-letter/replay`, filter),
      api<Task>('POST', `/app/${app}/dead-letter/replay`, { ...filter, eventTypes: ['bulk.a', 'bulk.a'] }),
    ]);
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(second.status).toBe(202);
    expect(first.body.id).toMatch(/^qtask_/);
    expect(second.body.id).toBe(first.body.id);
    expect(first.body).toMatchObject({ appId: app, endpointId: ep, kind: 'dead_letters', total: 1000 });

    // Progress is pushed over SSE until the task ends.
    const progress = await readProgress(app, first.body.id);
    expect(progress.at(-1)).toMatchObject({ status: 'finished', total: 1000, done: 1000 });
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.done).toBeGreaterThanOrEqual(progress[i - 1]!.done);

    const done = await ended(app, first.body.id);
    expect(done).toMatchObject({ status: 'finished', total: 1000, done: 1000 });
    await r.waitFor(1000, 60_000);
    await sleep(1500);
    const counts = countsById(r);
    expect(counts.size).toBe(1000);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(counts.keys())).toEqual(new Set(matching));

    const rows = await herald.database.db
      .select({ status: schema.deliveries.status })
      .from(schema.deliveries)
      .where(and(eq(schema.deliveries.endpointId, ep), inArray(schema.deliveries.messageId, [...otherType, ...otherReason])));
    expect(rows.map((row) => row.status)).toEqual(Array(10).fill('dead'));

    // Started again once finished: a new task, with nothing left to send.
    const again = await api<Task>('POST', `/app/${app}/dead-letter/replay`, filter);
    expect(again.status).toBe(202);
    expect(again.body.id).not.toBe(first.body.id);
    expect(await ended(app, again.body.id)).toMatchObject({ status: 'finished', total: 0, done: 0 });
    await sleep(500);
    expect(r.requests).toHaveLength(1000);
  }, 120_000);

  it('stops a running task when canceled', async () => {
    const app = await application('bulk-cancel');
    const r = await receiver();
    const ep = await endpoint(app, r);
    await seedDead(app, ep, 6000, 'bulk.c', 'broken');

    const started = await api<Task>('POST', `/app/${app}/dead-letter/replay`, {});
    expect(started.status).toBe(202);
    expect(started.body.total).toBe(6000);
    const canceled = await api<Task>('POST', `/app/${app}/replay/${started.body.id}/cancel`, {});
    expect(canceled.status, JSON.stringify(canceled.body)).toBe(202);
    expect(canceled.body.status).toBe('canceled');

    await sleep(1000);
    const after = await task(app, started.body.id);
    expect(after.status).toBe('canceled');
    expect(after.done).toBeLessThan(after.total);
    await sleep(500);
    expect((await task(app, started.body.id)).done).toBe(after.done);

    const twice = await api('POST', `/app/${app}/replay/${started.body.id}/cancel`, {});
    expect(twice.status).toBe(409);
    const unknown = await api('GET', `/app/${app}/replay/qtask_0000000000000000000000`);
    expect(unknown.status).toBe(404);
  });
});

describe('replay-missing (svix endpoint.replayMissing)', () => {
  it('delivers the messages sent before the endpoint existed, matching its filter, once', async () => {
    const app = await application('missing');
    const early = await receiver();
    await endpoint(app, early);
    const sent: { id: string; eventType: string }[] = [];
    for (const eventType of ['m.a', 'm.a', 'm.skip', 'm.a']) {
      const msg = await api<{ id: string }>('POST', `/app/${app}/msg`, { eventType, payload: { eventType } });
      expect(msg.status).toBe(202);
      sent.push({ id: msg.body.id, eventType });
    }
    await early.waitFor(4);
    await sleep(200);

    const late = await receiver();
    const ep = await endpoint(app, late, { filterTypes: ['m.a'] });
    const out = await svix.endpoint.replayMissing('missing', ep, { since: new Date(Date.now() - 3600_000) });
    expect(out.id).toMatch(/^qtask_/);
    expect(out.status).toBe('running');
    expect(out.task).toBe('endpoint.replay');
    expect(out.updatedAt).toBeInstanceOf(Date);

    const expected = sent.filter((m) => m.eventType === 'm.a').map((m) => m.id);
    await late.waitFor(3);
    expect(await ended(app, out.id)).toMatchObject({ kind: 'replay_missing', status: 'finished', total: 3, done: 3 });
    const again = await svix.endpoint.replayMissing('missing', ep, { since: new Date(Date.now() - 3600_000) });
    expect(await ended(app, again.id)).toMatchObject({ status: 'finished', total: 0 });
    await sleep(1000);
    const counts = countsById(late);
    expect(new Set(counts.keys())).toEqual(new Set(expected));
    expect([...counts.values()]).toEqual([1, 1, 1]);
  });
});

describe('validation and tenancy', () => {
  let app: string;
  let ep: string;
  let taskId: string;
  const keys = { otherOrg: '', otherApp: '', ownApp: '' };

  beforeAll(async () => {
    app = await application('replay-tenant');
    ep = await endpoint(app, await receiver());
    const started = await api<Task>('POST', `/app/${app}/dead-letter/replay`, { reason: 'nothing matches this' });
    taskId = started.body.id;
    await ended(app, taskId);
    const db = herald.database.db;
    const other = await createOrganization(db, { name: 'Other' });
    keys.otherOrg = (await issueApiKey(db, { orgId: other.id, scope: 'org', name: 'other' })).token;
    keys.ownApp = (await issueApiKey(db, { orgId: herald.orgId, scope: 'app', appId: app, name: 'own' })).token;
    const sibling = await application('replay-tenant-sibling');
    keys.otherApp = (await issueApiKey(db, { orgId: herald.orgId, scope: 'app', appId: sibling, name: 'sibling' })).token;
  });

  it('answers 422 naming the field for an absurd range, an inverted range and unknown fields', async () => {
    const hour = 3600_000;
    const cases: [string, unknown, string][] = [
      [`/app/${app}/dead-letter/replay`, { since: new Date(Date.now() - 100 * 24 * hour).toISOString() }, 'body.since'],
      [
        `/app/${app}/dead-letter/replay`,
        { since: new Date(Date.now() - hour).toISOString(), until: new Date(Date.now() - 2 * hour).toISOString() },
        'body.until',
      ],
      [`/app/${app}/dead-letter/replay`, { since: 'yesterday' }, 'body.since'],
      [`/app/${app}/dead-letter/replay`, { bogus: 1 }, 'body.bogus'],
      [`/app/${app}/endpoint/${ep}/replay-missing`, { since: new Date(Date.now() - 91 * 24 * hour).toISOString() }, 'body.since'],
      [
        `/app/${app}/endpoint/${ep}/replay-missing`,
        { since: new Date(Date.now() - hour).toISOString(), until: new Date(Date.now() - hour).toISOString() },
        'body.until',
      ],
      [`/app/${app}/endpoint/${ep}/replay-missing`, {}, 'body.since'],
    ];
    for (const [path, body, field] of cases) {
      const response = await api<Errors>('POST', path, body);
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(response.body.errors.map((e) => e.path)).toContain(field);
    }
    const viaClient = await svix.endpoint
      .replayMissing('replay-tenant', ep, { since: new Date(Date.now() - 100 * 24 * hour) })
      .catch((e: unknown) => e);
    expect(viaClient).toBeInstanceOf(ApiException);
    expect((viaClient as ApiException<unknown>).code).toBe(422);
    const unknownEndpoint = await api('POST', `/app/${app}/dead-letter/replay`, { endpointId: 'ep_0000000000000000000000' });
    expect(unknownEndpoint.status).toBe(404);
  });

  it("answers 404 to another organization's key and another application's key", async () => {
    const since = new Date(Date.now() - 3600_000).toISOString();
    const routes = [
      ['POST', `/app/${app}/dead-letter/replay`, {}],
      ['GET', `/app/${app}/replay/${taskId}`, undefined],
      ['POST', `/app/${app}/replay/${taskId}/cancel`, {}],
      ['POST', `/app/${app}/endpoint/${ep}/replay-missing`, { since }],
    ] as const;
    for (const token of [keys.otherOrg, keys.otherApp]) {
      for (const [method, path, body] of routes) {
        const response = await api(method, path, body, token);
        expect(response.status, `${method} ${path}`).toBe(404);
        expect(JSON.stringify(response.body)).not.toContain(taskId);
      }
    }
    const own = await api<Task>('GET', `/app/replay-tenant/replay/${taskId}`, undefined, keys.ownApp);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ id: taskId, status: 'finished', total: 0, done: 0 });
  });
});
