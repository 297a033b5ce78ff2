import type { Logger } from '@herald/core';
import { type Database, deleteExpiredIdempotencyKeys } from '@herald/db';
import type { QueueRuntime } from '@herald/queue';
import { sweepCircuits, sweepOverdueDeliveries, sweepUndispatched } from '@herald/services';

export interface SweeperOptions {
  /** Pause between sweeps. */
  intervalMs: number;
  /** A message younger than this is left to the API's own hand-over. */
  graceMs: number;
  /** A delivery overdue by more than this has lost its job (or its worker) and is queued again. */
  deliveryGraceMs: number;
  /** A circuit breaker's probe overdue by more than this was lost and is queued again; held deliveries of a closed circuit are released. */
  circuitGraceMs?: number;
}

export const DEFAULT_SWEEPER: SweeperOptions = { intervalMs: 5000, graceMs: 5000, deliveryGraceMs: 30_000, circuitGraceMs: 5000 };

/**
 * Re-dispatches messages that were committed but never reached the queue
 * (API crash between commit and hand-over, queue outage), and queues again
 * deliveries whose job was lost or whose worker died holding them. Runs in
 * every worker; advisory locks let one sweep at a time.
 */
export function startSweeper(db: Database, queue: QueueRuntime, log: Logger, options: SweeperOptions) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const tick = async () => {
    try {
      // Drain the backlog in batches before waiting again.
      for (let swept = 1; swept > 0 && !stopped; ) {
        swept = await sweepUndispatched(db, queue, { graceMs: options.graceMs });
        if (swept > 0) log.info('outbox sweeper dispatched messages', { messages: swept });
      }
      const requeued = await sweepOverdueDeliveries(db, queue, { graceMs: options.deliveryGraceMs });
      if (requeued > 0) log.info('sweeper queued overdue deliveries again', { deliveries: requeued });
      const circuits = await sweepCircuits(db, queue, { graceMs: options.circuitGraceMs ?? DEFAULT_SWEEPER.circuitGraceMs! });
      if (circuits.probes + circuits.released + circuits.deadLettered > 0) {
        log.info('sweeper queued lost probes, released stranded held deliveries, dead-lettered disabled endpoints’ leftovers', circuits);
      }
      // Idempotency keys are honoured for 24 h; expired ones are only dead weight.
      await deleteExpiredIdempotencyKeys(db);
    } catch (error) {
      log.warn('outbox sweep failed; will retry', { error: error instanceof Error ? error.message : String(error) });
    }
    if (!stopped) {
      timer = setTimeout(() => {
        running = tick();
      }, options.intervalMs);
    }
  };
  running = tick();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
