import type { HeraldConfig, Logger } from '@herald/core';
import {
  acquireDrainLease,
  type ClaimedDelivery,
  type Database,
  hasDueStreamDeliveries,
  nextStreamBatch,
  releaseDrainLease,
  renewDrainLease,
  type StreamedDelivery,
  type schema,
} from '@herald/db';
import { type KafkaPublisher, type KafkaRecord, type SendResult, signatureHeaders } from '@herald/delivery';
import type { QueueRuntime } from '@herald/queue';
import { kafkaTarget, publishFailure } from './destination-targets';
import { signingSecrets } from './destinations';
import type { OutcomeRecorder } from './engine/outcome';

type EndpointRow = typeof schema.endpoints.$inferSelect;

const LEASE_MS = 30_000;
const BATCH = 1000;
const BLOCKED_RETRY_MS = 250;

/**
 * Delivers a Kafka endpoint as a stream: under the endpoint's drain lease,
 * send its due deliveries in message order, up to a thousand per broker
 * request (acks=all, idempotent producer), record them through the engine's
 * one outcome recorder (attempts, delivery state, endpoint health, metrics,
 * operational webhooks, dead letters), and repeat until nothing is due. A
 * failed batch is retried as a whole and holds back what follows, so per-key
 * order survives broker outages. A crash between the broker's acknowledgement
 * and the record re-sends that batch once the lease expires: at-least-once,
 * duplicates carry the same `webhook-id`.
 */
export function createKafkaStreamer(deps: {
  config: HeraldConfig;
  db: Database;
  queue: QueueRuntime;
  kafka: KafkaPublisher;
  outcomes: OutcomeRecorder;
  log: Logger;
}) {
  const { config, db, queue, kafka, log } = deps;

  async function sendBatch(endpoint: EndpointRow, batch: StreamedDelivery[]): Promise<SendResult> {
    const started = performance.now();
    const target = kafkaTarget(endpoint, config);
    if ('failure' in target) return { ok: false, statusCode: null, response: target.reason, durationMs: 0, failure: target.failure };
    const secrets = signingSecrets(endpoint);
    const now = new Date();
    let records: KafkaRecord[];
    try {
      records = batch.map(({ message, delivery }) => ({
        topic: target.topic,
        key: target.keyOf(message.body, delivery.appId),
        value: message.body,
        headers: {
          ...signatureHeaders({ messageId: message.id, timestamp: now, body: message.body, secrets }),
          'herald-event-type': message.eventType,
          'herald-app-id': delivery.appId,
        },
      }));
    } catch (error) {
      // The only thing here that throws is a secret the signer refuses.
      return {
        ok: false,
        statusCode: null,
        response: error instanceof Error ? error.message : String(error),
        durationMs: 0,
        failure: 'invalid_secret',
      };
    }
    try {
      await kafka.publishBatch(target.cluster, records);
      return {
        ok: true,
        statusCode: null,
        response: `acknowledged by ${target.topic}`,
        durationMs: Math.round(performance.now() - started),
      };
    } catch (error) {
      const { failure, reason } = publishFailure('kafka', error, target.cluster.external ?? false);
      return { ok: false, statusCode: null, response: reason.slice(0, 1024), durationMs: Math.round(performance.now() - started), failure };
    }
  }

  /** One query when another worker already drains the endpoint: most stream jobs end right there. */
  return async function drain(endpointId: string): Promise<void> {
    const lease = await acquireDrainLease(db, endpointId, LEASE_MS);
    // Another worker is draining; it will pick up everything that is due.
    if (!lease) return;
    const { endpoint } = lease;
    let token: string | undefined = lease.token;
    for (;;) {
      const { batch } = await nextStreamBatch(db, endpoint.id, BATCH);
      if (batch.length === 0) {
        await releaseDrainLease(db, endpoint.id, token);
        // A delivery committed while we released would find the lease taken: look once more.
        const again = await nextStreamBatch(db, endpoint.id, 1);
        if (again.batch.length === 0) {
          // Held back behind a message still being fanned out: look again shortly.
          if (await hasDueStreamDeliveries(db, endpoint.id)) {
            const due = Date.now() + BLOCKED_RETRY_MS;
            await queue.enqueue('deliver', { deliveryId: `wake-${endpoint.id}`, due, stream: endpoint.id }, { delayMs: BLOCKED_RETRY_MS });
          }
          return;
        }
        token = (await acquireDrainLease(db, endpoint.id, LEASE_MS))?.token;
        if (!token) return;
        continue;
      }
      const result = await sendBatch(endpoint, batch);
      // One request, one health signal (the first record's); every delivery gets its attempt.
      const drainToken = token;
      const outcomes = await Promise.all(
        batch.map(({ delivery, message }, i) => {
          const claim: ClaimedDelivery = { delivery, leaseToken: drainToken, byDrain: true, endpoint, message };
          return deps.outcomes.record({ claim, result, countsForHealth: i === 0 });
        }),
      );
      if (!result.ok) {
        log.warn('kafka batch failed; retrying on schedule', { endpointId: endpoint.id, deliveries: batch.length, error: result.response });
        // The whole stream waits for its head's recorded retry (undefined: the drain lease was lost).
        const head = outcomes[0];
        if (head?.kind === 'retry') {
          const due = head.nextAttemptAt.getTime();
          await queue.enqueue('deliver', { deliveryId: batch[0]!.delivery.id, due, stream: endpoint.id }, { delayMs: due - Date.now() });
        }
        await releaseDrainLease(db, endpoint.id, token);
        // Dead-lettered heads no longer block: carry on with what follows, if anything is due.
        if (head?.kind !== 'dead') return;
        token = (await acquireDrainLease(db, endpoint.id, LEASE_MS))?.token;
        if (!token) return;
        continue;
      }
      if (!(await renewDrainLease(db, endpoint.id, token, LEASE_MS))) return;
    }
  };
}

/**
 * Starts a drain of a Kafka endpoint in this process without a deliver job per
 * message: fan-out kicks the endpoint once per message, and the kicks of one
 * endpoint coalesce (a kick while a drain runs makes it run once more when it
 * ends, so a delivery committed just after the drain's last look is not left
 * behind). A drain that fails is handed to the queue as a deliver job, whose
 * retries take over; and whatever is still undelivered after a crash is queued
 * again by the sweeper.
 */
export function createStreamKicker(deps: { drain: (endpointId: string) => Promise<void>; queue: QueueRuntime; log: Logger }) {
  const running = new Map<string, { again: boolean; done: Promise<void> }>();
  const RETRY_MS = 1000;

  return {
    kick(endpointId: string): void {
      const current = running.get(endpointId);
      if (current) {
        current.again = true;
        return;
      }
      const state = { again: true, done: Promise.resolve() };
      state.done = (async () => {
        try {
          while (state.again) {
            state.again = false;
            await deps.drain(endpointId);
          }
        } catch (error) {
          deps.log.warn('kafka drain failed; queued to retry', {
            endpointId,
            error: error instanceof Error ? error.message : String(error),
          });
          const due = Date.now() + RETRY_MS;
          await deps.queue
            .enqueue('deliver', { deliveryId: `wake-${endpointId}`, due, stream: endpointId }, { delayMs: RETRY_MS })
            .catch(() => {}); // the sweeper queues overdue deliveries again
        } finally {
          running.delete(endpointId);
        }
      })();
      running.set(endpointId, state);
    },
    /** Resolves when no kicked drain is running (shutdown). */
    async idle(): Promise<void> {
      while (running.size > 0) await Promise.all([...running.values()].map((s) => s.done));
    },
  };
}
