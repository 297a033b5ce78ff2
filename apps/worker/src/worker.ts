import type { HeraldConfig } from '@herald/core';
import { createLogger, createRepeatedLog } from '@herald/core';
import type { Database } from '@herald/db';
import { createAddressPolicy, createAddressVetter, createKafkaPublisher, createWebhookSender, type WebhookSender } from '@herald/delivery';
import { type AnyWorker, createWorkQueuePublisher, type QueueRuntime, type QueueSettings } from '@herald/queue';
import { createDeliveryEngine } from './deliver';
import { createDestinations } from './destinations';
import { BREAKER_POLICY, type BreakerPolicy } from './engine/breaker';
import { createOutcomeRecorder } from './engine/outcome';
import { createRetryScheduler } from './engine/retries';
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
  /** Replaces the circuit breaker's thresholds (tests make it trip or open faster). */
  breakerPolicy?: BreakerPolicy;
}

/**
 * Jobs each worker process runs at once. A job only admits work (claims,
 * fan-out statements); sends run in the engine's send capacity
 * (`HERALD_WORKER_CONCURRENCY`, `HERALD_ENDPOINT_CONCURRENCY`), so these
 * bound database work, not outbound I/O.
 */
const FANOUT_JOB_CONCURRENCY = 50;
const DELIVER_JOB_CONCURRENCY = 100;

export interface RunningWorker {
  close(): Promise<void>;
}

/** Registers a BullMQ worker for every job in the catalog, plus the sweeper. */
export function startWorker(deps: WorkerDeps): RunningWorker {
  const { config, db, queue } = deps;
  const log = createLogger('worker', config.logLevel);
  // One outbound policy for every connection a setting can make: webhooks, the operational webhook,
  // brokers and Redis URLs that endpoints name (Herald's own KAFKA_BROKERS and REDIS_URL are not settings of a tenant).
  const policy = createAddressPolicy({ allowlist: config.delivery.outboundAllowlist, httpsOnly: config.delivery.httpsOnly });
  const vet = createAddressVetter(policy, { timeoutMs: config.delivery.timeoutMs });
  const sender = deps.sender ?? createWebhookSender({ timeoutMs: config.delivery.timeoutMs, policy, userAgent: USER_AGENT });
  const kafka = createKafkaPublisher({ clientId: 'herald-worker', guard: { policy, vet } });
  const workQueues = createWorkQueuePublisher(
    deps.workQueueStore ?? {
      kind: config.queueBackend,
      redisUrl: config.redisUrl,
      databaseUrl: config.databaseUrl,
      prefix: config.queuePrefix,
    },
    { timeoutMs: config.delivery.timeoutMs, vetHost: vet },
  );
  const destinations = createDestinations({ config, sender, kafka, workQueues });
  // Retries due soon wait in this process and enter the engine as their deliver job would.
  const retries = createRetryScheduler({ queue, log });
  // The engine and the Kafka drain record every outcome through one recorder.
  const outcomes = createOutcomeRecorder({ config, db, queue, log, breakerPolicy: deps.breakerPolicy ?? BREAKER_POLICY, retries });
  const drainStream = createKafkaStreamer({ config, db, queue, kafka, outcomes, log });
  const engine = createDeliveryEngine({ config, db, queue, destinations, drainStream, log, outcomes });
  retries.start({ run: engine.deliver, holds: engine.holds, saturated: engine.saturated });
  const streams = createStreamKicker({ drain: drainStream, queue, log });

  const workers: AnyWorker[] = [
    queue.work(
      'fanout',
      async (payload) => {
        const messageIds = 'messageId' in payload ? [payload.messageId] : payload.messageIds;
        // The claimed ones go to the send capacity (at once, or in their endpoint's line), chunk by chunk
        // as each commits, whatever happens to the hand-over of the others (a retry of this job would
        // find every delivery made and send nothing; what it could not queue, the sweeper does).
        const result = await fanOutMessages(db, messageIds, {
          claimLeaseMs: engine.leaseMs,
          slots: engine,
          onClaimed: (claims, claimedAt) => {
            for (const claim of claims) engine.sendClaimed(claim, claimedAt);
          },
        });
        // Kafka endpoints are drained in order, in batches, by one drain per endpoint: kick it, no job per message.
        for (const d of result.deliveries) if (d.streamed) streams.kick(d.endpointId);
        // Held deliveries wait for their endpoint's circuit to close; they have no job.
        await queue.enqueueMany(
          'deliver',
          result.deliveries.filter((d) => !d.streamed && !d.held).map((d) => ({ payload: { deliveryId: d.id, endpointId: d.endpointId } })),
        );
      },
      { concurrency: FANOUT_JOB_CONCURRENCY },
    ),
    queue.work('deliver', engine.deliver, { concurrency: DELIVER_JOB_CONCURRENCY }),
    queue.work('operational', (event) => sendOperationalEvent({ config, db, sender }, event), { concurrency: 5 }),
    queue.work('replay', (payload, job) => runReplayTask({ db, queue, log }, payload, job), { concurrency: 2 }),
  ];
  const repeated = createRepeatedLog(log);
  for (const worker of workers) {
    worker.on('failed', (job, error) => log.warn('job failed', { queue: worker.name, jobId: job?.id, error: error.message }));
    // While the queue store is away this fires on every poll: once per interval, with a count.
    worker.on('error', (error) =>
      repeated.error(`${worker.name}:${error.message}`, 'worker error', { queue: worker.name, error: error.message }),
    );
  }
  const sweeper = startSweeper(db, queue, log, deps.sweeper ?? DEFAULT_SWEEPER);
  return {
    async close() {
      await sweeper.stop();
      // First: waiting retries go to the queue instead of starting sends while this process stops
      // (any worker takes them, due when they were due); retries recorded from now on go there too.
      await retries.close();
      await Promise.all(workers.map((w) => w.close()));
      await engine.close();
      await streams.idle();
      // Last: the endpoint health still pending, and releases of held deliveries.
      await outcomes.idle();
      if (!deps.sender) await sender.close();
      await kafka.close();
      await workQueues.close();
      repeated.flush();
    },
  };
}
