import { randomBytes } from 'node:crypto';
import { newId } from '@herald/core';
import { and, eq, inArray, isNotNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { attempts, deliveries, endpoints, messages } from '../schema';

type DeliveryRow = typeof deliveries.$inferSelect;
type EndpointRow = typeof endpoints.$inferSelect;

export interface ClaimedDelivery {
  delivery: DeliveryRow;
  /** Proves this worker holds the delivery; recording needs it. */
  leaseToken: string;
  endpoint: EndpointRow;
  message: { id: string; orgId: string; appId: string; eventType: string; createdAt: Date; body: string };
}

/**
 * Takes a delivery for one attempt, if it is due and nobody holds it (or the
 * holder's lease ran out: the worker died mid-attempt). Undefined means there
 * is nothing to do: done, dead, not due yet, or in another worker's hands.
 */
export async function claimDelivery(db: Database, deliveryId: string, leaseMs: number): Promise<ClaimedDelivery | undefined> {
  const leaseToken = randomBytes(12).toString('base64url');
  const [delivery] = await db
    .update(deliveries)
    .set({
      status: 'sending',
      leaseToken,
      leaseExpiresAt: sql`now() + make_interval(secs => ${leaseMs / 1000})`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(deliveries.id, deliveryId),
        // Kafka deliveries are only ever sent by their endpoint's drain, in order.
        sql`not exists (select 1 from ${endpoints} e where e.id = ${deliveries.endpointId} and e.type = 'kafka')`,
        or(
          and(
            inArray(deliveries.status, ['pending', 'failed']),
            or(sql`${deliveries.nextAttemptAt} is null`, sql`${deliveries.nextAttemptAt} <= now() + interval '1 second'`),
          ),
          and(eq(deliveries.status, 'sending'), lt(deliveries.leaseExpiresAt, sql`now()`)),
        ),
      ),
    )
    .returning();
  if (!delivery) return undefined;
  const [row] = await db
    .select({
      endpoint: endpoints,
      message: {
        id: messages.id,
        orgId: messages.orgId,
        appId: messages.appId,
        eventType: messages.eventType,
        createdAt: messages.createdAt,
        // The stored JSON text, byte for byte: what is signed is what is sent.
        body: sql<string>`${messages.payload}::text`,
      },
    })
    .from(endpoints)
    .innerJoin(messages, eq(messages.id, delivery.messageId))
    .where(eq(endpoints.id, delivery.endpointId))
    .limit(1);
  // The endpoint or message was deleted between fan-out and now; the cascade removes the delivery too.
  if (!row) return undefined;
  return { delivery, leaseToken, endpoint: row.endpoint, message: row.message };
}

/** Gives a claimed delivery back without an attempt (circuit open, throttled), due again at `dueAt`. */
export async function releaseDelivery(db: Database, claim: ClaimedDelivery, dueAt: Date): Promise<void> {
  await db
    .update(deliveries)
    .set({
      status: claim.delivery.attemptCount === 0 ? 'pending' : 'failed',
      nextAttemptAt: dueAt,
      leaseToken: null,
      leaseExpiresAt: null,
      updatedAt: sql`now()`,
    })
    .where(and(eq(deliveries.id, claim.delivery.id), eq(deliveries.leaseToken, claim.leaseToken), eq(deliveries.status, 'sending')));
}

export type AttemptOutcome = { kind: 'succeeded' } | { kind: 'retry'; nextAttemptAt: Date } | { kind: 'dead' };

export interface AttemptRecord {
  ok: boolean;
  statusCode: number | null;
  response: string;
  durationMs: number;
  url: string;
  trigger: 'scheduled' | 'manual';
}

/**
 * Writes the attempt to the log and moves the delivery on, in one transaction,
 * only if this worker still holds the lease. Returns the attempt number, or
 * undefined when the lease was lost (another worker took over; nothing recorded).
 */
export async function recordAttempt(
  db: Database,
  claim: ClaimedDelivery,
  attempt: AttemptRecord,
  outcome: AttemptOutcome,
  error: string | null,
): Promise<number | undefined> {
  return await db.transaction(async (tx) => {
    const [updated] = await tx
      .update(deliveries)
      .set({
        status: outcome.kind === 'retry' ? 'failed' : outcome.kind,
        attemptCount: sql`${deliveries.attemptCount} + 1`,
        lastAttemptAt: sql`now()`,
        nextAttemptAt: outcome.kind === 'retry' ? outcome.nextAttemptAt : null,
        leaseToken: null,
        leaseExpiresAt: null,
        lastError: error,
        updatedAt: sql`now()`,
      })
      .where(and(eq(deliveries.id, claim.delivery.id), eq(deliveries.leaseToken, claim.leaseToken)))
      .returning({ attemptCount: deliveries.attemptCount });
    if (!updated) return undefined;
    await tx.insert(attempts).values({
      id: newId('attempt'),
      orgId: claim.delivery.orgId,
      appId: claim.delivery.appId,
      messageId: claim.delivery.messageId,
      endpointId: claim.delivery.endpointId,
      deliveryId: claim.delivery.id,
      status: attempt.ok ? 'succeeded' : 'failed',
      trigger: attempt.trigger,
      url: attempt.url,
      responseStatusCode: attempt.statusCode,
      response: attempt.response,
      durationMs: attempt.durationMs,
    });
    return updated.attemptCount;
  });
}

/** Ends a delivery without an attempt (its endpoint was disabled meanwhile). */
export async function deadLetterWithoutAttempt(db: Database, claim: ClaimedDelivery, reason: string): Promise<void> {
  await db
    .update(deliveries)
    .set({ status: 'dead', leaseToken: null, leaseExpiresAt: null, nextAttemptAt: null, lastError: reason, updatedAt: sql`now()` })
    .where(and(eq(deliveries.id, claim.delivery.id), eq(deliveries.leaseToken, claim.leaseToken)));
}

export interface EndpointHealthPolicy {
  /** Failures in a row that open the circuit. */
  circuitThreshold: number;
  /** First open interval; doubles with every further failure, up to `circuitMaxMs`. */
  circuitBaseMs: number;
  circuitMaxMs: number;
  /** Failing without a success for this long disables the endpoint. */
  disableAfterS: number;
}

/**
 * Endpoint health after an attempt. A success closes the circuit and clears
 * the failure streak; a failure extends it, opens the circuit past the
 * threshold, and disables an endpoint that has failed for `disableAfterS`.
 * Returns whether this very update disabled it.
 */
export async function updateEndpointHealth(
  db: Database,
  endpointId: string,
  ok: boolean,
  policy: EndpointHealthPolicy,
): Promise<{ disabledNow: boolean }> {
  if (ok) {
    await db
      .update(endpoints)
      .set({ consecutiveFailures: 0, failingSince: null, circuitOpenUntil: null })
      .where(
        and(
          eq(endpoints.id, endpointId),
          or(sql`${endpoints.consecutiveFailures} > 0`, isNotNull(endpoints.failingSince), isNotNull(endpoints.circuitOpenUntil)),
        ),
      );
    return { disabledNow: false };
  }
  const rows = await db.execute<{ disabled_now: boolean }>(sql`
    update ${endpoints} set
      consecutive_failures = ${endpoints.consecutiveFailures} + 1,
      failing_since = coalesce(${endpoints.failingSince}, now()),
      circuit_open_until = case
        when ${endpoints.consecutiveFailures} + 1 >= ${policy.circuitThreshold}
        then now() + make_interval(secs => least(${policy.circuitMaxMs / 1000}, ${policy.circuitBaseMs / 1000} * power(2, ${endpoints.consecutiveFailures} + 1 - ${policy.circuitThreshold})))
        else ${endpoints.circuitOpenUntil} end,
      disabled = ${endpoints.disabled} or coalesce(${endpoints.failingSince} < now() - make_interval(secs => ${policy.disableAfterS}), false)
    where ${endpoints.id} = ${endpointId}
    returning (not (select e.disabled from ${endpoints} e where e.id = ${endpointId})) and disabled as disabled_now`);
  return { disabledNow: rows[0]?.disabled_now ?? false };
}

/** 410 Gone: the receiver says the endpoint no longer exists. Returns whether it was enabled until now. */
export async function disableEndpoint(db: Database, endpointId: string): Promise<boolean> {
  const rows = await db
    .update(endpoints)
    .set({ disabled: true, updatedAt: sql`now()` })
    .where(and(eq(endpoints.id, endpointId), eq(endpoints.disabled, false)))
    .returning({ id: endpoints.id });
  return rows.length > 0;
}

/**
 * The half-open circuit: of all the deliveries waiting on an open circuit,
 * the one that wins this update sends a probe; the rest wait `probeMs` more.
 */
export async function acquireCircuitProbe(db: Database, endpointId: string, probeMs: number): Promise<boolean> {
  const rows = await db
    .update(endpoints)
    .set({ circuitOpenUntil: sql`now() + make_interval(secs => ${probeMs / 1000})` })
    .where(and(eq(endpoints.id, endpointId), sql`${endpoints.circuitOpenUntil} <= now()`))
    .returning({ id: endpoints.id });
  return rows.length > 0;
}

/**
 * A token bucket per endpoint in its row, so `throttleRate` holds across every
 * worker process. The bucket holds a fifth of a second of tokens: enough to
 * absorb scheduling jitter, small enough that no one-second window sees much
 * more than the rate after a pause. Returns 0 when a send may go now, or how
 * many milliseconds to wait for the next token.
 */
export async function takeThrottleToken(db: Database, endpointId: string, ratePerSecond: number): Promise<number> {
  const capacity = Math.max(1, Math.ceil(ratePerSecond / 5));
  const refilled = sql`least(${capacity}::double precision, coalesce(${endpoints.throttleTokens}, ${capacity}::double precision) + ${ratePerSecond} * extract(epoch from now() - coalesce(${endpoints.throttleRefilledAt}, now())))`;
  const taken = await db
    .update(endpoints)
    .set({ throttleTokens: sql`${refilled} - 1`, throttleRefilledAt: sql`now()` })
    .where(and(eq(endpoints.id, endpointId), sql`${refilled} >= 1`))
    .returning({ id: endpoints.id });
  if (taken.length > 0) return 0;
  const [state] = await db
    .select({ tokens: sql<number>`${refilled}` })
    .from(endpoints)
    .where(eq(endpoints.id, endpointId));
  const missing = 1 - Number(state?.tokens ?? 0);
  return Math.max(1, Math.ceil((missing / ratePerSecond) * 1000));
}

/**
 * Deliveries whose job is overdue: due for a while but never claimed (the job
 * was lost with a queue outage), or held by a worker whose lease ran out.
 */
export async function findOverdueDeliveries(db: Database, graceMs: number, limit: number) {
  const grace = sql`make_interval(secs => ${graceMs / 1000})`;
  return await db
    .select({ id: deliveries.id, nextAttemptAt: deliveries.nextAttemptAt })
    .from(deliveries)
    .where(
      or(
        and(inArray(deliveries.status, ['pending', 'failed']), lt(deliveries.nextAttemptAt, sql`now() - ${grace}`)),
        and(eq(deliveries.status, 'sending'), lt(deliveries.leaseExpiresAt, sql`now() - ${grace}`)),
      ),
    )
    .orderBy(deliveries.nextAttemptAt)
    .limit(limit);
}

/** Makes deliveries due now again (resend, recover, dead-letter replay). Returns the ones changed. */
export async function requeueDeliveries(db: Database, where: { orgId: string; ids: string[] }): Promise<{ id: string }[]> {
  if (where.ids.length === 0) return [];
  return await db
    .update(deliveries)
    .set({ status: 'pending', nextAttemptAt: sql`now()`, leaseToken: null, leaseExpiresAt: null, updatedAt: sql`now()` })
    .where(and(eq(deliveries.orgId, where.orgId), inArray(deliveries.id, where.ids), sql`${deliveries.status} <> 'sending'`))
    .returning({ id: deliveries.id });
}

/**
 * FIFO endpoints deliver strictly in message order: the head is the oldest
 * unfinished delivery of the endpoint, and only the head may be attempted.
 */
export async function fifoHead(db: Database, endpointId: string): Promise<{ id: string; status: DeliveryRow['status'] } | undefined> {
  const [head] = await db
    .select({ id: deliveries.id, status: deliveries.status })
    .from(deliveries)
    .innerJoin(messages, eq(messages.id, deliveries.messageId))
    .where(and(eq(deliveries.endpointId, endpointId), inArray(deliveries.status, ['pending', 'failed', 'sending'])))
    .orderBy(messages.createdAt, messages.id)
    .limit(1);
  return head;
}

/** Makes a FIFO endpoint's new head due now (if it has not been attempted yet) and returns it. */
export async function advanceFifo(db: Database, endpointId: string): Promise<string | undefined> {
  const head = await fifoHead(db, endpointId);
  if (!head) return undefined;
  if (head.status === 'pending') {
    await db
      .update(deliveries)
      .set({ nextAttemptAt: sql`now()` })
      .where(and(eq(deliveries.id, head.id), eq(deliveries.status, 'pending')));
  }
  return head.status === 'sending' ? undefined : head.id;
}
