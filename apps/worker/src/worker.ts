import type { HeraldConfig } from '@herald/core';
import { createLogger } from '@herald/core';
import type { Database } from '@herald/db';
import { createAddressPolicy, createKafkaPublisher, createWebhookSender, type WebhookSender } from '@herald/delivery';
import { type AnyWorker, createWorkQueuePublisher, type QueueRuntime, type QueueSettings } from '@herald/queue';
import { createDeliveryEngine, HEALTH_POLICY } from './deliver';
import { createDestinations } from './destinations';
import { fanOutMessages } from './fanout';
import { createKafkaStreamer, createStreamKicker } from './kafka-stream';
import { sendOperationalEvent } from './operational';
import { runReplayTask } from './replay';
import { DEFAULT_SWEEPER, type SweeperOptions, startSweeper } from './sweeper';

export const USER_AGENT = 'Herald-Webhooks/0.1 (+https://github.com/herald)';

export interface WorkerDeps {
  config: HeraldConfig;
  db: Database;
  queue: QueueRuntime;
  sweeper?: SweeperOptions;
  /** Replaces the outbound HTTP client (tests pin DNS answers with it). */
  sender?: WebhookSender;
  /** Where work-queue endpoints publish by default: Herald's own queue store. */
  workQueueStore?: QueueSettings;
}

export interface RunningWorker {
  close(): Promise<void>;
}

/** Registers a BullMQ worker for every job in the catalog, plus the sweeper. */
export function startWorker(deps: WorkerDeps): RunningWorker {
  const { config, db, queue } = deps;
  const log = createLogger('worker', config.logLevel);
  const sender =
    deps.sender ??
    createWebhookSender({
      timeoutMs: config.delivery.timeoutMs,
      policy: createAddressPolicy({ allowlist: config.delivery.outboundAllowlist, httpsOnly: config.delivery.httpsOnly }),
      userAgent: USER_AGENT,
    });
  // The operator's own endpoint is configuration, not tenant input: the SSRF guard does not apply to it.
  const operationalSender = createWebhookSender({
    timeoutMs: config.delivery.timeoutMs,
    policy: createAddressPolicy({ allowlist: ['0.0.0.0/0', '::/0'] }),
    userAgent: USER_AGENT,
  });
  const kafka = createKafkaPublisher({ clientId: 'herald-worker' });
  const workQueues = createWorkQueuePublisher(
    deps.workQueueStore ?? {
      kind: config.queueBackend,
      redisUrl: config.redisUrl,
      databaseUrl: config.databaseUrl,
      prefix: config.queuePrefix,
    },
  );
  const destinations = createDestinations({ config, sender, kafka, workQueues });
  const drainStream = createKafkaStreamer({
    config,
    db,
    queue,
    kafka,
    policy: { ...HEALTH_POLICY, disableAfterS: config.delivery.disableAfterS },
    log,
  });
  const engine = createDeliveryEngine({ config, db, queue, destinations, drainStream, log });
  const streams = createStreamKicker({ drain: drainStream, queue, log });

  const workers: AnyWorker[] = [
    // Fan-out sends the first attempt of most deliveries itself (already claimed, no deliver job),
    // so it runs as many jobs at a time as the deliver worker does.
    queue.work(
      'fanout',
      async (payload) => {
        const messageIds = 'messageId' in payload ? [payload.messageId] : payload.messageIds;
        const { deliveries, claimed } = await fanOutMessages(db, messageIds, { claimLeaseMs: engine.leaseMs });
        // Kafka endpoints are drained in order, in batches, by one drain per endpoint: kick it, no job per message.
        for (const d of deliveries) if (d.streamed) streams.kick(d.endpointId);
        // The claimed ones go out whatever happens to the hand-over of the others (a retry of this job
        // would find every delivery made and send nothing; what it could not queue, the sweeper does).
        const [queued] = await Promise.allSettled([
          queue.enqueueMany(
            'deliver',
            deliveries.filter((d) => !d.streamed).map((d) => ({ payload: { deliveryId: d.id } })),
          ),
          engine.sendClaimed(claimed),
        ]);
        if (queued.status === 'rejected') throw queued.reason;
      },
      { concurrency: config.delivery.concurrency },
    ),
    queue.work('deliver', engine.deliver, { concurrency: config.delivery.concurrency }),
    queue.work('operational', (event) => sendOperationalEvent({ config, db, sender: operationalSender }, event), { concurrency: 5 }),
    queue.work('replay', (payload, job) => runReplayTask({ db, queue, log }, payload, job), { concurrency: 2 }),
  ];
  for (const worker of workers) {
    worker.on('failed', (job, error) => log.warn('job failed', { queue: worker.name, jobId: job?.id, error: error.message }));
    worker.on('error', (error) => log.error('worker error', { queue: worker.name, error: error.message }));
  }
  const sweeper = startSweeper(db, queue, log, deps.sweeper ?? DEFAULT_SWEEPER);
  return {
    async close() {
      await sweeper.stop();
      await Promise.all(workers.map((w) => w.close()));
      await streams.idle();
      if (!deps.sender) await sender.close();
      await operationalSender.close();
      await kafka.close();
      await workQueues.close();
    },
  };
}
