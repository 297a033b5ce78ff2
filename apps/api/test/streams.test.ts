import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ApiDeps, type RunningApi, startApiServer } from '@herald/api';
import { newId } from '@herald/core';
import { connectDatabase, createOrganization, issueApiKey, schema } from '@herald/db';
import { asc, eq } from 'drizzle-orm';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHerald, type TestHerald } from '../../../test/support/harness';

/**
 * The SSE streams over real HTTP: the attempt log tailed with gap-free
 * `Last-Event-ID` resumption under concurrent (and out-of-order committing)
 * writers, two API processes agreeing on one stream, tenancy, heartbeats,
 * backpressure, and the application message stream.
 */
const STREAM_OPTIONS = {
  heartbeatMs: 250,
  pollMs: 50,
  stallTimeoutMs: 2000,
  messageSettleMs: 300,
  closeGraceMs: 500,
};

let herald: TestHerald;
const fx = { app: '', appUid: 'streams', endpointUid: 'ep-one' };

// ---------------------------------------------------------------------------------------------
// A small SSE client: fetch + eventsource-parser, reading as fast as events come.

interface Stream {
  status: number;
  headers: Headers;
  events: EventSourceMessage[];
  comments: string[];
  ended: boolean;
  done: Promise<void>;
  close(): void;
  /** Waits until `probe` holds (polled), or fails after `timeoutMs`. */
  until(probe: (s: Stream) => boolean, timeoutMs?: number, what?: string): Promise<void>;
}

async function openStream(
  path: string,
  options: { token?: string; lastEventId?: string; accept?: string; base?: string } = {},
): Promise<Stream> {
  const headers: Record<string, string> = { accept: options.accept ?? 'text/event-stream' };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const controller = new AbortController();
  const response = await fetch(`${options.base ?? herald.url}${path}`, { headers, signal: controller.signal });
  const stream: Stream = {
    status: response.status,
    headers: response.headers,
    events: [],
    comments: [],
    ended: false,
    done: Promise.resolve(),
    close: () => controller.abort(),
    async until(probe, timeoutMs = 20_000, what = 'stream condition') {
      const deadline = Date.now() + timeoutMs;
      while (!probe(stream)) {
        if (Date.now() > deadline) throw new Error(`${what} not met in ${timeoutMs} ms (${stream.events.length} events)`);
        if (stream.ended && !probe(stream)) throw new Error(`stream ended before ${what} (${stream.events.length} events)`);
        await sleep(10);
      }
    },
  };
  const parser = createParser({
    onEvent: (event) => stream.events.push(event),
    onComment: (comment) => stream.comments.push(comment),
  });
  const body = response.body;
  if (!body) {
    stream.ended = true;
    return stream;
  }
  const reader = body.getReader();
  const decoder = new TextDecoder();
  stream.done = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch {
      // aborted by the test, or the server went away
    } finally {
      stream.ended = true;
    }
  })();
  return stream;
}

/** An error answer (read whole; it is not a stream). */
async function openError(path: string, options: { token?: string; lastEventId?: string; accept?: string } = {}) {
  const headers: Record<string, string> = { accept: options.accept ?? 'text/event-stream' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const response = await fetch(`${herald.url}${path}`, { headers, signal: AbortSignal.timeout(5000) });
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
}

const data = <T = Record<string, unknown>>(event: EventSourceMessage) => JSON.parse(event.data) as T;

// ---------------------------------------------------------------------------------------------
// Seeding the attempt log directly, as the delivery worker would.

interface Target {
  app: string;
  endpoint: string;
  message: string;
  delivery: string;
  orgId?: string;
}

const attemptRow = (target: Target, status: 'succeeded' | 'failed' = 'succeeded', url = 'https://receiver.test/hook') => ({
  id: newId('attempt'),
  orgId: target.orgId ?? herald.orgId,
  appId: target.app,
  messageId: target.message,
  endpointId: target.endpoint,
  deliveryId: target.delivery,
  status,
  url,
  responseStatusCode: status === 'succeeded' ? 200 : 500,
  response: status,
  durationMs: 7,
});

async function insertAttempts(target: Target, n: number, status: 'succeeded' | 'failed' = 'succeeded') {
  const rows = Array.from({ length: n }, () => attemptRow(target, status));
  await herald.database.db.insert(schema.attempts).values(rows);
  return rows.map((row) => row.id);
}

async function logHead(): Promise<number> {
  const [row] = await herald.database.sql<{ head: string | null }[]>`select max(seq)::text as head from attempts`;
  return Number(row?.head ?? 0);
}

async function appAttempts(appId: string, afterSeq: number) {
  const rows = await herald.database.db
    .select({ id: schema.attempts.id, seq: schema.attempts.seq })
    .from(schema.attempts)
    .where(eq(schema.attempts.appId, appId))
    .orderBy(asc(schema.attempts.seq));
  return rows.filter((row) => row.seq > afterSeq);
}

async function makeTarget(appIdOrUid: string, token = herald.rootToken): Promise<Target & { appId: string }> {
  const app = await call<{ id: string }>(herald.url, 'GET', `/api/v1/app/${appIdOrUid}`, { token });
  const endpoint = await call<{ id: string }>(herald.url, 'POST', `/api/v1/app/${app.body.id}/endpoint`, {
    token,
    json: { url: 'https://receiver.test/hook' },
  });
  const message = await call<{ id: string }>(herald.url, 'POST', `/api/v1/app/${app.body.id}/msg`, {
    token,
    json: { eventType: 'stream.test', payload: { n: 1 } },
  });
  const delivery = newId('delivery');
  const [appRow] = await herald.database.db.select().from(schema.applications).where(eq(schema.applications.id, app.body.id));
  await herald.database.db.insert(schema.deliveries).values({
    id: delivery,
    orgId: appRow!.orgId,
    appId: app.body.id,
    messageId: message.body.id,
    endpointId: endpoint.body.id,
  });
  return { app: app.body.id, appId: app.body.id, endpoint: endpoint.body.id, message: message.body.id, delivery, orgId: appRow!.orgId };
}

let main: Target;
let side: Target;

beforeAll(async () => {
  herald = await startTestHerald({ deps: { streams: STREAM_OPTIONS } as Partial<ApiDeps> });
  const token = herald.rootToken;
  await call(herald.url, 'POST', '/api/v1/app', { token, json: { name: 'Streams', uid: fx.appUid } });
  await call(herald.url, 'POST', '/api/v1/app', { token, json: { name: 'Side', uid: 'side' } });
  main = await makeTarget(fx.appUid);
  side = await makeTarget('side');
  fx.app = main.app;
  await call(herald.url, 'PATCH', `/api/v1/app/${fx.app}/endpoint/${main.endpoint}`, { token, json: { uid: fx.endpointUid } });
});
afterAll(async () => {
  await herald?.close();
});

// ---------------------------------------------------------------------------------------------

describe('GET /api/v1/stream/attempts', () => {
  it('answers text/event-stream and starts from now: only attempts made after it opened', async () => {
    await insertAttempts(main, 3);
    const stream = await openStream(`/api/v1/stream/attempts?app_id=${fx.app}`, { token: herald.rootToken });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const fresh = await insertAttempts(main, 2, 'failed');
    await stream.until((s) => s.events.length >= 2);
    await sleep(200);
    stream.close();
    expect(stream.events.map((e) => data(e).id)).toEqual(fresh);
    const [first] = stream.events;
    expect(first!.event).toBe('attempt');
    const body = data(first!);
    expect(first!.id).toBe(String(body.seq));
    expect(body).toEqual({
      id: fresh[0],
      seq: expect.any(Number),
      msgId: main.message,
      eventType: 'stream.test',
      endpointId: main.endpoint,
      appId: main.app,
      status: 2,
      statusText: 'fail',
      responseStatusCode: 500,
      responseDurationMs: 7,
      triggerType: 0,
      final: false,
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      url: 'https://receiver.test/hook',
    });
  });

  it('delivers every attempt of a concurrent 5,000-attempt burst exactly once, in seq order, across reconnects', async () => {
    const before = await logHead();
    const path = `/api/v1/stream/attempts?app_id=${fx.appUid}`;
    const received: EventSourceMessage[] = [];
    let stream = await openStream(path, { token: herald.rootToken });

    // Four writers, batches of 100 committing out of seq order (random hold before COMMIT),
    // and now and then a batch that rolls back: its seq values become permanent holes.
    let written = 0;
    const writer = async () => {
      while (written < 5000) {
        const n = Math.min(100, 5000 - written);
        written += n;
        const rows = Array.from({ length: n }, () => attemptRow(main, Math.random() < 0.5 ? 'succeeded' : 'failed'));
        await herald.database.db.transaction(async (tx) => {
          await tx.insert(schema.attempts).values(rows);
          await sleep(Math.random() * 40);
        });
        if (Math.random() < 0.15) {
          await herald.database.db
            .transaction(async (tx) => {
              await tx.insert(schema.attempts).values(Array.from({ length: 5 }, () => attemptRow(main)));
              throw new Error('rollback');
            })
            .catch(() => {});
        }
      }
    };
    const burst = Promise.all([writer(), writer(), writer(), writer()]);

    // Disconnect three times mid-burst, resuming from the last complete event each time.
    for (const cut of [700, 2100, 3600]) {
      await stream.until((s) => received.length + s.events.length >= cut, 30_000, `${cut} events`);
      stream.close();
      await stream.done;
      received.push(...stream.events);
      stream = await openStream(path, { token: herald.rootToken, lastEventId: received.at(-1)!.id });
    }
    await burst;
    await stream.until((s) => received.length + s.events.length >= 5000, 30_000, '5000 events');
    await sleep(300); // nothing more may come
    stream.close();
    received.push(...stream.events);

    const expected = await appAttempts(main.app, before);
    expect(expected).toHaveLength(5000);
    expect(received.map((e) => data(e).id)).toEqual(expected.map((row) => row.id));
    expect(received.map((e) => Number(e.id))).toEqual(expected.map((row) => row.seq));
  }, 60_000);

  it('holds back a later seq until an earlier one commits late, and steps over a rolled-back one', async () => {
    const before = await logHead();
    const stream = await openStream(`/api/v1/stream/attempts?app_id=${fx.app}`, { token: herald.rootToken, lastEventId: String(before) });
    const late = attemptRow(main);
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inserted!: () => void;
    const lateInserted = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    const slow = herald.database.db.transaction(async (tx) => {
      await tx.insert(schema.attempts).values(late);
      inserted();
      await held;
    });
    await lateInserted;
    await herald.database.db
      .transaction(async (tx) => {
        await tx.insert(schema.attempts).values(attemptRow(main));
        throw new Error('rollback');
      })
      .catch(() => {});
    const [after] = await insertAttempts(main, 1);
    await sleep(500); // the later attempt is committed, yet must wait for the earlier seq
    expect(stream.events).toHaveLength(0);
    release();
    await slow;
    await stream.until((s) => s.events.length >= 2);
    await sleep(200);
    stream.close();
    expect(stream.events.map((e) => data(e).id)).toEqual([late.id, after]);
  });

  it('is served identically by two API processes on the same database', async () => {
    const second = connectDatabase(herald.database.url, { max: 3 });
    let other: RunningApi | undefined;
    try {
      other = await startApiServer({ config: herald.config, db: second.db, queue: herald.queue, streams: STREAM_OPTIONS } as ApiDeps);
      const before = await logHead();
      const path = `/api/v1/stream/attempts?app_id=${fx.app}`;
      const a = await openStream(path, { token: herald.rootToken, lastEventId: String(before) });
      const b = await openStream(path, { token: herald.rootToken, base: other.url, lastEventId: String(before) });
      const writer = async () => {
        for (let i = 0; i < 5; i++) {
          await herald.database.db.transaction(async (tx) => {
            await tx.insert(schema.attempts).values(Array.from({ length: 100 }, () => attemptRow(main)));
            await sleep(Math.random() * 30);
          });
        }
      };
      await Promise.all([writer(), writer()]);
      await a.until((s) => s.events.length >= 1000);
      await b.until((s) => s.events.length >= 1000);
      // A late joiner on the second process, resuming from the middle, sees the same tail.
      const middle = a.events[499]!.id;
      const c = await openStream(path, { token: herald.rootToken, base: other.url, lastEventId: middle });
      await c.until((s) => s.events.length >= 500);
      await sleep(200);
      expect(b.events.map((e) => e.id)).toEqual(a.events.map((e) => e.id));
      expect(b.events.map((e) => e.data)).toEqual(a.events.map((e) => e.data));
      expect(c.events.map((e) => e.id)).toEqual(a.events.slice(500).map((e) => e.id));
      expect(a.events).toHaveLength(1000);

      // Closing that server ends its open streams instead of hanging on them.
      const started = Date.now();
      await other.close();
      other = undefined;
      expect(Date.now() - started).toBeLessThan(3000);
      await b.done;
      await c.done;
      expect(b.ended && c.ended).toBe(true);
      expect(a.ended).toBe(false);
      a.close();
    } finally {
      await other?.close();
      await second.close();
    }
  });

  it('filters by application, endpoint (id or uid) and status', async () => {
    const before = String(await logHead());
    const ep2 = await call<{ id: string }>(herald.url, 'POST', `/api/v1/app/${fx.app}/endpoint`, {
      token: herald.rootToken,
      json: { url: 'https://two.test/hook' },
    });
    const second = { ...main, endpoint: ep2.body.id };
    const ok = await insertAttempts(main, 2, 'succeeded');
    const failed = await insertAttempts(main, 2, 'failed');
    const elsewhere = await insertAttempts(second, 2, 'failed');
    const sideIds = await insertAttempts(side, 2, 'succeeded');

    const read = async (query: string, n: number) => {
      const stream = await openStream(`/api/v1/stream/attempts?${query}`, { token: herald.rootToken, lastEventId: before });
      expect(stream.status).toBe(200);
      await stream.until((s) => s.events.length >= n);
      await sleep(250);
      stream.close();
      return stream.events.map((e) => data(e).id);
    };
    expect(await read('', 8)).toEqual([...ok, ...failed, ...elsewhere, ...sideIds]);
    expect(await read(`app_id=side`, 2)).toEqual(sideIds);
    expect(await read(`app_id=${fx.app}&status=2`, 4)).toEqual([...failed, ...elsewhere]);
    expect(await read(`status=0`, 4)).toEqual([...ok, ...sideIds]);
    expect(await read(`endpoint_id=${main.endpoint}`, 4)).toEqual([...ok, ...failed]);
    expect(await read(`app_id=${fx.appUid}&endpoint_id=${fx.endpointUid}&status=0`, 2)).toEqual(ok);
    expect(await read(`endpoint_id=${second.endpoint}`, 2)).toEqual(elsewhere);
    // `last_event_id` in the query works like the header (for clients that cannot set one).
    const viaQuery = await openStream(`/api/v1/stream/attempts?app_id=side&last_event_id=${before}`, { token: herald.rootToken });
    await viaQuery.until((s) => s.events.length >= 2);
    viaQuery.close();
    expect(viaQuery.events.map((e) => data(e).id)).toEqual(sideIds);

    const bad = await openError(`/api/v1/stream/attempts?status=1`, { token: herald.rootToken });
    expect(bad).toMatchObject({ status: 422, body: { code: 'validation', errors: [{ path: 'query.status' }] } });
  });

  it('opens with the newest `history` matching attempts, then goes on live; a resume point wins', async () => {
    const older = await insertAttempts(side, 3, 'succeeded');
    const failed = await insertAttempts(side, 1, 'failed');
    const stream = await openStream('/api/v1/stream/attempts?app_id=side&status=0&history=2', { token: herald.rootToken });
    await stream.until((s) => s.events.length >= 2);
    // The two newest successes of this application, oldest first; the failure is filtered out.
    expect(stream.events.map((e) => data(e).id)).toEqual(older.slice(1));
    const later = await insertAttempts(side, 1, 'succeeded');
    await stream.until((s) => s.events.length >= 3);
    stream.close();
    expect(stream.events.map((e) => data(e).id)).toEqual([...older.slice(1), ...later]);
    expect(failed).toHaveLength(1);

    const resumed = await openStream(`/api/v1/stream/attempts?app_id=side&history=100&last_event_id=${stream.events[1]!.id}`, {
      token: herald.rootToken,
    });
    await resumed.until((s) => s.events.length >= 2);
    await sleep(250);
    resumed.close();
    expect(resumed.events.map((e) => data(e).id)).toEqual([...failed, ...later]);

    const tooMany = await openError('/api/v1/stream/attempts?history=5000', { token: herald.rootToken });
    expect(tooMany).toMatchObject({ status: 422, body: { errors: [{ path: 'query.history' }] } });
  });

  it('keeps tenants apart: 404 for another organization, app-scoped keys inside their application', async () => {
    const db = herald.database.db;
    const stranger = await createOrganization(db, { name: 'Stranger' });
    const strangerKey = (await issueApiKey(db, { orgId: stranger.id, scope: 'org', name: 'x' })).token;
    for (const query of [`app_id=${fx.app}`, `app_id=${fx.appUid}`, `endpoint_id=${main.endpoint}`]) {
      const answer = await openError(`/api/v1/stream/attempts?${query}`, { token: strangerKey });
      expect(answer.status, query).toBe(404);
      expect(answer.body).toMatchObject({ code: 'not_found', requestId: expect.any(String) });
    }
    // The stranger's own, unfiltered stream sees none of this organization's attempts.
    const before = String(await logHead());
    const theirs = await openStream('/api/v1/stream/attempts', { token: strangerKey, lastEventId: before });
    expect(theirs.status).toBe(200);

    const appKey = (await issueApiKey(db, { orgId: herald.orgId, scope: 'app', appId: side.app, name: 'side' })).token;
    const own = await openStream(`/api/v1/stream/attempts?app_id=side`, { token: appKey, lastEventId: before });
    expect(own.status).toBe(200);
    await insertAttempts(main, 2);
    const sideIds = await insertAttempts(side, 2);
    await own.until((s) => s.events.length >= 2);
    await sleep(300);
    own.close();
    theirs.close();
    expect(own.events.map((e) => data(e).id)).toEqual(sideIds);
    expect(theirs.events).toHaveLength(0);

    expect((await openError(`/api/v1/stream/attempts?app_id=${fx.app}`, { token: appKey })).status).toBe(404);
    expect((await openError(`/api/v1/stream/attempts?app_id=side&endpoint_id=${main.endpoint}`, { token: appKey })).status).toBe(404);
    const unnamed = await openError('/api/v1/stream/attempts', { token: appKey });
    expect(unnamed).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    expect((await openError('/api/v1/stream/attempts')).status).toBe(401);
  });

  it('answers a malformed Last-Event-ID, or a client not asking for an event stream, with a 4xx in the error shape', async () => {
    for (const bad of ['abc', '-1', '1.5', '7 8', '1e3', '0x10', '123456789012345678901']) {
      const answer = await openError('/api/v1/stream/attempts', { token: herald.rootToken, lastEventId: bad });
      expect(answer.status, bad).toBe(422);
      expect(answer.type).toMatch(/^application\/json/);
      expect(answer.body).toMatchObject({ code: 'validation', requestId: expect.any(String), errors: [{ path: 'header.last-event-id' }] });
    }
    const query = await openError('/api/v1/stream/attempts?last_event_id=x', { token: herald.rootToken });
    expect(query).toMatchObject({ status: 422, body: { errors: [{ path: 'query.last_event_id' }] } });
    const plain = await openError('/api/v1/stream/attempts', { token: herald.rootToken, accept: 'application/json' });
    expect(plain).toMatchObject({ status: 400, body: { code: 'bad_request' } });
    expect(String(plain.body.detail)).toContain('text/event-stream');
    const head = await fetch(`${herald.url}/api/v1/stream/attempts`, {
      method: 'HEAD',
      headers: { accept: 'text/event-stream', authorization: `Bearer ${herald.rootToken}` },
      signal: AbortSignal.timeout(5000),
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^text\/event-stream/);
  });

  it('sends keep-alive comments while idle', async () => {
    const stream = await openStream(`/api/v1/stream/attempts?app_id=side&status=2`, { token: herald.rootToken });
    await stream.until((s) => s.comments.filter((c) => c === 'keep-alive').length >= 2, 3000, 'two heartbeats');
    stream.close();
    expect(stream.events).toHaveLength(0);
  });

  it('cuts off a client that stops reading, which then resumes by id', async () => {
    const slowApp = await call<{ id: string }>(herald.url, 'POST', '/api/v1/app', { token: herald.rootToken, json: { name: 'Slow' } });
    const target = await makeTarget(slowApp.body.id);
    const before = await logHead();
    const bigUrl = `https://receiver.test/${'x'.repeat(4000)}`;
    for (let i = 0; i < 8; i++) {
      await herald.database.db.insert(schema.attempts).values(Array.from({ length: 500 }, () => attemptRow(target, 'succeeded', bigUrl)));
    }
    // A raw socket that sends the request and then never reads.
    const { hostname, port } = new URL(herald.url);
    const socket = connect(Number(port), hostname);
    socket.pause();
    socket.write(
      `GET /api/v1/stream/attempts?app_id=${target.app} HTTP/1.1\r\nHost: ${hostname}\r\nAccept: text/event-stream\r\n` +
        `Authorization: Bearer ${herald.rootToken}\r\nLast-Event-ID: ${before}\r\n\r\n`,
    );
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await sleep(STREAM_OPTIONS.stallTimeoutMs + 1500);
    // Now read what was buffered: the server must have ended the connection, well short of the end.
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.resume();
    await Promise.race([closed, sleep(10_000).then(() => Promise.reject(new Error('the server kept a stalled stream open')))]);
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.length).toBeLessThan(4000);

    // The complete events received tell where to resume; the rest follows without gap or duplicate.
    const complete = text.slice(0, text.lastIndexOf('\n\n') + 2);
    const lastComplete = [...complete.matchAll(/^id: (\d+)$/gm)].map((m) => m[1]).at(-1)!;
    const resumed = await openStream(`/api/v1/stream/attempts?app_id=${target.app}`, {
      token: herald.rootToken,
      lastEventId: lastComplete,
    });
    const seen = ids.filter((id) => id <= Number(lastComplete)).length;
    await resumed.until((s) => s.events.length >= 4000 - seen, 20_000, 'the rest');
    resumed.close();
    const all = [...ids.slice(0, seen), ...resumed.events.map((e) => Number(e.id))];
    expect(all).toEqual((await appAttempts(target.app, before)).map((row) => row.seq));
  }, 40_000);
});

// ---------------------------------------------------------------------------------------------

describe('GET /api/v1/app/{app_id}/events/stream', () => {
  const publish = async (appId: string, n: number, token = herald.rootToken) => {
    const response = await call<{ id: string }>(herald.url, 'POST', `/api/v1/app/${appId}/msg`, {
      token,
      json: { eventType: 'order.placed', payload: { n, nested: { ok: true } } },
    });
    expect(response.status).toBe(202);
    return response.body.id;
  };

  it('replays from since and from Last-Event-ID, then streams messages published through the API', async () => {
    const app = await call<{ id: string }>(herald.url, 'POST', '/api/v1/app', {
      token: herald.rootToken,
      json: { name: 'Events', uid: 'events' },
    });
    const appKey = (await issueApiKey(herald.database.db, { orgId: herald.orgId, scope: 'app', appId: app.body.id, name: 'sub' })).token;
    const t0 = new Date(Date.now() - 5).toISOString();
    const m1 = await publish('events', 1);
    await sleep(10);
    const t1 = new Date().toISOString();
    await sleep(10);
    const m2 = await publish('events', 2);

    const fromStart = await openStream(`/api/v1/app/events/events/stream?since=${t0}`, { token: appKey });
    expect(fromStart.status).toBe(200);
    expect(fromStart.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const fromT1 = await openStream(`/api/v1/app/${app.body.id}/events/stream?since=${t1}`, { token: appKey });
    const fromM1 = await openStream('/api/v1/app/events/events/stream', { token: herald.rootToken, lastEventId: m1 });
    const live = await openStream('/api/v1/app/events/events/stream', { token: appKey });
    await fromStart.until((s) => s.events.length >= 2);

    const m3 = await publish('events', 3, appKey);
    for (const [stream, ids] of [
      [fromStart, [m1, m2, m3]],
      [fromT1, [m2, m3]],
      [fromM1, [m2, m3]],
      [live, [m3]],
    ] as const) {
      await stream.until((s) => s.events.length >= ids.length);
    }
    await sleep(400);
    for (const stream of [fromStart, fromT1, fromM1, live]) stream.close();
    expect(fromStart.events.map((e) => e.id)).toEqual([m1, m2, m3]);
    expect(fromT1.events.map((e) => e.id)).toEqual([m2, m3]);
    expect(fromM1.events.map((e) => e.id)).toEqual([m2, m3]);
    expect(live.events.map((e) => e.id)).toEqual([m3]);
    const [first] = fromStart.events;
    expect(first!.event).toBe('message');
    expect(data(first!)).toEqual({
      id: m1,
      eventType: 'order.placed',
      eventId: null,
      payload: { n: 1, nested: { ok: true } },
      channels: null,
      tags: null,
      deliverAt: null,
      timestamp: expect.any(String),
    });
  });

  it('does not skip a message whose transaction commits after a newer one', async () => {
    const app = await call<{ id: string }>(herald.url, 'POST', '/api/v1/app', {
      token: herald.rootToken,
      json: { name: 'Late', uid: 'late' },
    });
    const stream = await openStream('/api/v1/app/late/events/stream', { token: herald.rootToken });
    const lateId = newId('message');
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = herald.database.db.transaction(async (tx) => {
      await tx
        .insert(schema.messages)
        .values({ id: lateId, orgId: herald.orgId, appId: app.body.id, eventType: 'late.one', payload: { late: true } });
      await held;
    });
    await sleep(20);
    const newer = await publish('late', 2);
    await sleep(STREAM_OPTIONS.messageSettleMs + 700); // well past the settle delay: only the open transaction holds the stream
    expect(stream.events).toHaveLength(0);
    release();
    await slow;
    await stream.until((s) => s.events.length >= 2);
    stream.close();
    expect(stream.events.map((e) => e.id)).toEqual([lateId, newer]);
  });

  it("answers 404 for another tenant's application and 422 for a malformed resume point", async () => {
    const db = herald.database.db;
    const stranger = await createOrganization(db, { name: 'Stranger 2' });
    const strangerKey = (await issueApiKey(db, { orgId: stranger.id, scope: 'org', name: 'x' })).token;
    const sideKey = (await issueApiKey(db, { orgId: herald.orgId, scope: 'app', appId: side.app, name: 'side' })).token;
    for (const token of [strangerKey, sideKey]) {
      const answer = await openError('/api/v1/app/events/events/stream', { token });
      expect(answer).toMatchObject({ status: 404, body: { code: 'not_found' } });
    }
    for (const [path, lastEventId, field] of [
      ['/api/v1/app/events/events/stream', 'nope', 'header.last-event-id'],
      ['/api/v1/app/events/events/stream', '42', 'header.last-event-id'],
      ['/api/v1/app/events/events/stream?since=yesterday', undefined, 'query.since'],
      ['/api/v1/app/events/events/stream?last_event_id=msg_x', undefined, 'query.last_event_id'],
    ] as const) {
      const answer = await openError(path, { token: herald.rootToken, lastEventId });
      expect(answer, path).toMatchObject({ status: 422, body: { code: 'validation', errors: [{ path: field }] } });
    }
  });
});

describe('the OpenAPI document', () => {
  it('describes both streams as text/event-stream', async () => {
    const doc = await call<{ paths: Record<string, Record<string, { responses: Record<string, { content?: object }> }>> }>(
      herald.url,
      'GET',
      '/api/v1/openapi.json',
    );
    for (const path of ['/api/v1/stream/attempts', '/api/v1/app/{app_id}/events/stream']) {
      expect(Object.keys(doc.body.paths[path]?.get?.responses['200']?.content ?? {}), path).toEqual(['text/event-stream']);
    }
  });
});
