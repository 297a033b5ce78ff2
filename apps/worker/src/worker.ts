import type { HeraldConfig } from '@herald/core';
import { createLogger } from '@herald/core';
import type { Database } from '@herald/db';
import type { QueueRuntime } from '@herald/queue';
import { fanOutMessage } from './fanout';
import { DEFAULT_SWEEPER, type SweeperOptions, startSweeper } from './sweeper';

export interface WorkerDeps {
  config: HeraldConfig;
  db: Database;
  queue: QueueRuntime;
  sweeper?: SweeperOptions;
}

export interface RunningWorker {
  close(): Promise<void>;
}

/** Registers a BullMQ worker for every job in the catalog this process handles. */
export function startWorker(deps: WorkerDeps): RunningWorker {
  const log = createLogger('worker', deps.config.logLevel);
  const fanout = deps.queue.work('fanout', async ({ messageId }) => {
    const { created } = await fanOutMessage(deps.db, messageId);
    log.debug('fanned out', { messageId, deliveries: created });
  });
  fanout.on('failed', (job, error) => log.warn('fanout failed', { jobId: job?.id, error: error.message }));
  fanout.on('error', (error) => log.error('fanout worker error', { error: error.message }));
  const sweeper = startSweeper(deps.db, deps.queue, log, deps.sweeper ?? DEFAULT_SWEEPER);
  return {
    async close() {
      await sweeper.stop();
      await fanout.close();
    },
  };
}
