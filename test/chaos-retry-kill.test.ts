import { schema } from '@herald/db';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep, spawnWorker, until } from './support/chaos';
import { call, QUEUE_BACKENDS, startTestHerald, startTestWorker } from './support/harness';
import { startReceiver } from './support/receiver';

/**
 * Chaos: a retry due soon waits in the worker process that recorded the
 * failure (apps/worker/src/engine/retries.ts), not in the queue. When that
 * process dies with kill -9 before the retry is due, the retry is not lost:
 * the delivery row says it is due, and another worker's sweeper queues it once
 * it is overdue by the sweeper's grace (here 0.5 s; 30 s by default).
 */

const RETRY_S = 2;

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

describe.concurrent('chaos: kill -9 the worker holding a retry', () => {
  it.each(QUEUE_BACKENDS)(
    'on the %s queue backend, another worker sends the retry once it is overdue',
    async (backend) => {
      const herald = await startTestHerald({ queue: backend });
      cleanups.push(() => herald.close());
      const receiver = await startReceiver((_request, index) =>
        index === 0 ? { status: 500, body: 'not yet' } : { status: 200, body: 'ok' },
      );
      cleanups.push(() => receiver.close());
      const app = await call<{ id: string }>(herald.url, 'POST', '/api/v1/app', {
        token: herald.rootToken,
        json: { name: `retry-kill-${backend}` },
      });
      const endpoint = await call<{ id: string }>(herald.url, 'POST', `/api/v1/app/${app.body.id}/endpoint`, {
        token: herald.rootToken,
        json: { url: `${receiver.url}/hook` },
      });
      expect(endpoint.status).toBe(201);

      const worker = spawnWorker(
        { ...herald.workerEnv, HERALD_RETRY_SCHEDULE: String(RETRY_S), LOG_LEVEL: 'warn' },
        `retry-kill ${backend}`,
      );
      cleanups.push(() => worker.stop(5000));
      const published = await call<{ id: string }>(herald.url, 'POST', `/api/v1/app/${app.body.id}/msg`, {
        token: herald.rootToken,
        json: { eventType: 'retry.kill', payload: { n: 1 } },
      });
      expect(published.status).toBe(202);

      // The first attempt failed and is recorded: the retry now waits in the worker.
      const { deliveries } = schema;
      const delivery = async () =>
        (await herald.database.db.select().from(deliveries).where(eq(deliveries.messageId, published.body.id)))[0];
      const failed = await until(
        'the first attempt recorded',
        async () => {
          const row = await delivery();
          return row?.attemptCount === 1 && row.status !== 'sending' && row.nextAttemptAt ? row : undefined;
        },
        { timeoutMs: 30_000, describe: () => worker.output() },
      );
      await worker.kill9();
      const killedAt = Date.now();
      expect(receiver.requests).toHaveLength(1);

      // Another worker, whose sweeper looks every 250 ms and takes deliveries overdue by 0.5 s.
      const survivor = startTestWorker(herald, { sweeper: { intervalMs: 250, graceMs: 5000, deliveryGraceMs: 500 } });
      cleanups.push(() => survivor.close());
      const [, retried] = await receiver.waitFor(2, 20_000);
      // Not at its due time, as a delayed job would have been sent: the sweeper found it overdue.
      expect(retried!.at).toBeGreaterThanOrEqual(failed.nextAttemptAt!.getTime() + 500);
      expect(retried!.headers['webhook-id']).toBe(published.body.id);
      await until('the delivery recorded as succeeded', async () => (await delivery())?.status === 'succeeded', { timeoutMs: 10_000 });
      // Sent once more, not twice: nothing else held it.
      await sleep(500);
      expect(receiver.requests).toHaveLength(2);
      expect(Date.now() - killedAt).toBeLessThan(20_000);
    },
    90_000,
  );
});
