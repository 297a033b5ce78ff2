import { randomBytes } from 'node:crypto';
import { newId } from '@herald/core';
import { and, type Column, eq, getTableColumns, inArray, lt, or, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Database } from '../client';
import { deliveries, endpoints, messages } from '../schema';
import { createMicroBatcher, perDatabase, runPrepared } from './batching';

type DeliveryRow = typeof deliveries.$inferSelect;
type EndpointRow = typeof endpoints.$inferSelect;

export interface ClaimedDelivery {
  delivery: DeliveryRow;
  /**
   * Proves this worker holds the delivery; recording needs it. For a Kafka
   * drain it is the endpoint's drain lease token ({@link ClaimedDelivery.byDrain}).
   */
  leaseToken: string;
  /** Held through the endpoint's drain lease (Kafka) rather than a lease on the delivery itself. */
  byDrain?: boolean;
  endpoint: EndpointRow;
  message: { id: string; orgId: string; appId: string; eventType: string; createdAt: Date; body: string };
}

/**
 * A row of `table` from its `to_json` form (column names as keys, JSON
 * values), mapped the way a drizzle select maps it. Lets one statement return
 * whole rows of several tables (a claimed delivery with its endpoint).
 */
export function rowFromJson<T extends PgTable>(table: T, json: Record<string, unknown>): T['$inferSelect'] {
  let columns = columnsOf.get(table);
  if (!columns) {
    columns = Object.entries(getTableColumns(table));
    columnsOf.set(table, columns);
  }
  const row: Record<string, unknown> = {};
  for (const [key, column] of columns) {
    const value = json[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as T['$inferSelect'];
}
const columnsOf = new WeakMap<PgTable, [string, Column][]>();

interface ClaimedRowJson extends Record<string, unknown> {
  delivery: Record<string, unknown>;
  held: boolean;
  endpoint: Record<string, unknown>;
  message_id: string;
  message_org_id: string;
  message_app_id: string;
  event_type: string;
  message_created_at: string;
  body: string;
}

/** What a claim found: the delivery is ours to send, or held behind its endpoint's open circuit. */
export type ClaimResult = { kind: 'claimed'; claim: ClaimedDelivery } | { kind: 'held' };

/**
 * Takes a delivery for one attempt, if it is due and nobody holds it (or the
 * holder's lease ran out: the worker died mid-attempt). If its endpoint's
 * circuit breaker is open (or probing), the delivery is held instead: left
 * without a due time and without a job until the breaker's probe succeeds.
 * `bypassCircuit` (manual resends, the probe itself) claims regardless.
 * Undefined means there is nothing to do: done, dead, not due yet, in another
 * worker's hands, or a Kafka delivery (its endpoint's drain sends it).
 * One statement: the claim (or hold), and the endpoint and message it needs.
 */
export async function claimDelivery(
  db: Database,
  deliveryId: string,
  leaseMs: number,
  options: { bypassCircuit?: boolean } = {},
): Promise<ClaimResult | undefined> {
  const leaseToken = randomBytes(12).toString('base64url');
  const [row] = await runPrepared<ClaimedRowJson>(db, CLAIM_DELIVERY, [
    deliveryId,
    leaseToken,
    leaseMs / 1000,
    options.bypassCircuit ?? false,
  ]);
  // The endpoint or message was deleted between fan-out and now; the cascade removes the delivery too.
  if (!row) return undefined;
  if (row.held) return { kind: 'held' };
  return {
    kind: 'claimed',
    claim: {
      delivery: rowFromJson(deliveries, row.delivery),
      leaseToken,
      endpoint: rowFromJson(endpoints, row.endpoint),
      message: {
        id: row.message_id,
        orgId: row.message_org_id,
        appId: row.message_app_id,
        eventType: row.event_type,
        createdAt: messages.createdAt.mapFromDriverValue(row.message_created_at) as Date,
        body: row.body,
      },
    },
  };
}

const CLAIM_DELIVERY = `
  with claimed as (
    update deliveries d set
      status = case
        when e.held then (case when d.status = 'sending' then (case when d.attempt_count = 0 then 'pending' else 'failed' end) else d.status::text end)
        else 'sending' end::delivery_status,
      lease_token = case when e.held then null else $2 end,
      lease_expires_at = case when e.held then null else now() + make_interval(secs => $3) end,
      next_attempt_at = case when e.held then null else d.next_attempt_at end,
      updated_at = now()
    -- Kafka deliveries are only ever sent by their endpoint's drain, in order.
    -- A disabled endpoint's delivery is not held: the engine dead-letters it.
    from (select id, (circuit_open_until is not null and not disabled and not $4::boolean) as held from endpoints where type <> 'kafka') e
    where d.id = $1 and e.id = d.endpoint_id
      and (
        (d.status in ('pending', 'failed') and (d.next_attempt_at is null or d.next_attempt_at <= now() + interval '1 second'))
        or (d.status = 'sending' and d.lease_expires_at < now())
      )
    returning d.*, e.held
  )
  select to_json(c) as delivery, c.held, to_json(e) as endpoint, m.id as message_id, m.org_id as message_org_id,
    m.app_id as message_app_id, m.event_type, m.created_at as message_created_at,
    -- The stored JSON text, byte for byte: what is signed is what is sent.
    m.payload::text as body
  from claimed c
  join endpoints e on e.id = c.endpoint_id
  join messages m on m.id = c.message_id`;

/** Gives a claimed delivery back without an attempt (throttled, FIFO wait), due again at `dueAt`. */
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
 * Writes the attempt to the log and moves the delivery on, atomically, only
 * if this worker still holds the lease. Returns the delivery's attempt count
 * after it, or undefined when the lease was lost (another worker took over;
 * nothing recorded). Attempts finished in the same turn of the event loop are
 * recorded by one statement. Endpoint health is recorded apart
 * ({@link recordEndpointHealth}): a row every attempt of an endpoint would
 * write is a lock every recording of that endpoint would wait for.
 */
export function recordAttempt(
  db: Database,
  claim: ClaimedDelivery,
  attempt: AttemptRecord,
  outcome: AttemptOutcome,
  error: string | null,
): Promise<number | undefined> {
  return attemptRecorder(db).add({ claim, attempt, outcome, error });
}

/**
 * Micro-batched attempt recording: one statement (move the deliveries on
 * under their lease tokens, log the attempts of those that matched) for
 * everything finished within one turn of the event loop.
 */
const attemptRecorder = perDatabase((db) =>
  createMicroBatcher<{ claim: ClaimedDelivery; attempt: AttemptRecord; outcome: AttemptOutcome; error: string | null }, number | undefined>(
    {
      maxBatch: 500,
      async run(batch) {
        const document = JSON.stringify(
          batch.map(({ claim, attempt, outcome, error }) => ({
            delivery_id: claim.delivery.id,
            lease_token: claim.leaseToken,
            by_drain: claim.byDrain ?? false,
            status: outcome.kind === 'retry' ? 'failed' : outcome.kind,
            next_attempt_at: outcome.kind === 'retry' ? outcome.nextAttemptAt.toISOString() : null,
            last_error: error,
            attempt_id: newId('attempt'),
            org_id: claim.delivery.orgId,
            app_id: claim.delivery.appId,
            message_id: claim.delivery.messageId,
            endpoint_id: claim.delivery.endpointId,
            ok: attempt.ok,
            trigger: attempt.trigger,
            url: attempt.url,
            response_status_code: attempt.statusCode,
            response: attempt.response,
            duration_ms: attempt.durationMs,
          })),
        );
        const rows = await runPrepared<{ id: string; attempt_count: number }>(db, RECORD_ATTEMPTS, [document, batch.length]);
        const counts = new Map(rows.map((r) => [r.id, Number(r.attempt_count)]));
        return batch.map(({ claim }) => counts.get(claim.delivery.id));
      },
    },
  ),
);

const RECORD_ATTEMPTS = `
  with v as (
    select * from json_to_recordset($1::json) as v(
      delivery_id text, lease_token text, by_drain boolean, status text, next_attempt_at timestamptz, last_error text,
      attempt_id text, org_id text, app_id text, message_id text, endpoint_id text, ok boolean, trigger text,
      url text, response_status_code integer, response text, duration_ms integer
    )
    -- The LIMIT tells the planner how few rows there are (it assumes 100 from a function), so it
    -- looks the deliveries up by primary key instead of scanning the table for a hash join.
    limit $2
  ),
  drains as (
    -- The drain leases of the endpoints whose Kafka batches are recorded here (looked up by id).
    select e.id, e.drain_lease_token from endpoints e where e.id in (select v.endpoint_id from v where v.by_drain)
  ),
  moved as (
    update deliveries d set
      status = v.status::delivery_status,
      attempt_count = d.attempt_count + 1,
      last_attempt_at = now(),
      next_attempt_at = v.next_attempt_at,
      lease_token = null,
      lease_expires_at = null,
      last_error = v.last_error,
      updated_at = now()
    from v
    where d.id = v.delivery_id
      and (
        (not v.by_drain and d.lease_token = v.lease_token)
        -- A Kafka drain holds its endpoint, not each delivery: it records while it still holds the drain lease.
        or (v.by_drain and d.status in ('pending', 'failed', 'sending')
          and exists (select 1 from drains where drains.id = d.endpoint_id and drains.drain_lease_token = v.lease_token))
      )
    returning d.id, d.attempt_count
  ),
  logged as (
    insert into attempts (id, org_id, app_id, message_id, endpoint_id, delivery_id, status, trigger, url, response_status_code, response, duration_ms, final)
    select v.attempt_id, v.org_id, v.app_id, v.message_id, v.endpoint_id, v.delivery_id,
      (case when v.ok then 'succeeded' else 'failed' end)::attempt_status, v.trigger::attempt_trigger,
      v.url, v.response_status_code, v.response, v.duration_ms,
      -- A failure that dead-letters its delivery: no automatic retry follows.
      (not v.ok and v.status = 'dead')
    from v join moved on moved.id = v.delivery_id
  )
  select id, attempt_count from moved`;

/** Ends a delivery without an attempt (its endpoint was disabled meanwhile). */
export async function deadLetterWithoutAttempt(db: Database, claim: ClaimedDelivery, reason: string): Promise<void> {
  await db
    .update(deliveries)
    .set({ status: 'dead', leaseToken: null, leaseExpiresAt: null, nextAttemptAt: null, lastError: reason, updatedAt: sql`now()` })
    .where(and(eq(deliveries.id, claim.delivery.id), eq(deliveries.leaseToken, claim.leaseToken)));
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
    .select({ id: deliveries.id, endpointId: deliveries.endpointId, nextAttemptAt: deliveries.nextAttemptAt })
    .from(deliveries)
    .where(
      or(
        and(inArray(deliveries.status, ['pending', 'failed']), lt(deliveries.nextAttemptAt, sql`now() - ${grace}`)),
        and(eq(deliveries.status, 'sending'), lt(deliveries.leaseExpiresAt, sql`now() - ${grace}`)),
      ),
    )
    // A claim that held a delivery keeps its (null) due time: order by when it became overdue either way.
    .orderBy(sql`coalesce(${deliveries.nextAttemptAt}, ${deliveries.leaseExpiresAt})`)
    .limit(limit);
}

/** Makes deliveries due now again (resend, recover, dead-letter replay). Returns the ones changed. */
export async function requeueDeliveries(
  db: Database,
  where: { orgId: string; ids: string[] },
): Promise<{ id: string; endpointId: string }[]> {
  if (where.ids.length === 0) return [];
  return await db
    .update(deliveries)
    .set({ status: 'pending', nextAttemptAt: sql`now()`, leaseToken: null, leaseExpiresAt: null, updatedAt: sql`now()` })
    .where(and(eq(deliveries.orgId, where.orgId), inArray(deliveries.id, where.ids), sql`${deliveries.status} <> 'sending'`, contentKept()))
    .returning({ id: deliveries.id, endpointId: deliveries.endpointId });
}

/**
 * FIFO endpoints deliver strictly in message order: the head is the oldest
 * unfinished delivery of the endpoint, and only the head may be attempted.
 * `blocked`: an earlier message of the application is still being fanned out
 * (its deliveries do not exist yet), so the head must wait for it: fan-outs of
 * messages published back to back may finish in either order.
 */
export async function fifoHead(
  db: Database,
  endpointId: string,
): Promise<{ id: string; status: DeliveryRow['status']; blocked: boolean } | undefined> {
  const [head] = await db
    .select({
      id: deliveries.id,
      status: deliveries.status,
      blocked: sql<boolean>`exists (
        select 1 from ${messages} m
        where m.app_id = ${deliveries.appId} and m.fanned_out_at is null
          and (m.deliver_at is null or m.deliver_at <= now())
          and m.created_at < ${messages.createdAt}
      )`,
    })
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

/** The delivery's message still has its payload: an expunged message is never sent again. */
export function contentKept() {
  return sql`not exists (select 1 from ${messages} where ${messages.id} = ${deliveries.messageId} and ${messages.expungedAt} is not null)`;
}
