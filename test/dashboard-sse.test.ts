import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, createServer as createTcpServer, type Socket } from 'node:net';
import { newId } from '@herald/core';
import { issueApiKey, schema } from '@herald/db';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EventStreamHandle, openEventStream, type StreamStatus } from '../apps/dashboard/src/live/stream-client';
import { call, startTestHerald, type TestHerald } from './support/harness';

/**
 * The dashboard's SSE client (apps/dashboard/src/live/stream-client.ts) against
 * a real HTTP server speaking Server-Sent Events the way Herald's API does:
 * `retry:` first, `id:`/`event:`/`data:` events, `: keep-alive` comments,
 * resume strictly after `Last-Event-ID`, errors in the API's JSON shape.
 */

type Handler = (req: IncomingMessage, res: ServerResponse, index: number) => void;

interface TestServer {
  url: string;
  requests: { headers: IncomingHttpHeaders; closed: boolean }[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];
const handles: EventStreamHandle[] = [];

afterEach(async () => {
  for (const handle of handles.splice(0)) handle.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function startServer(handler: Handler): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const server = createServer((req, res) => {
    const record = { headers: req.headers, closed: false };
    requests.push(record);
    res.on('close', () => {
      record.closed = true;
    });
    handler(req, res, requests.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const testServer: TestServer = {
    url: `http://127.0.0.1:${port}/api/v1/stream/attempts`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(testServer);
  return testServer;
}

function open(options: Parameters<typeof openEventStream>[0]): EventStreamHandle {
  const handle = openEventStream(options);
  handles.push(handle);
  return handle;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const attempt = (seq: number) => `id: ${seq}\nevent: attempt\ndata: ${JSON.stringify({ id: `atmpt_${seq}`, seq, status: 0 })}\n\n`;

function startStream(res: ServerResponse, retryMs?: number) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  if (retryMs !== undefined) res.write(`retry: ${retryMs}\n\n`);
}

function resumeAfter(req: IncomingMessage): number {
  const header = req.headers['last-event-id'];
  return typeof header === 'string' && header !== '' ? Number(header) : 0;
}

function apiError(res: ServerResponse, status: number, code: string, detail: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ code, detail, requestId: 'req_test' }));
}

describe('dashboard SSE client', () => {
  it('resumes with Last-Event-ID after a cut connection and a stream end, losing and repeating nothing', async () => {
    const server = await startServer(async (req, res, index) => {
      const after = resumeAfter(req);
      // A small retry, so the reconnects come quickly only if `retry:` is honoured (minDelayMs below is a minute).
      startStream(res, 50);
      if (index === 0) {
        for (let seq = after + 1; seq <= after + 10; seq++) res.write(attempt(seq));
        // Half of event 11, then the connection dies: the client must not dispatch it.
        res.write(attempt(after + 11).slice(0, 25));
        await sleep(20);
        res.destroy();
      } else if (index === 1) {
        // An overlap the client must drop: an id it already holds.
        res.write(attempt(after));
        for (let seq = after + 1; seq <= after + 10; seq++) {
          const text = attempt(seq);
          // Events split across writes (and TCP segments).
          res.write(text.slice(0, 7));
          await sleep(1);
          res.write(text.slice(7));
        }
        res.end();
      } else {
        res.write(': keep-alive\n\n');
        for (let seq = after + 1; seq <= 30; seq++) res.write(attempt(seq));
        res.write(': keep-alive\n\n');
      }
    });

    const received: number[] = [];
    const states: StreamStatus['state'][] = [];
    open({
      url: server.url,
      headers: () => ({ authorization: 'Bearer hsess_test' }),
      monotonicIds: true,
      minDelayMs: 60_000,
      onEvent: (event) => {
        expect(event.event).toBe('attempt');
        received.push(JSON.parse(event.data).seq);
      },
      onStatus: (status) => states.push(status.state),
    });

    await waitFor(() => received.length >= 30, '30 events');
    await sleep(100);
    expect(received).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(server.requests.map((r) => r.headers['last-event-id'])).toEqual([undefined, '10', '20']);
    for (const request of server.requests) {
      expect(request.headers.accept).toBe('text/event-stream');
      expect(request.headers.authorization).toBe('Bearer hsess_test');
    }
    expect(states).toEqual(['live', 'reconnecting', 'live', 'reconnecting', 'live']);
  });

  it('sends the resume point it was given on the first connection', async () => {
    const server = await startServer((req, res) => {
      startStream(res);
      res.write(attempt(resumeAfter(req) + 1));
    });
    const received: string[] = [];
    const handle = open({ url: server.url, lastEventId: '41', monotonicIds: true, onEvent: (event) => received.push(event.id ?? '') });
    await waitFor(() => received.length === 1, 'one event');
    expect(server.requests[0]?.headers['last-event-id']).toBe('41');
    expect(received).toEqual(['42']);
    expect(handle.lastEventId).toBe('42');
  });

  it('on 401 reports the detail to onUnauthorized and stops', async () => {
    const server = await startServer((_req, res) => apiError(res, 401, 'unauthorized', 'the session has expired'));
    const unauthorized: string[] = [];
    const handle = open({ url: server.url, minDelayMs: 10, onEvent: () => {}, onUnauthorized: (detail) => unauthorized.push(detail) });
    await waitFor(() => handle.status.state === 'error', 'the error state');
    expect(unauthorized).toEqual(['the session has expired']);
    expect(handle.status.error).toMatchObject({
      status: 401,
      code: 'unauthorized',
      detail: 'the session has expired',
      requestId: 'req_test',
    });
    await sleep(200);
    expect(server.requests).toHaveLength(1);
  });

  it("on another 4xx keeps the API's detail and stops without reconnecting", async () => {
    const server = await startServer((_req, res) =>
      apiError(res, 403, 'forbidden', 'an app-scoped key must name its own application in app_id'),
    );
    const unauthorized: string[] = [];
    const handle = open({ url: server.url, minDelayMs: 10, onEvent: () => {}, onUnauthorized: (detail) => unauthorized.push(detail) });
    await waitFor(() => handle.status.state === 'error', 'the error state');
    expect(handle.status.error?.detail).toBe('an app-scoped key must name its own application in app_id');
    await sleep(200);
    expect(server.requests).toHaveLength(1);
    expect(unauthorized).toEqual([]);
  });

  it('retries 503 with backoff, reporting why, then goes live', async () => {
    const server = await startServer((_req, res, index) => {
      if (index < 2) return apiError(res, 503, 'service_unavailable', 'the server is shutting down; reconnect shortly');
      startStream(res);
      res.write(attempt(1));
    });
    const reasons: string[] = [];
    const received: string[] = [];
    const handle = open({
      url: server.url,
      minDelayMs: 20,
      onEvent: (event) => received.push(event.id ?? ''),
      onStatus: (status) => {
        if (status.state === 'reconnecting') reasons.push(status.error?.detail ?? '');
      },
    });
    await waitFor(() => received.length === 1, 'the event after the retries');
    expect(handle.status.state).toBe('live');
    expect(reasons).toEqual(['the server is shutting down; reconnect shortly', 'the server is shutting down; reconnect shortly']);
    expect(server.requests).toHaveLength(3);
  });

  it('reconnects when the connection goes quiet, even heartbeats', async () => {
    const server = await startServer((req, res, index) => {
      startStream(res);
      if (index === 0) res.write(attempt(7));
      else res.write(attempt(resumeAfter(req) + 1));
      // then nothing at all: no heartbeat either
    });
    const received: string[] = [];
    open({ url: server.url, minDelayMs: 10, idleTimeoutMs: 300, onEvent: (event) => received.push(event.id ?? '') });
    await waitFor(() => received.length === 2, 'the event of the second connection');
    expect(received).toEqual(['7', '8']);
    expect(server.requests[1]?.headers['last-event-id']).toBe('7');
    await waitFor(() => server.requests[0]?.closed === true, 'the quiet connection to be closed');
  });

  it('refuses a 200 that is not an event stream', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>index</title>');
    });
    const handle = open({ url: server.url, minDelayMs: 10, onEvent: () => {} });
    await waitFor(() => handle.status.state === 'error', 'the error state');
    expect(handle.status.error?.detail).toMatch(/expected an event stream/);
    await sleep(100);
    expect(server.requests).toHaveLength(1);
  });

  it('close() aborts the open request and never reconnects', async () => {
    const server = await startServer((_req, res) => {
      startStream(res, 10);
      res.write(attempt(1));
    });
    const received: string[] = [];
    const handle = open({ url: server.url, onEvent: (event) => received.push(event.id ?? '') });
    await waitFor(() => received.length === 1, 'the first event');
    handle.close();
    expect(handle.status.state).toBe('closed');
    await waitFor(() => server.requests[0]?.closed === true, 'the server to see the connection close');
    await sleep(100);
    expect(server.requests).toHaveLength(1);
  });

  it('a listener may close the stream from inside onEvent; later events in the same chunk are not delivered', async () => {
    const server = await startServer((_req, res) => {
      startStream(res);
      res.write(attempt(1) + attempt(2) + attempt(3));
    });
    const received: string[] = [];
    const handle: EventStreamHandle = open({
      url: server.url,
      onEvent: (event) => {
        received.push(event.id ?? '');
        if (event.id === '2') handle.close();
      },
    });
    await waitFor(() => handle.status.state === 'closed', 'the closed state');
    await sleep(50);
    expect(received).toEqual(['1', '2']);
  });
});

// ---------------------------------------------------------------------------------------------
// Against Herald's API itself, through a TCP proxy the test can cut.

/** Pipes to `target`; `cut()` destroys every open connection, as a network drop would. */
async function startCuttableProxy(target: URL) {
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("dashboard SSE client against Herald's attempt stream", () => {
  let herald: TestHerald;
  let proxy: Awaited<ReturnType<typeof startCuttableProxy>>;
  const target = { app: '', endpoint: '', message: '', delivery: '' };

  beforeAll(async () => {
    herald = await startTestHerald({ deps: { streams: { heartbeatMs: 250, pollMs: 50 } } as never });
    proxy = await startCuttableProxy(new URL(herald.url));
    const token = herald.rootToken;
    const app = await call<{ id: string }>(herald.url, 'POST', '/api/v1/app', { token, json: { name: 'Live', uid: 'live' } });
    const endpoint = await call<{ id: string }>(herald.url, 'POST', `/api/v1/app/${app.body.id}/endpoint`, {
      token,
      json: { url: 'https://receiver.test/hook' },
    });
    const message = await call<{ id: string }>(herald.url, 'POST', `/api/v1/app/${app.body.id}/msg`, {
      token,
      json: { eventType: 'live.test', payload: { n: 1 } },
    });
    Object.assign(target, { app: app.body.id, endpoint: endpoint.body.id, message: message.body.id, delivery: newId('delivery') });
    await herald.database.db.insert(schema.deliveries).values({
      id: target.delivery,
      orgId: herald.orgId,
      appId: target.app,
      messageId: target.message,
      endpointId: target.endpoint,
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await herald?.close();
  });

  async function insertAttempts(n: number): Promise<string[]> {
    const rows = Array.from({ length: n }, (_, i) => ({
      id: newId('attempt'),
      orgId: herald.orgId,
      appId: target.app,
      messageId: target.message,
      endpointId: target.endpoint,
      deliveryId: target.delivery,
      status: i % 3 === 0 ? ('failed' as const) : ('succeeded' as const),
      url: 'https://receiver.test/hook',
      responseStatusCode: i % 3 === 0 ? 500 : 200,
      response: 'ok',
      durationMs: 5,
    }));
    await herald.database.db.insert(schema.attempts).values(rows);
    return rows.map((row) => row.id);
  }

  it('gets every attempt exactly once, in seq order, across network cuts', async () => {
    const received: { id: string; seq: number; eventId: string | undefined }[] = [];
    const states: StreamStatus['state'][] = [];
    const handle = open({
      url: `${proxy.url}/api/v1/stream/attempts?app_id=live`,
      headers: () => ({ authorization: `Bearer ${herald.rootToken}` }),
      monotonicIds: true,
      minDelayMs: 20,
      onEvent: (event) => {
        if (event.event !== 'attempt') return;
        const body = JSON.parse(event.data) as { id: string; seq: number };
        received.push({ id: body.id, seq: body.seq, eventId: event.id });
      },
      onStatus: (status) => states.push(status.state),
    });
    await waitFor(() => handle.status.state === 'live', 'the stream to open');

    const written: string[] = [];
    for (let round = 0; round < 3; round++) {
      written.push(...(await insertAttempts(2000)));
      // Cut while the round is (most likely) still arriving: the server sends it in 500-row reads.
      await waitFor(() => received.length >= written.length - 1900, `round ${round} to start arriving`);
      proxy.cut();

      await waitFor(() => handle.status.state === 'live', `the stream to come back after cut ${round}`);
    }
    await waitFor(() => received.length >= written.length, `all ${written.length} attempts`);
    await sleep(300);

    expect(received.map((r) => r.id)).toEqual(written);
    for (const r of received) expect(r.eventId).toBe(String(r.seq));
    expect(handle.lastEventId).toBe(String(received.at(-1)?.seq));
    expect(states.filter((s) => s === 'reconnecting').length).toBeGreaterThanOrEqual(3);
  });

  it('stops on a refused credential with the API detail, and on an app-scoped key without app_id', async () => {
    const unauthorized: string[] = [];
    const refused = open({
      url: `${herald.url}/api/v1/stream/attempts`,
      headers: () => ({ authorization: 'Bearer hsess_not_a_session' }),
      onEvent: () => {},
      onUnauthorized: (detail) => unauthorized.push(detail),
    });
    await waitFor(() => refused.status.state === 'error', 'the 401');
    expect(refused.status.error?.status).toBe(401);
    expect(unauthorized).toHaveLength(1);
    expect(unauthorized[0]).toBe(refused.status.error?.detail);
    expect(unauthorized[0]?.length).toBeGreaterThan(0);

    const appKey = (await issueApiKey(herald.database.db, { orgId: herald.orgId, scope: 'app', appId: target.app, name: 'portal' })).token;
    const unnamed = open({
      url: `${herald.url}/api/v1/stream/attempts`,
      headers: () => ({ authorization: `Bearer ${appKey}` }),
      onEvent: () => {},
    });
    await waitFor(() => unnamed.status.state === 'error', 'the 403');
    expect(unnamed.status.error).toMatchObject({
      status: 403,
      detail: 'an app-scoped key must name its own application in app_id',
    });
  });
});
