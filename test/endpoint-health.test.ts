import type { QueueBackendKind } from '@herald/core';
import { startWorker } from '@herald/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHerald } from './support/harness';
import { testSender } from './support/outbound';
import { type Receiver, startReceiver } from './support/receiver';

/** Circuit breaker, throttle and long-failure disabling, end to end with real receivers. */
async function setUp(backend: QueueBackendKind, config: Record<string, string>) {
  const herald = await startTestHerald({ queue: backend, config: { HERALD_DELIVERY_TIMEOUT_MS: '1000', ...config } });
  const worker = startWorker({
    config: herald.config,
    db: herald.database.db,
    queue: herald.queue,
    sender: testSender({ timeoutMs: 1000 }),
    sweeper: { intervalMs: 1000, graceMs: 1000, deliveryGraceMs: 10_000 },
  });
  await call(herald.url, 'POST', '/api/v1/app', { token: herald.rootToken, json: { name: 'Health', uid: 'health' } });
  const api = <T = Record<string, unknown>>(method: string, path: string, json?: unknown) =>
    call<T>(herald.url, method, `/api/v1/app/health${path}`, { token: herald.rootToken, json });
  return {
    herald,
    api,
    async close() {
      await worker.close();
      await herald.close();
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(['redis', 'postgres'] as const)('endpoint throttle on %s', (backend) => {
  let ctx: Awaited<ReturnType<typeof setUp>>;
  let receiver: Receiver;
  beforeAll(async () => {
    ctx = await setUp(backend, {});
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await ctx?.close();
    await receiver?.close();
  });

  it('holds an endpoint limited to 20/s to about 20/s through a burst of 200', async () => {
    const endpoint = await ctx.api<{ id: string }>('POST', '/endpoint', { url: `${receiver.url}/throttled`, throttleRate: 20 });
    expect(endpoint.status).toBe(201);
    for (let i = 0; i < 200; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => ctx.api('POST', '/msg', { eventType: 'burst', payload: { n: i + j } })));
    }
    const requests = await receiver.waitFor(200, 40_000);
    const times = requests.map((r) => r.at).sort((a, b) => a - b);
    const first = times[0]!;
    // The bucket holds a fifth of a second of tokens (4 here), then refills at 20 per second.
    const span = (times.at(-1)! - first) / 1000;
    expect(span).toBeGreaterThanOrEqual((200 - 4) / 20 - 0.5);
    let busiest = 0;
    for (let i = 0; i < times.length; i++) {
      const windowEnd = times[i]! + 1000;
      let j = i;
      while (j < times.length && times[j]! < windowEnd) j++;
      busiest = Math.max(busiest, j - i);
    }
    // No one-second window holds much more than the rate (20 + the bucket's 4). Tokens are
    // taken before the send, and arrivals are timed at the receiver: on a loaded 2-core machine a
    // delayed send can land beside the next ones, so the bound allows two arrivals of slack.
    expect(busiest).toBeLessThanOrEqual(26);
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(200);
  }, 60_000);
});

describe('circuit breaker and disabling', () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;
  const receivers: Receiver[] = [];
  beforeAll(async () => {
    ctx = await setUp('redis', { HERALD_RETRY_SCHEDULE: '60', HERALD_ENDPOINT_DISABLE_AFTER_S: '2' });
  });
  afterAll(async () => {
    await ctx?.close();
    for (const r of receivers) await r.close();
  });

  it('stops sending to an endpoint after 5 failures in a row, probes it, and resumes once it recovers', async () => {
    let healthy = false;
    const receiver = await startReceiver(() => (healthy ? { status: 200, body: 'ok' } : { status: 500, body: 'down' }));
    receivers.push(receiver);
    const endpoint = await ctx.api<{ id: string }>('POST', '/endpoint', { url: `${receiver.url}/circuit`, filterTypes: ['circuit.test'] });
    for (let i = 0; i < 5; i++) {
      await ctx.api('POST', '/msg', { eventType: 'circuit.test', payload: { n: i } });
      await receiver.waitFor(i + 1);
    }
    // The circuit is open now: three more messages wait instead of hammering the endpoint.
    for (let i = 5; i < 8; i++) await ctx.api('POST', '/msg', { eventType: 'circuit.test', payload: { n: i } });
    await sleep(2500);
    expect(receiver.requests).toHaveLength(5);

    healthy = true;
    // After the open interval (5 s) one probe goes out; it succeeds and the rest follow.
    const all = await receiver.waitFor(8, 20_000);
    const after = all.slice(5).map((r) => JSON.parse(r.body).n);
    expect(after.sort()).toEqual([5, 6, 7]);
    const attempts = await ctx.api<{ data: { status: number }[] }>('GET', `/attempt/endpoint/${endpoint.body.id}`);
    expect(attempts.body.data.filter((a) => a.status === 0)).toHaveLength(3);
  }, 40_000);

  it('disables an endpoint that keeps failing for longer than HERALD_ENDPOINT_DISABLE_AFTER_S', async () => {
    const receiver = await startReceiver(() => ({ status: 500, body: 'down for good' }));
    receivers.push(receiver);
    const endpoint = await ctx.api<{ id: string }>('POST', '/endpoint', { url: `${receiver.url}/dying`, filterTypes: ['dying.test'] });
    await ctx.api('POST', '/msg', { eventType: 'dying.test', payload: { n: 1 } });
    await receiver.waitFor(1);
    await sleep(2200);
    await ctx.api('POST', '/msg', { eventType: 'dying.test', payload: { n: 2 } });
    await receiver.waitFor(2);
    const deadline = Date.now() + 10_000;
    let disabled = false;
    while (!disabled && Date.now() < deadline) {
      disabled = (await ctx.api<{ disabled: boolean }>('GET', `/endpoint/${endpoint.body.id}`)).body.disabled;
      if (!disabled) await sleep(100);
    }
    expect(disabled).toBe(true);
  }, 30_000);
});
