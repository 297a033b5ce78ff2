import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep, spawnWorker } from './support/chaos';
import { call, startTestHerald } from './support/harness';
import { percentile } from './support/receiver-mix';

/**
 * Sending capacity is shared fairly: an endpoint that never answers, and one
 * that answers after three seconds, each fill only their own share
 * (HERALD_ENDPOINT_CONCURRENCY), so another tenant's healthy endpoint keeps
 * its latency. The retry schedule is long, so the circuit breaker (judged
 * over twice the first retry delay) stays out of it: this is isolation alone.
 */

const ENDPOINT_CONCURRENCY = 40;
const TIMEOUT_MS = 5000;
const RATE = 20;
const SECONDS = 8;

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

/** A receiver that holds every request open (or answers after `delayMs`) and counts how many it holds at once. */
async function startHoldingReceiver(delayMs: number | 'never') {
  let open = 0;
  let maxOpen = 0;
  let received = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      open++;
      maxOpen = Math.max(maxOpen, open);
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        open--;
      };
      res.on('close', close);
      if (delayMs === 'never') return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        res.writeHead(200).end('ok');
      }, delayMs);
      timers.add(timer);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hold`,
    stats: () => ({ received, maxOpen }),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function startHealthyReceiver() {
  const arrivals = new Map<number, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const n = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { n: number }).n;
      if (!arrivals.has(n)) arrivals.set(n, Date.now());
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthy`,
    arrivals,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('isolation between endpoints', () => {
  it("keeps another tenant's healthy endpoint fast while one endpoint hangs and another is slow", async () => {
    const herald = await startTestHerald({ queue: 'redis' });
    cleanups.push(() => herald.close());
    const api = { url: herald.url };
    const rootToken = herald.rootToken;

    const hanging = await startHoldingReceiver('never');
    const slow = await startHoldingReceiver(3000);
    const healthy = await startHealthyReceiver();
    cleanups.push(hanging.close, slow.close, healthy.close);

    const org = await call<{ id: string }>(api.url, 'POST', '/api/v1/organization', { token: rootToken, json: { name: 'Other tenant' } });
    const key = await call<{ token: string }>(api.url, 'POST', '/api/v1/api-key', {
      token: rootToken,
      json: { name: 'other', scope: 'org', orgId: org.body.id },
    });
    const troubled = await call<{ id: string }>(api.url, 'POST', '/api/v1/app', { token: rootToken, json: { name: 'troubled' } });
    for (const url of [hanging.url, slow.url]) {
      expect((await call(api.url, 'POST', `/api/v1/app/${troubled.body.id}/endpoint`, { token: rootToken, json: { url } })).status).toBe(
        201,
      );
    }
    const fine = await call<{ id: string }>(api.url, 'POST', '/api/v1/app', { token: key.body.token, json: { name: 'fine' } });
    expect(
      (await call(api.url, 'POST', `/api/v1/app/${fine.body.id}/endpoint`, { token: key.body.token, json: { url: healthy.url } })).status,
    ).toBe(201);

    const worker = spawnWorker({
      ...herald.workerEnv,
      HERALD_DELIVERY_TIMEOUT_MS: String(TIMEOUT_MS),
      HERALD_RETRY_SCHEDULE: '600',
      HERALD_ENDPOINT_CONCURRENCY: String(ENDPOINT_CONCURRENCY),
    });
    cleanups.push(() => worker.stop(5000));
    const publish = (app: string, token: string, n: number) =>
      call<{ id: string }>(api.url, 'POST', `/api/v1/app/${app}/msg`, { token, json: { eventType: 'isolation', payload: { n } } });
    // Warm up: the worker is ready once the healthy endpoint gets a message.
    expect((await publish(fine.body.id, key.body.token, -1)).status).toBe(202);
    const ready = Date.now() + 60_000;
    while (!healthy.arrivals.has(-1)) {
      if (Date.now() > ready) throw new Error(`the worker never delivered:\n${worker.output()}`);
      await sleep(100);
    }

    // Both applications publish RATE messages a second: the troubled endpoints need far more
    // concurrent sends than their share (hanging: RATE × 5 s timeout; slow: RATE × 3 s).
    const publishedAt = new Map<number, number>();
    const sends: Promise<unknown>[] = [];
    const started = Date.now();
    for (let n = 0; n < RATE * SECONDS; n++) {
      const wait = started + (n * 1000) / RATE - Date.now();
      if (wait > 0) await sleep(wait);
      publishedAt.set(n, Date.now());
      sends.push(publish(fine.body.id, key.body.token, n), publish(troubled.body.id, rootToken, n));
    }
    await Promise.all(sends);
    const deadline = Date.now() + 15_000;
    while (healthy.arrivals.size < RATE * SECONDS + 1 && Date.now() < deadline) await sleep(100);

    const latencies = [...publishedAt].map(([n, at]) => (healthy.arrivals.get(n) ?? Number.POSITIVE_INFINITY) - at).sort((a, b) => a - b);
    const p99 = percentile(latencies, 99)!;
    console.log(
      `isolation: healthy p50 ${percentile(latencies, 50)} ms, p99 ${p99} ms; hanging endpoint held at most ${hanging.stats().maxOpen} requests open, slow ${slow.stats().maxOpen}`,
    );
    expect(healthy.arrivals.size - 1, 'every message reached the healthy endpoint').toBe(RATE * SECONDS);
    // A send waiting behind the troubled endpoints would take seconds (their timeout and delay).
    expect(p99, `healthy p99\n${worker.output().slice(-3000)}`).toBeLessThan(1000);
    // Each troubled endpoint got its share of sends and no more.
    expect(hanging.stats().maxOpen).toBeLessThanOrEqual(ENDPOINT_CONCURRENCY);
    expect(hanging.stats().maxOpen).toBeGreaterThanOrEqual(ENDPOINT_CONCURRENCY - 5);
    expect(slow.stats().maxOpen).toBeLessThanOrEqual(ENDPOINT_CONCURRENCY);
  }, 120_000);
});
