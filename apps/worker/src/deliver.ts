import type { HeraldConfig, Logger } from '@herald/core';
import {
  type AttemptOutcome,
  acquireCircuitProbe,
  advanceFifo,
  type ClaimedDelivery,
  claimDelivery,
  type Database,
  deadLetterWithoutAttempt,
  disableEndpoint,
  type EndpointHealthPolicy,
  endpointOfDelivery,
  fifoHead,
  recordAttempt,
  releaseDelivery,
  takeThrottleToken,
  updateEndpointHealth,
} from '@herald/db';
import type { SendResult } from '@herald/delivery';
import type { JobPayload, QueueRuntime } from '@herald/queue';
import { observeDelivery } from '@herald/runtime';
import type { Destination } from './destinations';
import { nextRetryDelayMs, withJitter } from './retry';

/** Svix sends `message.attempt.failing` on the fourth failed attempt in a row. */
export const FAILING_AFTER_ATTEMPTS = 4;

export const HEALTH_POLICY: Omit<EndpointHealthPolicy, 'disableAfterS'> = {
  circuitThreshold: 5,
  circuitBaseMs: 5_000,
  circuitMaxMs: 10 * 60_000,
};

export interface DeliveryEngineDeps {
  config: HeraldConfig;
  db: Database;
  queue: QueueRuntime;
  destinations: Record<ClaimedDelivery['endpoint']['type'], Destination>;
  /** Drains a Kafka endpoint's deliveries in order (see kafka-stream.ts). */
  drainStream: (endpointId: string) => Promise<void>;
  log: Logger;
}

/** A FIFO delivery that is not at the head waits; this is only the fallback if nobody wakes it. */
const FIFO_WAIT_MS = 30_000;

/**
 * One attempt of one delivery: claim it, respect the endpoint's circuit and
 * throttle, sign and send the stored bytes, record the attempt and the next
 * step in one transaction, then schedule the retry and the operational events.
 * Safe to run twice for the same job: the claim lets one run through.
 */
export function createDeliveryEngine(deps: DeliveryEngineDeps) {
  const { config, db, queue, destinations, log } = deps;
  const leaseMs = config.delivery.timeoutMs + 30_000;
  const policy: EndpointHealthPolicy = { ...HEALTH_POLICY, disableAfterS: config.delivery.disableAfterS };
  const sends = createLimiter(config.delivery.concurrency);

  const later = async (claim: ClaimedDelivery, dueAt: number) => {
    await releaseDelivery(db, claim, new Date(dueAt));
    await queue.enqueue('deliver', { deliveryId: claim.delivery.id, due: dueAt }, { delayMs: dueAt - Date.now() });
  };

  const operational = async (type: JobPayload<'operational'>['type'], claim: ClaimedDelivery, key: string) => {
    if (!config.operationalWebhook) return;
    await queue.enqueue('operational', { key, type, endpointId: claim.endpoint.id, deliveryId: claim.delivery.id });
  };

  async function deliver(job: JobPayload<'deliver'>): Promise<void> {
    if (job.stream) return deps.drainStream(job.stream);
    const claim = await claimDelivery(db, job.deliveryId, leaseMs);
    if (!claim) {
      // Nothing to claim: done, not due, held elsewhere, or a Kafka delivery reached through a
      // sweep or resend, which its endpoint's drain sends in order.
      const endpoint = await endpointOfDelivery(db, job.deliveryId);
      if (endpoint?.type === 'kafka') await deps.drainStream(endpoint.id);
      return;
    }
    const { endpoint, delivery } = claim;
    const now = Date.now();

    if (endpoint.disabled) {
      await deadLetterWithoutAttempt(db, claim, 'endpoint disabled');
      return;
    }
    if (endpoint.fifo) {
      // Strict order: only the oldest unfinished delivery of the endpoint goes; the head wakes the next.
      const head = await fifoHead(db, endpoint.id);
      if (head && head.id !== delivery.id) {
        await releaseDelivery(db, claim, new Date(now + FIFO_WAIT_MS));
        // The head may have finished between our look and our release: it then found this delivery
        // claimed and woke nobody. Look again now that it is released, and wake it if it is the head.
        const next = await advanceFifo(db, endpoint.id);
        if (next === delivery.id) await queue.enqueue('deliver', { deliveryId: next, due: Date.now() });
        return;
      }
    }
    // Manual resends go through regardless of the circuit: a person asked for this one.
    if (!job.manual && endpoint.circuitOpenUntil) {
      if (endpoint.circuitOpenUntil.getTime() > now) return later(claim, endpoint.circuitOpenUntil.getTime() + withJitter(1000));
      if (!(await acquireCircuitProbe(db, endpoint.id, config.delivery.timeoutMs + 5000))) {
        return later(claim, now + config.delivery.timeoutMs + withJitter(5000));
      }
    }
    const rate = endpoint.throttleRate ?? endpoint.rateLimit;
    if (rate && rate > 0) {
      const waitMs = await takeThrottleToken(db, endpoint.id, rate);
      if (waitMs > 0) return later(claim, now + waitMs + Math.floor(Math.random() * (1000 / rate)));
    }

    return attempt(claim, job.manual ?? false);
  }

  /** Sends one attempt of a claimed delivery and records it, with what follows from its outcome. */
  async function attempt(claim: ClaimedDelivery, manual: boolean): Promise<void> {
    const { endpoint, delivery } = claim;
    const now = Date.now();
    const secrets = [endpoint.secret];
    if (endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt.getTime() > now) {
      secrets.push(endpoint.previousSecret);
    }
    const result: SendResult = await destinations[endpoint.type](claim, secrets);

    const attemptNumber = delivery.attemptCount + 1;
    const gone = result.statusCode === 410;
    const retryInMs =
      result.ok || gone
        ? undefined
        : nextRetryDelayMs(attemptNumber, endpoint.retrySchedule ?? config.delivery.retryScheduleS, result.retryAfterMs);
    const outcome: AttemptOutcome = result.ok
      ? { kind: 'succeeded' }
      : retryInMs === undefined
        ? { kind: 'dead' }
        : { kind: 'retry', nextAttemptAt: new Date(Date.now() + retryInMs) };
    const error = result.ok ? null : gone ? 'endpoint answered 410 Gone: disabled' : result.response;

    const recorded = await recordAttempt(
      db,
      claim,
      {
        ok: result.ok,
        statusCode: result.statusCode,
        response: result.response,
        durationMs: result.durationMs,
        url: endpoint.url,
        trigger: manual ? 'manual' : 'scheduled',
      },
      outcome,
      error,
    );
    if (recorded === undefined) {
      // Our lease ran out and another worker took the delivery over; it records its own attempt.
      log.warn('delivery lease lost; this attempt is not recorded', { deliveryId: delivery.id });
      return;
    }
    observeDelivery(outcome.kind === 'retry' ? 'failed' : outcome.kind, result.durationMs);

    if (outcome.kind === 'retry') {
      const due = outcome.nextAttemptAt.getTime();
      await queue.enqueue('deliver', { deliveryId: delivery.id, due }, { delayMs: due - Date.now() });
    } else if (endpoint.fifo) {
      const next = await advanceFifo(db, endpoint.id);
      if (next) await queue.enqueue('deliver', { deliveryId: next, due: Date.now() });
    }
    // A success already cleared the endpoint's failure streak with the record; a failure extends it here.
    const health = result.ok ? { disabledNow: false } : await updateEndpointHealth(db, endpoint.id, false, policy);
    const disabledNow = health.disabledNow || (gone && (await disableEndpoint(db, endpoint.id)));

    if (!result.ok && attemptNumber === FAILING_AFTER_ATTEMPTS && outcome.kind === 'retry') {
      await operational('message.attempt.failing', claim, `failing.${delivery.id}`);
    }
    if (outcome.kind === 'dead') await operational('message.attempt.exhausted', claim, `exhausted.${delivery.id}.${attemptNumber}`);
    if (result.ok && attemptNumber > FAILING_AFTER_ATTEMPTS)
      await operational('message.attempt.recovered', claim, `recovered.${delivery.id}`);
    if (disabledNow) await operational('endpoint.disabled', claim, `disabled.${endpoint.id}.${now}`);
  }

  /**
   * First attempts of deliveries that fan-out created already claimed: sent
   * right here, no deliver job. At most `concurrency` sends at a time across
   * all fan-out jobs. An error (the database gone while recording) is logged
   * and left to the lease: when it runs out, the sweeper queues the delivery again.
   */
  async function sendClaimed(claims: ClaimedDelivery[]): Promise<void> {
    await Promise.all(
      claims.map((claim) =>
        sends.run(() =>
          attempt(claim, false).catch((error: unknown) => {
            log.warn('first attempt not recorded; the sweeper retries it when its lease runs out', {
              deliveryId: claim.delivery.id,
              error: error instanceof Error ? error.message : String(error),
            });
          }),
        ),
      ),
    );
  }

  return { deliver, sendClaimed, leaseMs };
}

/** Runs at most `limit` tasks at a time; the rest wait their turn in order. */
function createLimiter(limit: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
      else active++;
      try {
        return await task();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else active--;
      }
    },
  };
}
