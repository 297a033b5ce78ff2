import type { HeraldConfig, Logger } from '@herald/core';
import {
  type AttemptOutcome,
  advanceFifo,
  type ClaimedDelivery,
  type Database,
  deadLetterEndpointBacklog,
  disableEndpoint,
  type EndpointHealthChange,
  openCircuit,
  recordAttempt,
  recordEndpointHealth,
  releaseHeldDeliveries,
  reopenCircuit,
} from '@herald/db';
import { FINAL_FAILURES, type SendResult } from '@herald/delivery';
import { type JobPayload, probeJob, type QueueRuntime } from '@herald/queue';
import { circuitTransitions, observeDelivery } from '@herald/runtime';
import { nextRetryDelayMs } from '../retry';
import { type BreakerPolicy, type BreakerWindows, breakerWindowMs, createBreakerWindows } from './breaker';
import type { RetryScheduler } from './retries';

/** Svix sends `message.attempt.failing` on the fourth failed attempt in a row. */
export const FAILING_AFTER_ATTEMPTS = 4;

/**
 * What an attempt says about its endpoint's health: a success, a failure, or
 * neither (back-pressure: 429/503 with Retry-After; Herald's own failure).
 */
export type HealthSignal = 'success' | 'failure' | 'neutral';

/** What one attempt's result means for its delivery and its endpoint. */
export interface Verdict {
  outcome: AttemptOutcome;
  /** For the failure streak and the 5-day disable. */
  health: HealthSignal;
  /**
   * For the circuit breaker. A request that got no answer (timeout, refused or
   * reset connection) counts from a delivery's first attempt; an error answer
   * counts from its second: a receiver that answers errors to first tries
   * (warming up, deduplicating, rejecting until it has seen a message twice) is
   * alive, and its retries show it. Back-pressure and final failures do not count.
   */
  breaker: 'success' | 'failure' | undefined;
  /** Why it failed, as recorded on the delivery. */
  error: string | null;
  /** 410 Gone: the receiver asked to be disabled. */
  gone: boolean;
}

/**
 * Judges one attempt. Success is 2xx only. 410 disables the endpoint.
 * Failures no retry can mend (refused address, unusable URL, secret or
 * settings) are final at once. A 429 or 503 with Retry-After is back-pressure:
 * the retry waits as asked and the endpoint's health is untouched. Anything
 * else retries on the schedule, and is dead once the schedule is spent.
 */
export function judgeAttempt(result: SendResult, attemptNumber: number, schedule: readonly number[], now = Date.now()): Verdict {
  if (result.ok) return { outcome: { kind: 'succeeded' }, health: 'success', breaker: 'success', error: null, gone: false };
  if (result.statusCode === 410) {
    return { outcome: { kind: 'dead' }, health: 'failure', breaker: 'failure', error: 'endpoint answered 410 Gone: disabled', gone: true };
  }
  if (result.failure && FINAL_FAILURES.has(result.failure)) {
    return { outcome: { kind: 'dead' }, health: 'failure', breaker: undefined, error: `final: ${result.response}`, gone: false };
  }
  // Herald's own failure (before anything was sent) says nothing about the endpoint.
  if (result.failure === 'internal') {
    const delay = nextRetryDelayMs(attemptNumber, schedule);
    return {
      outcome: delay === undefined ? { kind: 'dead' } : { kind: 'retry', nextAttemptAt: new Date(now + delay) },
      health: 'neutral',
      breaker: undefined,
      error: result.response,
      gone: false,
    };
  }
  const backPressure = result.retryAfterMs !== undefined;
  const unanswered = result.statusCode === null;
  const delay = nextRetryDelayMs(attemptNumber, schedule, result.retryAfterMs);
  return {
    outcome: delay === undefined ? { kind: 'dead' } : { kind: 'retry', nextAttemptAt: new Date(now + delay) },
    health: backPressure ? 'neutral' : 'failure',
    breaker: backPressure || (!unanswered && attemptNumber === 1) ? undefined : 'failure',
    error: result.response,
    gone: false,
  };
}

export interface SentAttempt {
  claim: ClaimedDelivery;
  result: SendResult;
  /** Resent by a person: recorded as a manual attempt. */
  manual?: boolean;
  /** This attempt tests an open circuit: its failure opens it again. */
  probe?: boolean;
  /** False for every record of a Kafka batch but the first: one request, one health signal. */
  countsForHealth?: boolean;
}

export interface OutcomeRecorderDeps {
  config: HeraldConfig;
  db: Database;
  queue: QueueRuntime;
  log: Logger;
  breakerPolicy: BreakerPolicy;
  /** Where retries wait (engine/retries.ts): on a timer here, or as a delayed deliver job. */
  retries: Pick<RetryScheduler, 'schedule'>;
}

/** How many held deliveries a closed circuit releases per statement. */
const RELEASE_CHUNK = 1000;
/** Endpoint health is written at most this often per process (a success that may close an open circuit: at once). */
const HEALTH_FLUSH_MS = 250;

/**
 * Endpoint health as this process sees it, written in one statement every
 * {@link HEALTH_FLUSH_MS} rather than with every attempt: a busy endpoint's
 * row would otherwise be written, and locked across a commit, by every
 * recording. Order within a flush is kept (the streak is the failures after
 * the last success).
 */
function createHealthLedger(deps: { write: (deltas: HealthDelta[]) => Promise<void> }) {
  const pending = new Map<string, HealthDelta>();
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.size === 0) return writing;
    const deltas = [...pending.values()];
    pending.clear();
    writing = writing.then(() => deps.write(deltas));
    return writing;
  };

  return {
    note(claim: ClaimedDelivery, signal: 'success' | 'failure', urgent: boolean): void {
      const endpointId = claim.endpoint.id;
      const entry = pending.get(endpointId) ?? { endpointId, succeeded: false, trailingFailures: 0, claim };
      entry.claim = claim;
      if (signal === 'success') {
        entry.succeeded = true;
        entry.trailingFailures = 0;
      } else entry.trailingFailures++;
      pending.set(endpointId, entry);
      if (urgent) void flush();
      else timer ??= setTimeout(flush, HEALTH_FLUSH_MS).unref();
    },
    flush,
  };
}

/** One endpoint's health since the last write, with a delivery of it to name in an operational webhook. */
interface HealthDelta {
  endpointId: string;
  succeeded: boolean;
  trailingFailures: number;
  claim: ClaimedDelivery;
}

/**
 * The one place an attempt's outcome is recorded, for every destination
 * (webhook, work queue, Kafka) and every path (fan-out's first attempt,
 * retries, manual resends, probes, Kafka batches): the attempt row and the
 * delivery's next state in one statement; then the endpoint's health
 * (coalesced, see createHealthLedger), the metrics, the retry job, the circuit
 * breaker, FIFO order, the disable and its dead letters, and the operational
 * webhooks.
 */
export function createOutcomeRecorder(deps: OutcomeRecorderDeps) {
  const { config, db, queue, log, breakerPolicy } = deps;
  const windows: BreakerWindows = createBreakerWindows(breakerPolicy);
  const timing = { baseMs: breakerPolicy.openBaseMs, maxMs: breakerPolicy.openMaxMs };
  const releasing = new Map<string, Promise<void>>();

  const operational = async (type: JobPayload<'operational'>['type'], claim: ClaimedDelivery, key: string) => {
    if (!config.operationalWebhook) return;
    await queue.enqueue('operational', { key, type, endpointId: claim.endpoint.id, deliveryId: claim.delivery.id });
  };

  const scheduleProbe = async (endpointId: string, at: Date) => {
    const due = at.getTime();
    await queue.enqueue('deliver', probeJob(endpointId, due), { delayMs: due - Date.now() });
  };

  /** A closed circuit lets its held deliveries go, in chunks; one release per endpoint at a time. */
  const releaseHeld = (endpointId: string) => {
    if (releasing.has(endpointId)) return;
    const run = (async () => {
      for (;;) {
        const ids = await releaseHeldDeliveries(db, endpointId, RELEASE_CHUNK);
        if (ids.length === 0) return;
        const due = Date.now();
        await queue.enqueueMany(
          'deliver',
          ids.map((deliveryId) => ({ payload: { deliveryId, endpointId, due } })),
        );
        if (ids.length < RELEASE_CHUNK) return;
      }
    })()
      .catch((error: unknown) => {
        // Left held with the circuit closed: the sweeper releases them.
        log.warn('held deliveries not released; the sweeper will', { endpointId, error: errorText(error) });
      })
      .finally(() => releasing.delete(endpointId));
    releasing.set(endpointId, run);
  };

  /** Opens the circuit (`probe` undefined), or opens it again after a probe that failed or proved nothing. */
  const tripBreaker = async (claim: ClaimedDelivery, probe?: { failed: boolean }) => {
    const endpointId = claim.endpoint.id;
    const until = probe ? await reopenCircuit(db, endpointId, timing, probe) : await openCircuit(db, endpointId, timing);
    if (!until) return; // another process opened it first, or the endpoint is disabled
    circuitTransitions.inc({ to: probe ? 'reopened' : 'opened' });
    log.info(probe ? 'probe failed; circuit open again' : 'circuit opened', { endpointId, until: until.toISOString() });
    await scheduleProbe(endpointId, until);
  };

  const onHealthChange = async (change: EndpointHealthChange, claim: ClaimedDelivery) => {
    if (change.circuitClosed) {
      windows.reset(change.endpointId);
      circuitTransitions.inc({ to: 'closed' });
      log.info('circuit closed; releasing held deliveries', { endpointId: change.endpointId });
      releaseHeld(change.endpointId);
    }
    if (change.disabledNow) await endpointDisabled(claim, 'failing too long');
  };

  const health = createHealthLedger({
    async write(deltas) {
      try {
        const changes = await recordEndpointHealth(db, deltas, { disableAfterS: config.delivery.disableAfterS });
        const claims = new Map(deltas.map((d) => [d.endpointId, d.claim]));
        for (const change of changes) await onHealthChange(change, claims.get(change.endpointId)!);
      } catch (error) {
        // Health is the worker's view of recent attempts; the next ones write it again (and the
        // sweeper dead-letters what a disabled endpoint still owes if this stopped half-way).
        log.warn('endpoint health not written', { endpoints: deltas.length, error: errorText(error) });
      }
    },
  });

  const endpointDisabled = async (claim: ClaimedDelivery, reason: string) => {
    const dead = await deadLetterEndpointBacklog(db, claim.endpoint.id, 'endpoint disabled');
    log.warn('endpoint disabled', { endpointId: claim.endpoint.id, reason, deadLettered: dead });
    await operational('endpoint.disabled', claim, `disabled.${claim.endpoint.id}.${Date.now()}`);
  };

  /** Records one attempt and all that follows from it; returns its outcome, or undefined if the lease was lost. */
  async function record(sent: SentAttempt): Promise<AttemptOutcome | undefined> {
    const { claim, result } = sent;
    const { endpoint, delivery } = claim;
    const schedule = endpoint.retrySchedule ?? config.delivery.retryScheduleS;
    const verdict = judgeAttempt(result, delivery.attemptCount + 1, schedule);
    const countsForHealth = sent.countsForHealth ?? true;
    const { outcome } = verdict;

    const recorded = await recordAttempt(
      db,
      claim,
      {
        ok: result.ok,
        statusCode: result.statusCode,
        response: result.response,
        durationMs: result.durationMs,
        url: endpoint.url,
        trigger: sent.manual ? 'manual' : 'scheduled',
      },
      outcome,
      verdict.error,
    );
    if (recorded === undefined) {
      // Our lease ran out and another worker took the delivery over; it records its own attempt.
      log.warn('delivery lease lost; this attempt is not recorded', { deliveryId: delivery.id });
      return undefined;
    }
    const attemptNumber = recorded;
    if (countsForHealth && verdict.health !== 'neutral') {
      // A success seen by a claim that found the circuit open (the probe, a manual resend) closes it now.
      health.note(claim, verdict.health, verdict.health === 'success' && endpoint.circuitOpenUntil !== null);
    }
    observeDelivery(endpoint.type, outcome.kind === 'retry' ? 'failed' : outcome.kind, result.durationMs);

    // A Kafka drain schedules its own retries (the whole batch, in order).
    if (outcome.kind === 'retry' && !claim.byDrain) {
      await deps.retries.schedule({ deliveryId: delivery.id, endpointId: endpoint.id, due: outcome.nextAttemptAt.getTime() });
    } else if (outcome.kind !== 'retry' && endpoint.fifo) {
      const next = await advanceFifo(db, endpoint.id);
      if (next) await queue.enqueue('deliver', { deliveryId: next, endpointId: endpoint.id, due: Date.now() });
    }

    // The breaker: a probe's failure opens it again at once; otherwise the failure rate decides.
    // Kafka endpoints are paced by their batch retries instead (one request in flight per endpoint).
    if (sent.probe && !result.ok) await tripBreaker(claim, { failed: verdict.health === 'failure' });
    else if (countsForHealth && endpoint.type !== 'kafka') {
      const windowMs = breakerWindowMs(breakerPolicy, schedule);
      const now = Date.now();
      if (windows.observe(endpoint.id, verdict.breaker ?? 'seen', windowMs, now - result.durationMs, now)) await tripBreaker(claim);
    }
    if (verdict.gone && (await disableEndpoint(db, endpoint.id))) await endpointDisabled(claim, '410 Gone');
    if (!result.ok && attemptNumber === FAILING_AFTER_ATTEMPTS && outcome.kind === 'retry') {
      await operational('message.attempt.failing', claim, `failing.${delivery.id}`);
    }
    if (outcome.kind === 'dead') await operational('message.attempt.exhausted', claim, `exhausted.${delivery.id}.${attemptNumber}`);
    if (result.ok && attemptNumber > FAILING_AFTER_ATTEMPTS)
      await operational('message.attempt.recovered', claim, `recovered.${delivery.id}`);
    return outcome;
  }

  return {
    record,
    /** Writes what is pending of endpoint health and waits for releases of held deliveries (shutdown). */
    async idle(): Promise<void> {
      await health.flush();
      while (releasing.size > 0) await Promise.all([...releasing.values()]);
    },
  };
}

export type OutcomeRecorder = ReturnType<typeof createOutcomeRecorder>;

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
