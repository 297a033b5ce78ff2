import { createLogger } from '@herald/core';
import type { JobPayload, QueueRuntime } from '@herald/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_BACKENDS, testDatabase, testQueue } from '../../../test/support/harness';
import { createRetryScheduler, type DueRetry } from '../src/engine/retries';

/**
 * Where retries wait: soon-due ones on a timer in the process, later ones as
 * delayed deliver jobs, and at shutdown the waiting ones go back to the queue
 * with the delay they have left. Observed through a real queue and a real
 * deliver worker on each backend.
 */
describe.each(QUEUE_BACKENDS)('retry scheduler on %s', (backend) => {
  let database: Awaited<ReturnType<typeof testDatabase>>;
  let queue: QueueRuntime;
  const fromQueue: { job: JobPayload<'deliver'>; at: number }[] = [];
  const log = createLogger('retries-test', 'error');

  beforeAll(async () => {
    database = await testDatabase();
    queue = testQueue(backend, database.url);
    queue.work('deliver', async (job) => {
      fromQueue.push({ job, at: Date.now() });
    });
  });
  afterAll(async () => {
    await queue?.close();
    await database?.close();
  });

  const retry = (id: string, inMs: number): DueRetry => ({ deliveryId: id, endpointId: 'ep_1', due: Date.now() + inMs });
  /** An engine that takes every retry, holds none and has free slots, unless told otherwise. */
  const engine = (run: (retry: DueRetry) => Promise<void>, state: { holds?: (id: string) => boolean; saturated?: () => boolean } = {}) => ({
    run,
    holds: state.holds ?? (() => false),
    saturated: state.saturated ?? (() => false),
  });
  const arrived = async (id: string, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = fromQueue.find((x) => x.job.deliveryId === id);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`${id} never came through the queue`);
  };
  /** Waits until `ran` holds `count` runs (or fails after a few seconds: a busy CI machine delays timers). */
  const runs = async (ran: unknown[], count: number) => {
    const deadline = Date.now() + 5000;
    while (ran.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  };

  it('runs a retry due within the horizon here, at its due time, without a job', async () => {
    const ran: { retry: DueRetry; at: number }[] = [];
    const scheduler = createRetryScheduler({ queue, log, horizonMs: 2000 });
    scheduler.start(
      engine(async (r) => {
        ran.push({ retry: r, at: Date.now() });
      }),
    );
    const soon = retry(`${backend}_soon`, 300);
    await scheduler.schedule(soon);
    await scheduler.schedule({ ...soon }); // the same retry twice waits once
    expect(scheduler.size).toBe(1);
    await runs(ran, 1);
    // Time enough for the second, if there were one.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ran.map((r) => r.retry.deliveryId)).toEqual([soon.deliveryId]);
    expect(ran[0]!.at).toBeGreaterThanOrEqual(soon.due);
    expect(fromQueue.some((x) => x.job.deliveryId === soon.deliveryId)).toBe(false);
    await scheduler.close();
  });

  it('makes a retry beyond the horizon a delayed deliver job', async () => {
    const ran: DueRetry[] = [];
    const scheduler = createRetryScheduler({ queue, log, horizonMs: 200 });
    scheduler.start(
      engine(async (r) => {
        ran.push(r);
      }),
    );
    const later = retry(`${backend}_later`, 700);
    await scheduler.schedule(later);
    expect(scheduler.size).toBe(0);
    const { job, at } = await arrived(later.deliveryId);
    expect(job).toMatchObject(later);
    expect(at).toBeGreaterThanOrEqual(later.due);
    expect(ran).toEqual([]);
    await scheduler.close();
  });

  it('hands what still waits to the queue at shutdown, due when it was due; later retries go to the queue', async () => {
    const ran: DueRetry[] = [];
    const scheduler = createRetryScheduler({ queue, log, horizonMs: 5000 });
    scheduler.start(
      engine(async (r) => {
        ran.push(r);
      }),
    );
    const waiting = retry(`${backend}_waiting`, 600);
    await scheduler.schedule(waiting);
    await scheduler.close();
    const afterClose = retry(`${backend}_after_close`, 100);
    await scheduler.schedule(afterClose);
    const handedBack = await arrived(waiting.deliveryId);
    expect(handedBack.at).toBeGreaterThanOrEqual(waiting.due);
    await arrived(afterClose.deliveryId);
    expect(ran).toEqual([]);
  });

  it('waits while the delivery is still held here (its last attempt being recorded), then runs it', async () => {
    const ran: { retry: DueRetry; at: number }[] = [];
    let held = true;
    const scheduler = createRetryScheduler({ queue, log, horizonMs: 5000 });
    scheduler.start(
      engine(
        async (r) => {
          ran.push({ retry: r, at: Date.now() });
        },
        { holds: () => held },
      ),
    );
    const busy = retry(`${backend}_busy`, 100);
    await scheduler.schedule(busy);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(ran, 'not run while the engine holds the delivery').toEqual([]);
    expect(scheduler.size).toBe(1);
    held = false;
    const releasedAt = Date.now();
    await runs(ran, 1);
    expect(ran.map((r) => r.retry.deliveryId)).toEqual([busy.deliveryId]);
    expect(ran[0]!.at).toBeGreaterThanOrEqual(releasedAt);
    expect(fromQueue.some((x) => x.job.deliveryId === busy.deliveryId)).toBe(false);
    await scheduler.close();
  });

  it('queues a due retry when every sending slot here is taken, so another worker may send it', async () => {
    const ran: DueRetry[] = [];
    const scheduler = createRetryScheduler({ queue, log, horizonMs: 5000 });
    scheduler.start(
      engine(
        async (r) => {
          ran.push(r);
        },
        { saturated: () => true },
      ),
    );
    const crowded = retry(`${backend}_crowded`, 100);
    await scheduler.schedule(crowded);
    const { at } = await arrived(crowded.deliveryId);
    expect(at).toBeGreaterThanOrEqual(crowded.due);
    expect(ran).toEqual([]);
    await scheduler.close();
  });

  it('queues a retry whose run here failed, so it is not lost', async () => {
    const scheduler = createRetryScheduler({ queue, log, horizonMs: 5000 });
    scheduler.start(
      engine(async () => {
        throw new Error('database unavailable');
      }),
    );
    const failing = retry(`${backend}_failing`, 50);
    await scheduler.schedule(failing);
    const { at } = await arrived(failing.deliveryId);
    // Queued about two seconds after its local run failed.
    expect(at - failing.due).toBeGreaterThanOrEqual(1500);
    await scheduler.close();
  });
});
