import type { Logger } from '@herald/core';
import {
  type Database,
  deadLetterDisabledBacklog,
  findOverdueDeliveries,
  findOverdueProbes,
  findUndispatched,
  markDispatched,
  releaseStrandedHeld,
} from '@herald/db';
import { MAX_FANOUT_BATCH, probeJob, type QueueRuntime, type ScheduledJob } from '@herald/queue';
import { sql } from 'drizzle-orm';

export interface DispatchableMessage {
  id: string;
  deliverAt: Date | null;
}

/** How long a hand-over to the queue may take before the outbox sweeper is left to retry it. */
const ENQUEUE_TIMEOUT_MS = 2000;

/**
 * Hands committed messages to the queue as fan-out jobs, then marks them
 * dispatched (at once, or through `mark`, which may batch the marking). If
 * the queue does not answer, the messages stay undispatched and the sweeper
 * hands them over later: the 2xx the publisher got is already backed by the
 * commit. A repeated hand-over is harmless: the same job id is a no-op, and
 * a fan-out that runs again finds its deliveries made.
 */
export async function dispatchMessages(
  db: Database,
  queue: QueueRuntime,
  batch: DispatchableMessage[],
  mark: (ids: string[]) => Promise<void> = (ids) => markDispatched(db, ids),
): Promise<void> {
  if (batch.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      queue.enqueueMany('fanout', fanOutJobs(batch, Date.now())),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`queue did not accept the batch within ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
  await mark(batch.map((m) => m.id));
}

/** Messages per fan-out job: big enough to spread a job's cost, small enough to spread the work over workers. */
const FANOUT_JOB_MESSAGES = Math.min(100, MAX_FANOUT_BATCH);

/**
 * Messages due now go in jobs of up to {@link FANOUT_JOB_MESSAGES}, in commit
 * order; a message scheduled for later (`deliverAt`) gets a delayed job of its own.
 */
function fanOutJobs(batch: DispatchableMessage[], now: number): ScheduledJob<'fanout'>[] {
  const jobs: ScheduledJob<'fanout'>[] = [];
  let due: string[] = [];
  const flushDue = () => {
    if (due.length === 1) jobs.push({ payload: { messageId: due[0]! } });
    else if (due.length > 1) jobs.push({ payload: { messageIds: due } });
    due = [];
  };
  for (const m of batch) {
    const delayMs = m.deliverAt ? m.deliverAt.getTime() - now : 0;
    if (delayMs > 0) {
      jobs.push({ payload: { messageId: m.id }, delayMs });
      continue;
    }
    due.push(m.id);
    if (due.length === FANOUT_JOB_MESSAGES) flushDue();
  }
  flushDue();
  return jobs;
}

export interface Dispatcher {
  /** Schedules a committed message for hand-over; never throws. */
  schedule(message: DispatchableMessage): void;
  /** Hands over everything scheduled so far. */
  flush(): Promise<void>;
}

/** Messages per hand-over: one `addBulk` and one UPDATE each. */
const MAX_DISPATCH_BATCH = 1000;

/**
 * How long the dispatcher collects handed-over messages before marking them
 * dispatched in one UPDATE. The mark only tells the sweeper (which waits 5 s)
 * that a message needs no second hand-over, and fan-out marks it too, so it
 * may lag: batching it takes one statement, and usually one row write, per
 * message off the database.
 */
const MARK_INTERVAL_MS = 200;

/**
 * Micro-batches hand-overs: one hand-over runs at a time, and takes everything
 * committed while the previous one ran (up to a thousand), so under load the
 * batches grow instead of queuing up behind each other one small batch at a time.
 */
export function createDispatcher(db: Database, queue: QueueRuntime, log: Logger): Dispatcher {
  let pending: DispatchableMessage[] = [];
  let running: Promise<void> | undefined;
  let toMark: string[] = [];
  let markTimer: NodeJS.Timeout | undefined;
  let marking: Promise<void> = Promise.resolve();

  const markNow = () => {
    clearTimeout(markTimer);
    markTimer = undefined;
    const ids = toMark;
    toMark = [];
    if (ids.length === 0) return marking;
    marking = marking
      .then(async () => {
        for (let start = 0; start < ids.length; start += MAX_DISPATCH_BATCH) {
          await markDispatched(db, ids.slice(start, start + MAX_DISPATCH_BATCH));
        }
      })
      .catch((error: unknown) => {
        // Not lost: the sweeper hands these over again (a no-op for the queue), and fan-out marks them.
        log.warn('could not mark messages dispatched', {
          messages: ids.length,
          error: error instanceof Error ? error.message : String(error),
        });
      });
    return marking;
  };
  const markLater = async (ids: string[]) => {
    toMark.push(...ids);
    if (toMark.length >= MAX_DISPATCH_BATCH) void markNow();
    // Unref'd: a process that exits first leaves the marking to fan-out (or the sweeper); `flush` marks on shutdown.
    else markTimer ??= setTimeout(markNow, MARK_INTERVAL_MS).unref();
  };

  const drain = async () => {
    // Let the requests of this turn of the event loop join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (pending.length > 0) {
      const batch = pending.length <= MAX_DISPATCH_BATCH ? pending : pending.slice(0, MAX_DISPATCH_BATCH);
      pending = batch === pending ? [] : pending.slice(MAX_DISPATCH_BATCH);
      try {
        await dispatchMessages(db, queue, batch, markLater);
      } catch (error) {
        log.warn('dispatch deferred to the outbox sweeper', {
          messages: batch.length,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  };

  const start = () => {
    running ??= drain().finally(() => {
      running = undefined;
      // Scheduled after the loop saw an empty list but before `running` was cleared.
      if (pending.length > 0) start();
    });
    return running;
  };

  return {
    schedule(message) {
      pending.push(message);
      start();
    },
    async flush() {
      while (running || pending.length > 0) await start();
      await markNow();
    },
  };
}

const SWEEP_LOCK = 7_307_003;

/**
 * The outbox sweeper: hands over what was committed but never dispatched.
 * One sweeper at a time across all workers (advisory lock); a concurrent one
 * simply skips its turn. Returns how many messages it handed over.
 */
export async function sweepUndispatched(
  db: Database,
  queue: QueueRuntime,
  options: { graceMs: number; batchSize?: number },
): Promise<number> {
  return await db.transaction(async (tx) => {
    const [lock] = await tx.execute<{ locked: boolean }>(sql`select pg_try_advisory_xact_lock(${SWEEP_LOCK}) as locked`);
    if (!lock?.locked) return 0;
    const batch = await findUndispatched(tx as unknown as Database, options.graceMs, options.batchSize ?? 1000);
    await dispatchMessages(tx as unknown as Database, queue, batch);
    return batch.length;
  });
}

const DELIVERY_SWEEP_LOCK = 7_307_004;

/**
 * Queues again the deliveries that are overdue: their job was lost (a queue
 * outage without persistence) or their worker died holding the lease. A
 * duplicate job is harmless: the delivery's claim lets one run through.
 */
export async function sweepOverdueDeliveries(
  db: Database,
  queue: QueueRuntime,
  options: { graceMs: number; batchSize?: number },
): Promise<number> {
  return await db.transaction(async (tx) => {
    const [lock] = await tx.execute<{ locked: boolean }>(sql`select pg_try_advisory_xact_lock(${DELIVERY_SWEEP_LOCK}) as locked`);
    if (!lock?.locked) return 0;
    const overdue = await findOverdueDeliveries(tx as unknown as Database, options.graceMs, options.batchSize ?? 1000);
    // A fresh job id per sweep: the lost job's id may still be held by a failed job BullMQ keeps.
    const now = Date.now();
    await queue.enqueueMany(
      'deliver',
      overdue.map((d) => ({ payload: { deliveryId: d.id, endpointId: d.endpointId, due: now } })),
    );
    return overdue.length;
  });
}

const CIRCUIT_SWEEP_LOCK = 7_307_005;

/**
 * The circuit breaker's safety net, one sweeper at a time (advisory lock).
 * Probes whose job was lost (or whose worker died mid-probe) are queued again
 * once the open interval is over by `graceMs`; deliveries held while their
 * endpoint's circuit closed (a hold that raced the release) are made due and
 * queued; what a disabled endpoint still owes (a disable whose dead-lettering
 * did not finish) is dead-lettered. Returns how many of each.
 */
export async function sweepCircuits(
  db: Database,
  queue: QueueRuntime,
  options: { graceMs: number; batchSize?: number },
): Promise<{ probes: number; released: number; deadLettered: number }> {
  return await db.transaction(async (tx) => {
    const [lock] = await tx.execute<{ locked: boolean }>(sql`select pg_try_advisory_xact_lock(${CIRCUIT_SWEEP_LOCK}) as locked`);
    if (!lock?.locked) return { probes: 0, released: 0, deadLettered: 0 };
    const t = tx as unknown as Database;
    const limit = options.batchSize ?? 1000;
    const now = Date.now();
    const probes = await findOverdueProbes(t, options.graceMs, limit);
    // One probe job per endpoint per sweep; a probe that finds the circuit taken or closed does nothing.
    await queue.enqueueMany(
      'deliver',
      probes.map((endpointId) => ({ payload: probeJob(endpointId, now) })),
    );
    const released = await releaseStrandedHeld(t, options.graceMs, limit);
    await queue.enqueueMany(
      'deliver',
      released.map((d) => ({ payload: { deliveryId: d.id, endpointId: d.endpointId, due: now } })),
    );
    const deadLettered = await deadLetterDisabledBacklog(t, options.graceMs, limit);
    return { probes: probes.length, released: released.length, deadLettered };
  });
}
