import type { QueueBackendKind } from '@herald/core';
import { schema } from '@herald/db';
import { startWorker } from '@herald/worker';
import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './support/chaos';
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

describe('circuit breaker', () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;
  const receivers: Receiver[] = [];
  beforeAll(async () => {
    ctx = await setUp('redis', { HERALD_RETRY_SCHEDULE: '1,1,1,1,1,1' });
  });
  afterAll(async () => {
    await ctx?.close();
    for (const r of receivers) await r.close();
  });

  const health = async (endpointId: string) => {
    const stats = await ctx.api<{
      endpoints: { endpointId: string; health: { circuitOpenUntil: string | null; consecutiveFailures: number } }[];
    }>('GET', '/stats');
    return stats.body.endpoints.find((e) => e.endpointId === endpointId)!.health;
  };
  const heldDeliveries = async (endpointId: string) =>
    (
      await ctx.herald.database.db
        .select({ id: schema.deliveries.id })
        .from(schema.deliveries)
        .where(
          and(
            eq(schema.deliveries.endpointId, endpointId),
            isNull(schema.deliveries.nextAttemptAt),
            eq(schema.deliveries.status, 'pending'),
          ),
        )
    ).length;

  it('opens for an endpoint that fails every request, holds what arrives meanwhile, and releases it all once a probe succeeds', async () => {
    let healthy = false;
    const receiver = await startReceiver(() => (healthy ? { status: 200, body: 'ok' } : { status: 500, body: 'down' }));
    receivers.push(receiver);
    const endpoint = await ctx.api<{ id: string }>('POST', '/endpoint', { url: `${receiver.url}/circuit`, filterTypes: ['circuit.test'] });
    // Ten messages a second: first tries fail, their retries (1 s later) fail too; once the 2 s
    // window (twice the first retry delay) is full of failures, the breaker opens.
    let n = 0;
    const publishing = (async () => {
      while (!(await health(endpoint.body.id)).circuitOpenUntil && n < 100) {
        await ctx.api('POST', '/msg', { eventType: 'circuit.test', payload: { n: n++ } });
        await sleep(100);
      }
    })();
    await publishing;
    expect((await health(endpoint.body.id)).circuitOpenUntil, 'the breaker opened').not.toBeNull();
    // It opened within a few seconds: a window, not a hundred messages later.
    expect(n).toBeLessThan(60);

    // Open: new messages are held (no job, no request), nothing reaches the receiver.
    await sleep(300);
    const seenWhenOpen = receiver.requests.length;
    for (let i = 0; i < 5; i++) await ctx.api('POST', '/msg', { eventType: 'circuit.test', payload: { n: n++ } });
    await until('the new messages to be held', async () => (await heldDeliveries(endpoint.body.id)) >= 5, { timeoutMs: 5000 });
    await sleep(1000);
    expect(receiver.requests.length, 'no request while the circuit is open').toBe(seenWhenOpen);

    // The receiver recovers: the probe (after the 5 s open interval) succeeds, closes the circuit
    // at once, and every held or pending delivery goes out.
    const recoveredAt = Date.now();
    healthy = true;
    const deliveredSinceRecovery = () =>
      new Set(receiver.requests.filter((r) => r.at >= recoveredAt).map((r) => r.headers['webhook-id'])).size;
    await until('every message to be delivered', async () => deliveredSinceRecovery() >= n, {
      timeoutMs: 30_000,
      describe: () => `${deliveredSinceRecovery()} of ${n} delivered since the receiver recovered`,
    });
    // The probe went out at the end of the open interval; the held ones right after it, not on their own schedule.
    const sinceRecovery = receiver.requests.filter((r) => r.at >= recoveredAt).map((r) => r.at);
    expect(Math.max(...sinceRecovery) - Math.min(...sinceRecovery), 'released together once the probe succeeded').toBeLessThan(2000);
    const attempts = await ctx.api<{ data: { status: number }[] }>('GET', `/attempt/endpoint/${endpoint.body.id}?limit=250`);
    expect(attempts.body.data.filter((a) => a.status === 0)).toHaveLength(n);
    expect(await heldDeliveries(endpoint.body.id)).toBe(0);
    const after = await health(endpoint.body.id);
    expect(after).toMatchObject({ circuitOpenUntil: null, consecutiveFailures: 0 });
  }, 60_000);
});

describe('disabling', () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;
  const receivers: Receiver[] = [];
  beforeAll(async () => {
    ctx = await setUp('redis', { HERALD_RETRY_SCHEDULE: '60', HERALD_ENDPOINT_DISABLE_AFTER_S: '2' });
  });
  afterAll(async () => {
    await ctx?.close();
    for (const r of receivers) await r.close();
  });

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
