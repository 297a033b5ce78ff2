import { createOrganization, issueApiKey, schema } from '@herald/db';
import { and, eq } from 'drizzle-orm';
import { ApiException, Svix } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHerald, startTestWorker, type TestHerald } from '../../../test/support/harness';
import { type Handler, type Receiver, startReceiver } from '../../../test/support/receiver';

/**
 * The manual delivery operations end to end on the redis backend, with a
 * real worker and real receivers: Svix `resend` and `recover`, and Herald's
 * dead-letter list and replay. The retry schedule is one retry after 1 s, so
 * a failing delivery is dead-lettered after two attempts.
 */
let herald: TestHerald;
let worker: { close(): Promise<void> };
let svix: Svix;
const receivers: Receiver[] = [];

interface DeadLetter {
  id: string;
  appId: string;
  messageId: string;
  endpointId: string;
  eventType: string;
  eventId: string | null;
  attemptCount: number;
  lastAttemptAt: string | null;
  reason: string | null;
}
interface Page<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}
interface Attempt {
  status: number;
  triggerType: number;
  responseStatusCode: number;
  endpointId: string;
}

beforeAll(async () => {
  herald = await startTestHerald({ queue: 'redis', config: { HERALD_RETRY_SCHEDULE: '1', HERALD_DELIVERY_TIMEOUT_MS: '1000' } });
  worker = startTestWorker(herald, {
    timeoutMs: 1000,
  });
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

async function receiver(handler?: Handler) {
  const r = await startReceiver(handler);
  receivers.push(r);
  return r;
}

const failing: Handler = () => ({ status: 500, body: 'broken' });

/** Each test gets its own application, so endpoints of one never receive another's messages. */
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

async function publish(app: string, eventType: string, payload: unknown, extra: Record<string, unknown> = {}) {
  const response = await api<{ id: string; timestamp: string }>('POST', `/app/${app}/msg`, { eventType, payload, ...extra });
  expect(response.status).toBe(202);
  return response.body;
}

async function delivery(messageId: string, endpointId: string) {
  const [row] = await herald.database.db
    .select()
    .from(schema.deliveries)
    .where(and(eq(schema.deliveries.messageId, messageId), eq(schema.deliveries.endpointId, endpointId)));
  return row;
}

const settled = (messageId: string, endpointId: string, status: 'dead' | 'succeeded') =>
  until(async () => {
    const row = await delivery(messageId, endpointId);
    return row?.status === status && row;
  });

const attemptsOf = async (app: string, messageId: string, endpointId: string) =>
  (await api<Page<Attempt>>('GET', `/app/${app}/attempt/msg/${messageId}?endpoint_id=${endpointId}`)).body.data;

const webhookIds = (requests: Receiver['requests']) => requests.map((q) => String(q.headers['webhook-id']));

describe('dead letters', () => {
  let app: string;
  let r: Receiver;
  let ep: string;
  let msg: { id: string };
  let deadLetter: DeadLetter;

  beforeAll(async () => {
    app = await application('dead-letters');
    r = await receiver(failing);
    ep = await endpoint(app, r, { uid: 'flaky' });
    msg = await publish(app, 'invoice.failed', { n: 1 }, { eventId: 'evt-dead-1' });
    await settled(msg.id, ep, 'dead');
  });

  it('lists a message that failed until dead-lettered, with the reason', async () => {
    const page = await api<Page<DeadLetter>>('GET', `/app/${app}/dead-letter`);
    expect(page.status).toBe(200);
    expect(page.body.done).toBe(true);
    expect(page.body.data).toHaveLength(1);
    deadLetter = page.body.data[0]!;
    const row = await delivery(msg.id, ep);
    expect(deadLetter).toEqual({
      id: row!.id,
      appId: app,
      messageId: msg.id,
      endpointId: ep,
      eventType: 'invoice.failed',
      eventId: 'evt-dead-1',
      attemptCount: 2,
      lastAttemptAt: expect.any(String),
      reason: 'broken',
    });
    expect(new Date(deadLetter.lastAttemptAt!).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(r.requests).toHaveLength(2);
  });

  it('replays it once the receiver recovers: exactly one more request, a manual attempt', async () => {
    r.respond(() => ({ status: 200, body: 'thanks' }));
    const replay = await api('POST', `/app/${app}/dead-letter/${deadLetter.id}/replay`, {});
    expect(replay.status, JSON.stringify(replay.body)).toBe(202);
    expect(replay.body).toEqual({});
    const row = await settled(msg.id, ep, 'succeeded');
    expect(row.attemptCount).toBe(3);
    await sleep(1500);
    expect(r.requests).toHaveLength(3);
    expect(new Set(webhookIds(r.requests))).toEqual(new Set([msg.id]));

    const attempts = await attemptsOf(app, msg.id, ep);
    expect(attempts.map((a) => [a.status, a.triggerType, a.responseStatusCode])).toEqual([
      [0, 1, 200],
      [2, 0, 500],
      [2, 0, 500],
    ]);
    const page = await api<Page<DeadLetter>>('GET', `/app/${app}/dead-letter`);
    expect(page.body.data).toEqual([]);
  });

  it('answers 409 to a replay of a delivery that is not dead, and 404 to an unknown one', async () => {
    const again = await api('POST', `/app/${app}/dead-letter/${deadLetter.id}/replay`, {});
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'conflict' });
    const unknown = await api('POST', `/app/${app}/dead-letter/dlv_0000000000000000000000/replay`, {});
    expect(unknown.status).toBe(404);
    await sleep(300);
    expect(r.requests).toHaveLength(3);
  });

  it('answers a replay by message id with where to find the delivery id, naming the field', async () => {
    const wrong = await api<{ code: string; detail: string; errors: { path: string; message: string }[] }>(
      'POST',
      `/app/${app}/dead-letter/${msg.id}/replay`,
      {},
    );
    expect(wrong.status).toBe(422);
    expect(wrong.body.code).toBe('validation');
    expect(wrong.body.detail).toMatch(/message id.*delivery id \(dlv_…\)/);
    expect(wrong.body.detail).toContain(`/api/v1/app/${app}/dead-letter`);
    expect(wrong.body.errors).toEqual([{ path: 'param.delivery_id', message: expect.stringContaining('delivery id') }]);
  });
});

describe('resend (svix messageAttempt.resend)', () => {
  it('sends a delivered message again, as a manual attempt', async () => {
    const app = await application('resend-svix');
    const r = await receiver();
    const ep = await endpoint(app, r);
    const msg = await publish(app, 'a.b', { resend: true });
    await settled(msg.id, ep, 'succeeded');

    const answer = await svix.messageAttempt.resend('resend-svix', msg.id, ep);
    expect(answer).toEqual({});
    const requests = await r.waitFor(2);
    expect(webhookIds(requests)).toEqual([msg.id, msg.id]);
    expect(requests[1]!.body).toBe(requests[0]!.body);
    const attempts = await until(async () => {
      const list = await attemptsOf(app, msg.id, ep);
      return list.length === 2 && list;
    });
    expect(attempts.map((a) => [a.status, a.triggerType])).toEqual([
      [0, 1],
      [0, 0],
    ]);
    await sleep(1000);
    expect(r.requests).toHaveLength(2);
  });

  it('accepts the eventId for the message and the uid for the endpoint', async () => {
    const app = await application('resend-uids');
    const r = await receiver();
    const ep = await endpoint(app, r, { uid: 'by-uid' });
    const msg = await publish(app, 'a.b', { uids: true }, { eventId: 'evt-uid' });
    await settled(msg.id, ep, 'succeeded');
    await svix.messageAttempt.resend('resend-uids', 'evt-uid', 'by-uid');
    await r.waitFor(2);
    await until(async () => (await attemptsOf(app, msg.id, ep)).length === 2);
  });

  it('sends a message to an endpoint created after it', async () => {
    const app = await application('resend-later');
    const early = await receiver();
    const earlyEp = await endpoint(app, early);
    const msg = await publish(app, 'a.b', { late: 'comer' });
    await settled(msg.id, earlyEp, 'succeeded');

    const late = await receiver();
    const lateEp = await endpoint(app, late);
    expect(await delivery(msg.id, lateEp)).toBeUndefined();
    await svix.messageAttempt.resend('resend-later', msg.id, lateEp);
    const [request] = await late.waitFor(1);
    expect(request!.body).toBe('{"late":"comer"}');
    expect(request!.headers['webhook-id']).toBe(msg.id);
    const row = await settled(msg.id, lateEp, 'succeeded');
    expect(row.attemptCount).toBe(1);
    const attempts = await attemptsOf(app, msg.id, lateEp);
    expect(attempts.map((a) => [a.status, a.triggerType])).toEqual([[0, 1]]);
    await sleep(500);
    expect(early.requests).toHaveLength(1);
    expect(late.requests).toHaveLength(1);
  });

  it('answers 409 while the delivery is being sent, and to a disabled endpoint', async () => {
    const app = await application('resend-busy');
    const r = await receiver((_, index) => (index === 0 ? { hang: true } : { status: 200 }));
    const ep = await endpoint(app, r);
    const msg = await publish(app, 'a.b', { busy: true });
    await r.waitFor(1);
    expect((await delivery(msg.id, ep))?.status).toBe('sending');
    const busy = await api('POST', `/app/${app}/msg/${msg.id}/endpoint/${ep}/resend`);
    expect(busy.status).toBe(409);
    expect(busy.body).toMatchObject({ code: 'conflict' });
    // The hung attempt times out and its scheduled retry delivers it.
    await settled(msg.id, ep, 'succeeded');

    expect((await api('PATCH', `/app/${app}/endpoint/${ep}`, { disabled: true })).status).toBe(200);
    const disabled = await api('POST', `/app/${app}/msg/${msg.id}/endpoint/${ep}/resend`);
    expect(disabled.status).toBe(409);
    expect(String(disabled.body.detail)).toMatch(/disabled/);
  });

  it('answers 404 for an unknown message or endpoint', async () => {
    const app = await application('resend-404');
    const r = await receiver();
    const ep = await endpoint(app, r);
    const msg = await publish(app, 'a.b', {});
    expect((await api('POST', `/app/${app}/msg/msg_0000000000000000000000/endpoint/${ep}/resend`)).status).toBe(404);
    expect((await api('POST', `/app/${app}/msg/${msg.id}/endpoint/ep_0000000000000000000000/resend`)).status).toBe(404);
    const error = await svix.messageAttempt.resend('resend-404', 'nope', ep).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiException);
    expect((error as ApiException<unknown>).code).toBe(404);
  });
});

describe('recover (svix endpoint.recover)', () => {
  it('resends every dead delivery of the endpoint in the time range, and only those', async () => {
    const app = await application('recover');
    // Fails every message that asks for it; the others go through.
    const r = await receiver((request) => (request.body.includes('"fail":true') ? { status: 500, body: 'down' } : { status: 200 }));
    const ep = await endpoint(app, r, { filterTypes: ['rec.a'] });
    const otherR = await receiver(failing);
    const otherEp = await endpoint(app, otherR, { filterTypes: ['rec.b'] });

    const before = await publish(app, 'rec.a', { fail: true, n: 0 });
    await settled(before.id, ep, 'dead');
    await sleep(20);
    const since = new Date();
    const ok = await publish(app, 'rec.a', { fail: false, n: 1 });
    await settled(ok.id, ep, 'succeeded');
    const dead1 = await publish(app, 'rec.a', { fail: true, n: 2 });
    const dead2 = await publish(app, 'rec.a', { fail: true, n: 3 });
    const elsewhere = await publish(app, 'rec.b', { fail: true, n: 4 });
    await settled(dead1.id, ep, 'dead');
    await settled(dead2.id, ep, 'dead');
    await settled(elsewhere.id, otherEp, 'dead');
    const seen = r.requests.length;
    const seenElsewhere = otherR.requests.length;
    expect(seen).toBe(2 + 1 + 2 + 2);

    r.respond(() => ({ status: 200, body: 'recovered' }));
    const task = await svix.endpoint.recover('recover', ep, { since });
    expect(task.id).toMatch(/^qtask_/);
    expect(task.status).toBe('finished');
    expect(task.task).toBe('endpoint.recover');
    expect(task.updatedAt).toBeInstanceOf(Date);
    expect(Number.isNaN(task.updatedAt.getTime())).toBe(false);

    await settled(dead1.id, ep, 'succeeded');
    await settled(dead2.id, ep, 'succeeded');
    await sleep(1500);
    expect(new Set(webhookIds(r.requests.slice(seen)))).toEqual(new Set([dead1.id, dead2.id]));
    expect(r.requests).toHaveLength(seen + 2);
    expect(otherR.requests).toHaveLength(seenElsewhere);
    expect((await delivery(before.id, ep))?.status).toBe('dead');
    expect((await delivery(elsewhere.id, otherEp))?.status).toBe('dead');
    expect((await delivery(ok.id, ep))?.attemptCount).toBe(1);
    for (const id of [dead1.id, dead2.id]) {
      expect((await attemptsOf(app, id, ep))[0]).toMatchObject({ status: 0, triggerType: 1 });
    }

    // `until` bounds the range from above: nothing of that window is left to resend.
    const second = await svix.endpoint.recover('recover', ep, { since: new Date(since.getTime() - 60_000), until: since });
    expect(second.status).toBe('finished');
    await settled(before.id, ep, 'succeeded');
    await sleep(1000);
    expect(r.requests).toHaveLength(seen + 3);
  });

  it('also resends a failed delivery still waiting for its retry, bringing that retry forward', async () => {
    const app = await application('recover-pending');
    const r = await receiver(failing);
    const ep = await endpoint(app, r, { retrySchedule: [3600] });
    const msg = await publish(app, 'a.b', { pending: true });
    const waiting = await until(async () => {
      const row = await delivery(msg.id, ep);
      return row?.status === 'failed' && row;
    });
    // 3600 s with its ±20 % jitter: at least 2880 s away.
    expect(waiting.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now() + 2800_000);

    r.respond(() => ({ status: 200 }));
    const task = await svix.endpoint.recover('recover-pending', ep, { since: new Date(Date.now() - 60_000) });
    expect(task.status).toBe('finished');
    const row = await settled(msg.id, ep, 'succeeded');
    expect(row.attemptCount).toBe(2);
    expect((await attemptsOf(app, msg.id, ep)).map((a) => [a.status, a.triggerType])).toEqual([
      [0, 1],
      [2, 0],
    ]);
    expect(r.requests).toHaveLength(2);
  });

  it('refuses a range over 14 days, an until before since, and a disabled endpoint', async () => {
    const app = await application('recover-422');
    const r = await receiver();
    const ep = await endpoint(app, r);
    const tooOld = await api<{ errors: { path: string }[] }>('POST', `/app/${app}/endpoint/${ep}/recover`, {
      since: new Date(Date.now() - 15 * 24 * 3600_000).toISOString(),
    });
    expect(tooOld.status).toBe(422);
    expect(tooOld.body.errors.map((e) => e.path)).toEqual(['body.since']);
    const inverted = await api<{ errors: { path: string }[] }>('POST', `/app/${app}/endpoint/${ep}/recover`, {
      since: new Date(Date.now() - 3600_000).toISOString(),
      until: new Date(Date.now() - 7200_000).toISOString(),
    });
    expect(inverted.status).toBe(422);
    expect(inverted.body.errors.map((e) => e.path)).toEqual(['body.until']);
    const future = await api<{ errors: { path: string }[] }>('POST', `/app/${app}/endpoint/${ep}/recover`, {
      since: new Date(Date.now() + 3600_000).toISOString(),
    });
    expect(future.status).toBe(422);
    expect(future.body.errors.map((e) => e.path)).toEqual(['body.since']);
    for (const [body, path] of [
      [{}, 'body.since'],
      [{ since: 'yesterday' }, 'body.since'],
      [{ since: new Date().toISOString(), extra: 1 }, 'body.extra'],
    ] as const) {
      const response = await api<{ errors: { path: string }[] }>('POST', `/app/${app}/endpoint/${ep}/recover`, body);
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(response.body.errors.map((e) => e.path)).toContain(path);
    }
    // Within 14 days + 5 minutes is fine.
    const edge = await svix.endpoint.recover('recover-422', ep, { since: new Date(Date.now() - 14 * 24 * 3600_000 - 60_000) });
    expect(edge.status).toBe('finished');
    const viaClient = await svix.endpoint
      .recover('recover-422', ep, { since: new Date(Date.now() - 20 * 24 * 3600_000) })
      .catch((e: unknown) => e);
    expect(viaClient).toBeInstanceOf(ApiException);
    expect((viaClient as ApiException<unknown>).code).toBe(422);

    expect((await api('PATCH', `/app/${app}/endpoint/${ep}`, { disabled: true })).status).toBe(200);
    const disabled = await api('POST', `/app/${app}/endpoint/${ep}/recover`, { since: new Date(Date.now() - 60_000).toISOString() });
    expect(disabled.status).toBe(409);
  });
});

describe('dead-letter list filters and pagination', () => {
  let app: string;
  let x: string;
  let y: string;
  let first: { id: string; timestamp: string };
  let second: { id: string; timestamp: string };

  beforeAll(async () => {
    app = await application('dl-filters');
    x = await endpoint(app, await receiver(failing), { uid: 'ep-x' });
    y = await endpoint(app, await receiver(failing), { uid: 'ep-y' });
    first = await publish(app, 'p.a', { n: 1 });
    await sleep(20);
    second = await publish(app, 'p.b', { n: 2 });
    for (const m of [first, second]) for (const ep of [x, y]) await settled(m.id, ep, 'dead');
  });

  const list = (query = '') => api<Page<DeadLetter>>('GET', `/app/${app}/dead-letter${query}`);

  it('lists newest first and pages forwards and backwards', async () => {
    const all = await list();
    expect(all.body.data).toHaveLength(4);
    const ids = all.body.data.map((d) => d.id);
    expect(ids).toEqual([...ids].sort().reverse());

    const page1 = await list('?limit=3');
    expect(page1.body.data.map((d) => d.id)).toEqual(ids.slice(0, 3));
    expect(page1.body.done).toBe(false);
    const page2 = await list(`?limit=3&iterator=${page1.body.iterator}`);
    expect(page2.body.data.map((d) => d.id)).toEqual(ids.slice(3));
    expect(page2.body.done).toBe(true);
    const back = await list(`?limit=3&iterator=${encodeURIComponent(page2.body.prevIterator!)}`);
    expect(back.body.data.map((d) => d.id)).toEqual(ids.slice(0, 3));
  });

  it('filters by endpoint (id or uid), event types and message time', async () => {
    const byUid = await list('?endpoint_id=ep-y');
    expect(byUid.body.data).toHaveLength(2);
    expect(byUid.body.data.every((d) => d.endpointId === y)).toBe(true);
    expect((await list(`?endpoint_id=${x}`)).body.data.every((d) => d.endpointId === x)).toBe(true);

    const typeB = await list('?event_types=p.b');
    expect(typeB.body.data.map((d) => [d.eventType, d.messageId])).toEqual([
      ['p.b', second.id],
      ['p.b', second.id],
    ]);
    expect((await list(`?event_types=${encodeURIComponent('p.a,p.b')}`)).body.data).toHaveLength(4);
    expect((await list('?event_types=p.c')).body.data).toEqual([]);

    const after = await list(`?after=${encodeURIComponent(first.timestamp)}`);
    expect(new Set(after.body.data.map((d) => d.messageId))).toEqual(new Set([second.id]));
    const before = await list(`?before=${encodeURIComponent(second.timestamp)}`);
    expect(new Set(before.body.data.map((d) => d.messageId))).toEqual(new Set([first.id]));
    const combined = await list(`?endpoint_id=ep-x&event_types=p.a&before=${encodeURIComponent(second.timestamp)}`);
    expect(combined.body.data.map((d) => [d.endpointId, d.messageId])).toEqual([[x, first.id]]);
  });

  it('filters by a substring of the failure reason, case-insensitively', async () => {
    const all = (await list()).body.data;
    const sample = all[0]!.reason!;
    expect(sample.length).toBeGreaterThan(2);
    const part = sample.slice(0, 3).toUpperCase();
    expect((await list(`?reason=${encodeURIComponent(part)}`)).body.data.length).toBe(
      all.filter((d) => d.reason?.toUpperCase().includes(part)).length,
    );
    expect((await list('?reason=no-such-failure-reason')).body.data).toEqual([]);
    // `%` is literal, not a wildcard.
    expect((await list('?reason=%25')).body.data).toEqual([]);
  });

  it('answers 404 for an unknown endpoint and 422 naming a bad query field', async () => {
    expect((await list('?endpoint_id=nope')).status).toBe(404);
    for (const [query, path] of [
      ['?limit=0', 'query.limit'],
      ['?limit=251', 'query.limit'],
      ['?before=yesterday', 'query.before'],
      ['?after=2024-13-01', 'query.after'],
    ] as const) {
      const response = await api<{ errors: { path: string }[] }>('GET', `/app/${app}/dead-letter${query}`);
      expect(response.status, query).toBe(422);
      expect(response.body.errors.map((e) => e.path)).toContain(path);
    }
  });
});

describe('tenancy', () => {
  let app: string;
  let ep: string;
  let msg: string;
  let dead: string;
  let r: Receiver;
  const keys = { otherOrg: '', ownApp: '', otherApp: '' };

  beforeAll(async () => {
    app = await application('tenant');
    r = await receiver(failing);
    ep = await endpoint(app, r);
    msg = (await publish(app, 'a.b', { tenant: true })).id;
    dead = (await settled(msg, ep, 'dead')).id;
    const db = herald.database.db;
    const other = await createOrganization(db, { name: 'Other' });
    keys.otherOrg = (await issueApiKey(db, { orgId: other.id, scope: 'org', name: 'other' })).token;
    keys.ownApp = (await issueApiKey(db, { orgId: herald.orgId, scope: 'app', appId: app, name: 'own' })).token;
    const sibling = await application('tenant-sibling');
    keys.otherApp = (await issueApiKey(db, { orgId: herald.orgId, scope: 'app', appId: sibling, name: 'sibling' })).token;
  });

  const routes = () =>
    [
      ['GET', `/app/${app}/dead-letter`, undefined],
      ['POST', `/app/${app}/dead-letter/${dead}/replay`, {}],
      ['POST', `/app/${app}/msg/${msg}/endpoint/${ep}/resend`, undefined],
      ['POST', `/app/${app}/endpoint/${ep}/recover`, { since: new Date(Date.now() - 3600_000).toISOString() }],
    ] as const;

  it("answers 404 to another organization's key and to another application's key, and changes nothing", async () => {
    for (const token of [keys.otherOrg, keys.otherApp]) {
      for (const [method, path, body] of routes()) {
        const response = await api(method, path, body, token);
        expect(response.status, `${method} ${path}`).toBe(404);
        expect(JSON.stringify(response.body)).not.toContain(dead);
      }
    }
    await sleep(500);
    expect((await delivery(msg, ep))?.status).toBe('dead');
    expect(r.requests).toHaveLength(2);
  });

  it('lets an app-scoped key operate on its own application', async () => {
    const list = await api<Page<DeadLetter>>('GET', `/app/tenant/dead-letter`, undefined, keys.ownApp);
    expect(list.status).toBe(200);
    expect(list.body.data.map((d) => d.id)).toEqual([dead]);
    r.respond(() => ({ status: 200 }));
    expect((await api('POST', `/app/${app}/dead-letter/${dead}/replay`, {}, keys.ownApp)).status).toBe(202);
    await settled(msg, ep, 'succeeded');
    const own = new Svix(keys.ownApp, { serverUrl: herald.url, retryScheduleInMs: [] });
    await own.messageAttempt.resend('tenant', msg, ep);
    await r.waitFor(4);
    const task = await own.endpoint.recover('tenant', ep, { since: new Date(Date.now() - 3600_000) });
    expect(task.status).toBe('finished');
    await sleep(1000);
    expect(r.requests).toHaveLength(4);
  });
});
