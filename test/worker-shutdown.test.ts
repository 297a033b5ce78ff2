import { startWorker } from '@herald/worker';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep, until } from './support/chaos';
import { call, startTestHerald, type TestHerald } from './support/harness';
import { testSender } from './support/outbound';
import { type Handler, type Receiver, startReceiver } from './support/receiver';

/**
 * A graceful stop of a worker whose endpoint lines hold deliveries fan-out
 * already claimed: they are given back and queued, so the next worker sends
 * them at once instead of after their lease (delivery timeout + 30 s) and the
 * sweeper's grace.
 */
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

/**
 * A Herald on Redis with one application and one endpoint at a receiver answering as `handler`
 * says, and the options of the workers that take turns on it. Their sweeper would find what a
 * stopped worker left only 60 s after it is due: what arrives sooner was handed back.
 */
async function stopScene(config: Record<string, string>, handler: Handler) {
  const herald: TestHerald = await startTestHerald({ queue: 'redis', config });
  cleanups.push(() => herald.close());
  const receiver: Receiver = await startReceiver(handler);
  cleanups.push(() => receiver.close());
  const app = await call<{ id: string }>(herald.url, 'POST', '/api/v1/app', { token: herald.rootToken, json: { name: 'Shutdown' } });
  await call(herald.url, 'POST', `/api/v1/app/${app.body.id}/endpoint`, {
    token: herald.rootToken,
    json: { url: `${receiver.url}/hook` },
  });
  const workerOptions = {
    config: herald.config,
    db: herald.database.db,
    queue: herald.queue,
    sender: testSender({ timeoutMs: 2000 }),
    sweeper: { intervalMs: 60_000, graceMs: 60_000, deliveryGraceMs: 60_000 },
  };
  return { herald, receiver, app, workerOptions };
}

describe('worker shutdown', () => {
  it('hands the claims waiting in an endpoint line back, and the next worker sends them at once', async () => {
    const { herald, receiver, app, workerOptions } = await stopScene(
      { HERALD_DELIVERY_TIMEOUT_MS: '2000', HERALD_ENDPOINT_CONCURRENCY: '1' },
      async () => {
        await sleep(300);
        return { status: 200, body: 'ok' };
      },
    );
    const first = startWorker(workerOptions);
    // One endpoint, one send at a time: fan-out claims the batch and the rest wait in the endpoint's line.
    const published = await Promise.all(
      Array.from({ length: 8 }, (_, n) =>
        call<{ id: string }>(herald.url, 'POST', `/api/v1/app/${app.body.id}/msg`, {
          token: herald.rootToken,
          json: { eventType: 'e', payload: { n } },
        }),
      ),
    );
    expect(published.every((p) => p.status === 202)).toBe(true);
    await receiver.waitFor(1);
    await first.close();
    const beforeSecond = receiver.requests.length;
    expect(beforeSecond, 'some deliveries were still waiting when the worker stopped').toBeLessThan(8);

    const stoppedAt = Date.now();
    const second = startWorker(workerOptions);
    cleanups.push(() => second.close());
    const ids = new Set(published.map((p) => p.body.id));
    await until(
      'every message delivered',
      async () => new Set(receiver.requests.map((r) => String(r.headers['webhook-id']))).size === ids.size,
      {
        timeoutMs: 15_000,
        describe: () => `${receiver.requests.length} requests`,
      },
    );
    // Well inside the 32 s lease the stopped worker's claims held.
    expect(Date.now() - stoppedAt).toBeLessThan(15_000);
  }, 60_000);

  it('hands a retry waiting on its timer back to the queue, and the next worker sends it when due', async () => {
    const { herald, receiver, app, workerOptions } = await stopScene({ HERALD_RETRY_SCHEDULE: '3' }, (_request, index) =>
      index === 0 ? { status: 503, body: 'not yet' } : { status: 200, body: 'ok' },
    );
    const first = startWorker(workerOptions);
    const published = await call<{ id: string }>(herald.url, 'POST', `/api/v1/app/${app.body.id}/msg`, {
      token: herald.rootToken,
      json: { eventType: 'e', payload: { n: 1 } },
    });
    expect(published.status).toBe(202);
    const [failed] = await receiver.waitFor(1);
    // The failure is recorded and its retry (due 3 s ± 20 % later) waits on the first worker's timer.
    await sleep(500);
    await first.close();
    expect(receiver.requests).toHaveLength(1);

    const second = startWorker(workerOptions);
    cleanups.push(() => second.close());
    const [, retried] = await receiver.waitFor(2, 15_000);
    expect(retried!.headers['webhook-id']).toBe(published.body.id);
    // Sent at its due time from the queue, not before it.
    expect(retried!.at - failed!.at).toBeGreaterThanOrEqual(2400);
    expect(retried!.at - failed!.at).toBeLessThan(10_000);
  }, 60_000);
});
