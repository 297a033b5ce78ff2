import type { HeraldConfig, Logger } from '@herald/core';
import {
  acquireCircuitProbe,
  advanceFifo,
  type ClaimedDelivery,
  claimDelivery,
  closeCircuit,
  type Database,
  deadLetterWithoutAttempt,
  endpointOfDelivery,
  fifoHead,
  probeCandidate,
  releaseDelivery,
  takeThrottleToken,
} from '@herald/db';
import type { SendResult } from '@herald/delivery';
import { type JobPayload, probeJob, type QueueRuntime } from '@herald/queue';
import { type Destination, signingSecrets } from './destinations';
import { createSendCapacity } from './engine/capacity';
import { createDatabaseGate } from './engine/database-gate';
import { errorText, type OutcomeRecorder } from './engine/outcome';
import { withJitter } from './retry';

export interface DeliveryEngineDeps {
  config: HeraldConfig;
  db: Database;
  queue: QueueRuntime;
  destinations: Record<ClaimedDelivery['endpoint']['type'], Destination>;
  /** Drains a Kafka endpoint's deliveries in order (see kafka-stream.ts). */
  drainStream: (endpointId: string) => Promise<void>;
  log: Logger;
  /** Where every attempt's outcome is recorded (shared with the Kafka drain). */
  outcomes: OutcomeRecorder;
}

/** A FIFO delivery that is not at the head waits; this is only the fallback if nobody wakes it. */
const FIFO_WAIT_MS = 30_000;
/** A FIFO head behind a message still being fanned out looks again this much later (fan-out takes milliseconds). */
const FIFO_BLOCKED_RETRY_MS = 250;
/** An endpoint whose line in this process is full gets its job back this much later. */
const LINE_FULL_RETRY_MS = 500;
/** Deliveries waiting in one endpoint's line in this process, beyond its sends in flight. */
const MAX_WAITING_PER_ENDPOINT = 1000;
/** A claim made ahead of its send (fan-out's) must leave at least the send's timeout plus this of its lease. */
const LEASE_MARGIN_MS = 10_000;
/** A claim that failed on an error of ours (the database away) is tried again this much later; the sweeper backs it up. */
const ERROR_RETRY_MS = 2000;

/** What waits for a sending slot: a delivery still to claim, or one fan-out claimed as it created it. */
type SendItem = { deliveryId: string; manual: boolean } | { claim: ClaimedDelivery; claimedAt: number };

/**
 * The delivery engine, for every destination: claim a delivery under a lease
 * (or hold it behind its endpoint's open circuit), respect the endpoint's FIFO
 * order and throttle, send through its destination, and hand the result to
 * the one outcome recorder. Sending runs in this process's send capacity:
 * each endpoint gets a bounded share, so one that is slow, hanging or failing
 * cannot take the slots another needs. Jobs only admit work; the send itself
 * outlives its job, protected by the lease (a worker that dies mid-send leaves
 * a lease that the sweeper reclaims).
 */
export function createDeliveryEngine(deps: DeliveryEngineDeps) {
  const { config, db, queue, destinations, log, outcomes } = deps;
  const leaseMs = config.delivery.timeoutMs + 30_000;

  const capacity = createSendCapacity<SendItem>({
    total: config.delivery.concurrency,
    perEndpoint: config.delivery.endpointConcurrency,
    maxWaitingPerEndpoint: MAX_WAITING_PER_ENDPOINT,
    run: runItem,
  });

  /**
   * Deliveries waiting for a slot or being sent in this process: a second job for one of them
   * (the sweeper finds a delivery that waits long in a slow endpoint's line overdue) is dropped.
   */
  const local = new Set<string>();
  const database = createDatabaseGate(db);

  const later = async (claim: ClaimedDelivery, dueAt: number) => {
    await releaseDelivery(db, claim, new Date(dueAt));
    await queue.enqueue(
      'deliver',
      { deliveryId: claim.delivery.id, endpointId: claim.endpoint.id, due: dueAt },
      { delayMs: dueAt - Date.now() },
    );
  };

  async function runItem(endpointId: string, item: SendItem): Promise<void> {
    const deliveryId = 'claim' in item ? item.claim.delivery.id : item.deliveryId;
    try {
      if ('claim' in item) {
        const latestStart = item.claimedAt + leaseMs - config.delivery.timeoutMs - LEASE_MARGIN_MS;
        // While the database is away the outcome could not be recorded, and the delivery would be
        // sent again after its lease: wait for the database instead. Still away at the claim's
        // latest start: it goes unsent, and the sweeper queues it again once the lease runs out.
        if (!(await database.open(latestStart))) return;
        // Fan-out's claims may wait in the endpoint's line; one that waited so long that its lease
        // could run out mid-send (and another worker send it too) is given back instead.
        if (Date.now() > latestStart) {
          await later(item.claim, Date.now());
          return;
        }
        await attempt(item.claim, { manual: false, probe: false });
        return;
      }
      await claimAndSend(endpointId, item.deliveryId, item.manual);
    } catch (error) {
      database.observe(error);
      // Nothing was recorded. A claimed delivery comes back when its lease runs out (the sweeper);
      // one not yet claimed is simply still due: queue it again shortly.
      const messageId = 'claim' in item ? item.claim.delivery.messageId : undefined;
      log
        .child({ deliveryId, endpointId, ...(messageId ? { messageId } : {}) })
        .warn('delivery not completed; it will be tried again', { error: errorText(error) });
      if (!('claim' in item)) {
        const due = Date.now() + ERROR_RETRY_MS;
        await queue
          .enqueue(
            'deliver',
            { deliveryId: item.deliveryId, endpointId, due, ...(item.manual ? { manual: true } : {}) },
            { delayMs: ERROR_RETRY_MS },
          )
          .catch(() => {}); // the sweeper finds it overdue
      }
    } finally {
      local.delete(deliveryId);
    }
  }

  async function claimAndSend(endpointId: string, deliveryId: string, manual: boolean): Promise<void> {
    // Manual resends go through regardless of the circuit: a person asked for this one.
    const found = await claimDelivery(db, deliveryId, leaseMs, { bypassCircuit: manual });
    if (!found) {
      // Nothing to claim: done, not due, held elsewhere, or a Kafka delivery reached through a
      // sweep or resend, which its endpoint's drain sends in order.
      const endpoint = await endpointOfDelivery(db, deliveryId);
      if (endpoint?.type === 'kafka') await deps.drainStream(endpoint.id);
      return;
    }
    // Held behind an open circuit: the probe's success releases it.
    if (found.kind === 'held') return;
    const { claim } = found;
    const { endpoint, delivery } = claim;
    const now = Date.now();

    if (endpoint.disabled) {
      await deadLetterWithoutAttempt(db, claim, 'endpoint disabled');
      return;
    }
    if (endpoint.fifo) {
      // Strict order: only the oldest unfinished delivery of the endpoint goes; the head wakes the next.
      const head = await fifoHead(db, endpoint.id);
      // The head, but an earlier message is still being fanned out: look again shortly.
      if (head?.id === delivery.id && head.blocked) return later(claim, now + FIFO_BLOCKED_RETRY_MS);
      if (head && head.id !== delivery.id) {
        await releaseDelivery(db, claim, new Date(now + FIFO_WAIT_MS));
        // The head may have finished between our look and our release: it then found this delivery
        // claimed and woke nobody. Look again now that it is released, and wake it if it is the head.
        const next = await advanceFifo(db, endpoint.id);
        if (next === delivery.id) await queue.enqueue('deliver', { deliveryId: next, endpointId, due: Date.now() });
        return;
      }
    }
    const rate = endpoint.throttleRate ?? endpoint.rateLimit;
    if (rate && rate > 0) {
      const waitMs = await takeThrottleToken(db, endpoint.id, rate);
      if (waitMs > 0) return later(claim, now + waitMs + Math.floor(Math.random() * (1000 / rate)));
    }
    await attempt(claim, { manual, probe: false });
  }

  /** Sends one attempt of a claimed delivery and records its outcome. */
  async function attempt(claim: ClaimedDelivery, options: { manual: boolean; probe: boolean }): Promise<void> {
    let result: SendResult;
    try {
      result = await destinations[claim.endpoint.type](claim, signingSecrets(claim.endpoint));
    } catch (error) {
      // Destinations turn every failure into a result; this is the backstop that keeps a claim from going unrecorded.
      result = {
        ok: false,
        statusCode: null,
        response: `not sent: ${errorText(error)}`.slice(0, 1024),
        durationMs: 0,
        failure: 'internal',
      };
    }
    await outcomes.record({ claim, result, manual: options.manual, probe: options.probe });
  }

  /**
   * The half-open circuit: the job that wins the probe sends one delivery of
   * the endpoint (a held or due one; a FIFO endpoint's head). Its success
   * closes the circuit and releases what was held; its failure opens it
   * again (engine/outcome.ts).
   */
  async function probe(endpointId: string): Promise<void> {
    const probeMs = config.delivery.timeoutMs + 5000;
    const acquired = await acquireCircuitProbe(db, endpointId, probeMs);
    if (!acquired) return; // closed, not due, or probed by someone else
    // A FIFO endpoint is probed with its head, so order holds; a head whose application still has
    // an earlier message being fanned out is not the head yet, so there is nothing to probe with.
    const deliveryId = acquired.fifo ? await probeableHead(endpointId) : await probeCandidate(db, endpointId);
    const found = deliveryId ? await claimDelivery(db, deliveryId, leaseMs, { bypassCircuit: true }) : undefined;
    if (!deliveryId || (acquired.fifo && found?.kind !== 'claimed')) {
      // Nothing to test it with now (what is left waits for a later retry, which then tests the
      // endpoint): close it, and let the next delivery be the test.
      await closeCircuit(db, endpointId);
      return;
    }
    if (found?.kind !== 'claimed') {
      // Taken by someone else in the meantime: probe again once this probe's hold runs out.
      const due = Date.now() + probeMs + withJitter(1000);
      await queue.enqueue('deliver', probeJob(endpointId, due), { delayMs: due - Date.now() });
      return;
    }
    await attempt(found.claim, { manual: false, probe: true });
  }

  async function probeableHead(endpointId: string): Promise<string | undefined> {
    const head = await fifoHead(db, endpointId);
    return head && !head.blocked ? head.id : undefined;
  }

  /** The deliver job: a Kafka drain, a probe, or one delivery admitted to its endpoint's share of sending. */
  async function deliver(job: JobPayload<'deliver'>): Promise<void> {
    if (job.stream) return deps.drainStream(job.stream);
    if (job.probe) return probe(job.probe);
    // Jobs queued before endpoint ids were carried (or by an older version) look it up.
    const endpointId = job.endpointId ?? (await endpointOfDelivery(db, job.deliveryId))?.id;
    if (!endpointId) return; // deleted with its endpoint or message
    if (local.has(job.deliveryId)) return;
    local.add(job.deliveryId);
    const admitted = await capacity.submit(endpointId, { deliveryId: job.deliveryId, manual: job.manual ?? false });
    if (admitted === 'full') {
      local.delete(job.deliveryId);
      const due = Date.now() + withJitter(LINE_FULL_RETRY_MS);
      await queue.enqueue('deliver', { ...job, endpointId, due }, { delayMs: due - Date.now() });
    }
  }

  return {
    deliver,
    /** Whether a delivery waits or is being sent in this process (a second job for it is dropped). */
    holds: (deliveryId: string) => local.has(deliveryId),
    /** Whether every sending slot of this process is taken. */
    saturated: () => capacity.stats().inFlight >= config.delivery.concurrency,
    leaseMs,
    /** How many deliveries an endpoint takes now: fan-out claims no more than that as it creates them. */
    room: (endpointId: string) => capacity.room(endpointId),
    /** Sends a delivery fan-out claimed as it created it: now, or in its turn in the endpoint's line (within its lease). */
    sendClaimed: (claim: ClaimedDelivery, claimedAt: number) => {
      local.add(claim.delivery.id);
      capacity.admit(claim.endpoint.id, { claim, claimedAt });
    },
    /**
     * Shutdown, after the job workers closed: what still waits for a slot goes
     * back to the queue (a claim fan-out made is given back first, or it would
     * wait for its lease to run out), then the sends in flight finish and are
     * recorded.
     */
    async close(): Promise<void> {
      // Claims waiting for an absent database stop waiting: shutdown does not outlast their leases.
      database.close();
      const waiting = capacity.takeWaiting();
      if (waiting.length > 0) {
        const now = new Date();
        await Promise.all(waiting.map(({ item }) => ('claim' in item ? releaseDelivery(db, item.claim, now).catch(() => {}) : undefined)));
        const due = Date.now();
        await queue
          .enqueueMany(
            'deliver',
            waiting.map(({ endpointId, item }) =>
              'claim' in item
                ? { payload: { deliveryId: item.claim.delivery.id, endpointId, due } }
                : { payload: { deliveryId: item.deliveryId, endpointId, due, ...(item.manual ? { manual: true } : {}) } },
            ),
          )
          .catch((error: unknown) =>
            log.warn('waiting deliveries not handed back; the sweeper will find them', { error: errorText(error) }),
          );
      }
      await capacity.idle();
    },
  };
}

export type DeliveryEngine = ReturnType<typeof createDeliveryEngine>;
