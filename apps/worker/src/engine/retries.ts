import type { Logger } from '@herald/core';
import type { JobPayload, QueueRuntime } from '@herald/queue';
import { errorText } from './outcome';

/** A retry of one delivery, due at `due` (ms since epoch): the deliver job it would otherwise be. */
export type DueRetry = Required<Pick<JobPayload<'deliver'>, 'deliveryId' | 'endpointId' | 'due'>>;

/**
 * Retries due within this long wait in the process that recorded the failure;
 * later ones are delayed deliver jobs. A retry held here dies with its process,
 * and the sweeper queues the delivery again once it is overdue by its grace
 * (30 s by default): that is what a crash adds to a retry's wait.
 */
export const LOCAL_RETRY_HORIZON_MS = 30_000;

/** A retry whose local run failed (the database away) goes to the queue this much later. */
const FAILED_RUN_RETRY_MS = 2000;

/** A retry due while its delivery's last attempt is still being recorded here looks again this much later. */
const STILL_RECORDING_MS = 250;

/** What the scheduler needs of the engine: its deliver job handler, and whether it can take a retry now. */
export interface RetryTarget {
  run(retry: DueRetry): Promise<void>;
  /** The delivery still waits or is being sent in this process (its last attempt being recorded). */
  holds(deliveryId: string): boolean;
  /** Every sending slot of the process is taken: the retry goes to the queue, where any worker may take it. */
  saturated(): boolean;
}

/**
 * Where the delivery engine's retries wait. Most retries are due seconds after
 * the failure (the schedule's first step, a 429's Retry-After), and a delayed
 * job costs the queue store an insert, a promotion, a fetch and a completion:
 * on the PostgreSQL backend four transactions, three quarters of its work
 * under the ordinary mix of receivers. So a retry due within the horizon waits
 * on a timer here and then enters the engine as its deliver job would; the
 * delivery row already says when it is due, so nothing is lost if the process
 * dies first (see LOCAL_RETRY_HORIZON_MS). Shutdown hands what still waits
 * back to the queue with the delay it has left.
 */
export function createRetryScheduler(deps: { queue: QueueRuntime; log: Logger; horizonMs?: number }) {
  const { queue, log } = deps;
  const horizonMs = deps.horizonMs ?? LOCAL_RETRY_HORIZON_MS;
  const waiting = new Map<string, { retry: DueRetry; timer: NodeJS.Timeout }>();
  let target: RetryTarget | undefined;
  let closed = false;

  const enqueue = (retry: DueRetry, delayMs = retry.due - Date.now()) => queue.enqueue('deliver', retry, { delayMs: Math.max(0, delayMs) });
  const queued = (retry: DueRetry, delayMs?: number) =>
    enqueue(retry, delayMs).catch((error: unknown) =>
      log.warn('retry not queued; the sweeper will find it', { deliveryId: retry.deliveryId, error: errorText(error) }),
    );

  const wait = (key: string, retry: DueRetry, delayMs: number) => {
    waiting.set(key, { retry, timer: setTimeout(() => fire(key, retry), Math.max(0, delayMs)) });
  };

  const fire = (key: string, retry: DueRetry) => {
    waiting.delete(key);
    // Timers run on a monotonic clock, due times on the wall clock: never start early by the latter.
    const early = retry.due - Date.now();
    if (early > 0) return wait(key, retry, early + 1);
    // The attempt before this one is still being recorded (its breaker, its operational webhooks):
    // the engine would take this for a second job of that attempt and drop it.
    if (target!.holds(retry.deliveryId)) return wait(key, retry, STILL_RECORDING_MS);
    if (target!.saturated()) return void queued(retry, 0);
    target!.run(retry).catch((error: unknown) => {
      // Nothing was claimed: the delivery is still due. The queue takes it, or else the sweeper.
      log.warn('retry not started here; queued instead', { deliveryId: retry.deliveryId, error: errorText(error) });
      void queued(retry, FAILED_RUN_RETRY_MS);
    });
  };

  return {
    /** Where due retries go: the engine. Until then, every retry is a job. */
    start(engine: RetryTarget) {
      target = engine;
    },

    async schedule(retry: DueRetry): Promise<void> {
      const delayMs = retry.due - Date.now();
      if (closed || !target || delayMs > horizonMs) return await enqueue(retry, delayMs);
      const key = `${retry.deliveryId}.${retry.due}`;
      if (!waiting.has(key)) wait(key, retry, delayMs);
    },

    /** How many retries wait here (the tests look). */
    get size() {
      return waiting.size;
    },

    /** Stops the timers and queues what waited, each with the delay it has left; later retries go to the queue directly. */
    async close(): Promise<void> {
      closed = true;
      const left = [...waiting.values()];
      waiting.clear();
      for (const { timer } of left) clearTimeout(timer);
      if (left.length === 0) return;
      const now = Date.now();
      await queue
        .enqueueMany(
          'deliver',
          left.map(({ retry }) => ({ payload: retry, delayMs: Math.max(0, retry.due - now) })),
        )
        .catch((error: unknown) =>
          log.warn('waiting retries not handed to the queue; the sweeper will find them', {
            retries: left.length,
            error: errorText(error),
          }),
        );
    },
  };
}

export type RetryScheduler = ReturnType<typeof createRetryScheduler>;
