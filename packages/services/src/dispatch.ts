import type { Logger } from '@herald/core';
import { type Database, findOverdueDeliveries, findUndispatched, markDispatched } from '@herald/db';
import type { QueueRuntime } from '@herald/queue';
import { sql } from 'drizzle-orm';

export interface DispatchableMessage {
  id: string;
  deliverAt: Date | null;
}

/** How long a hand-over to the queue may take before the outbox sweeper is left to retry it. */
const ENQUEUE_TIMEOUT_MS = 2000;

/**
 * Hands committed messages to the queue as fan-out jobs, then marks them
 * dispatched. If the queue does not answer, the messages stay undispatched and
 * the sweeper hands them over later: the 2xx the publisher got is already
 * backed by the commit. Job ids make a repeated hand-over a no-op.
 */
export async function dispatchMessages(db: Database, queue: QueueRuntime, batch: DispatchableMessage[]): Promise<void> {
  if (batch.length === 0) return;
  const now = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      queue.enqueueMany(
        'fanout',
        batch.map((m) => ({ payload: { messageId: m.id }, delayMs: m.deliverAt ? m.deliverAt.getTime() - now : 0 })),
      ),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`queue did not accept the batch within ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
  await markDispatched(
    db,
    batch.map((m) => m.id),
  );
}

export interface Dispatcher {
  /** Schedules a committed message for hand-over; never throws. */
  schedule(message: DispatchableMessage): void;
  /** Hands over everything scheduled so far. */
  flush(): Promise<void>;
}

/**
 * Micro-batches hand-overs: messages committed in the same tick of the event
 * loop go to the queue in one `addBulk` and are marked in one UPDATE.
 */
export function createDispatcher(db: Database, queue: QueueRuntime, log: Logger): Dispatcher {
  let pending: DispatchableMessage[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  let scheduled = false;

  const run = () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    inFlight = inFlight
      .then(() => dispatchMessages(db, queue, batch))
      .catch((error: unknown) => {
        log.warn('dispatch deferred to the outbox sweeper', {
          messages: batch.length,
          error: error instanceof Error ? error.message : String(error),
        });
      });
    return inFlight;
  };

  return {
    schedule(message) {
      pending.push(message);
      if (!scheduled) {
        scheduled = true;
        setImmediate(run);
      }
    },
    async flush() {
      if (pending.length > 0) await run();
      await inFlight;
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
      overdue.map((d) => ({ payload: { deliveryId: d.id, due: now } })),
    );
    return overdue.length;
  });
}
