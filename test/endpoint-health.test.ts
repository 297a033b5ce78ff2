import type { QueueBackendKind } from '@herald/core';
import { schema } from '@herald/db';
import type { BreakerPolicy } from '@herald/worker';
import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './support/chaos';
import { call, startTestHerald, startTestWorker } from './support/harness';
import { type Receiver, startReceiver } from './support/receiver';

/** Circuit breaker, throttle and long-failure disabling, end to end with real receivers. */
async function setUp(backend: QueueBackendKind, config: Record<string, string>, breakerPolicy?: BreakerPolicy) {
  const herald = await startTestHerald({ queue: backend, config: { HERALD_DELIVERY_TIMEOUT_MS: '1000', ...config } });
  const worker = startTestWorker(herald, {
    timeoutMs: 1000,
    sweeper: { intervalMs: 500, graceMs: 1000, deliveryGraceMs: 10_000, circuitGraceMs: 500 },
    ...(breakerPolicy ? { breakerPolicy } : {}),
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

describe('circuit breaker with a long retry schedule', () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;
  const receivers: Receiver[] = [];
  beforeAll(async () => {
    // Retries an hour apart; a small breaker (judged over 0.5 s, 3 requests, open 1 s) so the test is quick.
    ctx = await setUp(
      'redis',
      { HERALD_RETRY_SCHEDULE: '3600' },
      { minWindowMs: 500, firstRetryFactor: 0, maxWindowMs: 500, minRequests: 3, failureRate: 0.9, openBaseMs: 1000, openMaxMs: 2000 },
    );
  });
  afterAll(async () => {
    await ctx?.close();
    for (const r of receivers) await r.close();
  });

  const deliveriesOf = (endpointId: string) =>
    ctx.herald.database.db.select().from(schema.deliveries).where(eq(schema.deliveries.endpointId, endpointId));

  async function trippedEndpoint(tag: string) {
    let up = false;
    // No answer at all (the connection is reset): counts against the breaker from the first attempt.
    const receiver = await startReceiver(() => (up ? { status: 200, body: 'ok' } : { reset: true }));
    receivers.push(receiver);
    const endpoint = await ctx.api<{ id: string }>('POST', '/endpoint', { url: `${receiver.url}/${tag}`, filterTypes: [tag] });
    for (
      let n = 0;
      n < 30 && !(await deliveriesOf(endpoint.body.id)).some((d) => d.status === 'pending' && d.nextAttemptAt === null);
      n++
    ) {
      await ctx.api('POST', '/msg', { eventType: tag, payload: { n } });
      await sleep(100);
    }
    const held = (await deliveriesOf(endpoint.body.id)).filter((d) => d.nextAttemptAt === null && d.status === 'pending');
    expect(held.length, 'a delivery was held behind the open circuit').toBeGreaterThan(0);
    return { receiver, endpointId: endpoint.body.id, recover: () => (up = true) };
  }

  it('probes with a held delivery, not the oldest one waiting an hour for its retry, and releases the rest', async () => {
    const { receiver, endpointId, recover } = await trippedEndpoint('long.schedule');
    const failedEarly = (await deliveriesOf(endpointId)).filter((d) => d.status === 'failed');
    expect(failedEarly.length).toBeGreaterThan(0);
    recover();
    const recoveredAt = Date.now();
    // Within seconds (open interval 1 s, then the probe), not an hour: every held delivery is delivered.
    await until(
      'the held deliveries to be delivered',
      async () =>
        (await deliveriesOf(endpointId)).every((d) => d.status === 'succeeded' || (d.status === 'failed' && d.nextAttemptAt !== null)),
      { timeoutMs: 15_000, describe: async () => JSON.stringify((await deliveriesOf(endpointId)).map((d) => [d.status, d.nextAttemptAt])) },
    );
    expect(Date.now() - recoveredAt).toBeLessThan(15_000);
    expect(receiver.requests.some((r) => r.at >= recoveredAt)).toBe(true);
    // The failed ones keep their own schedule: retried in an hour, not now.
    for (const d of await deliveriesOf(endpointId)) if (failedEarly.some((f) => f.id === d.id)) expect(d.status).toBe('failed');
  }, 40_000);

  it('dead-letters held deliveries when the endpoint is disabled, and what a disable left behind', async () => {
    const { endpointId } = await trippedEndpoint('disable.held');
    const patched = await ctx.api('PATCH', `/endpoint/${endpointId}`, { disabled: true });
    expect(patched.status).toBe(200);
    for (const d of await deliveriesOf(endpointId)) expect(d).toMatchObject({ status: 'dead', lastError: 'endpoint disabled' });

    // A delivery left held on a disabled endpoint (its retry was recorded just after the disable):
    // the sweeper dead-letters it.
    const [one] = await deliveriesOf(endpointId);
    await ctx.herald.database.db
      .update(schema.deliveries)
      .set({ status: 'failed', nextAttemptAt: null, updatedAt: new Date(Date.now() - 5000) })
      .where(eq(schema.deliveries.id, one!.id));
    await until(
      'the sweeper to dead-letter it',
      async () => (await deliveriesOf(endpointId)).find((d) => d.id === one!.id)?.status === 'dead',
      { timeoutMs: 10_000 },
    );
  }, 40_000);
});
