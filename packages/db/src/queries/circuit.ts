import { and, eq, isNull, lt, ne, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { deliveries, endpoints } from '../schema';
import { runPrepared } from './batching';

/**
 * What a worker saw of an endpoint since it last wrote its health: whether
 * any attempt succeeded, and how many failed after the last success (or in
 * all, without one).
 */
export interface EndpointHealthDelta {
  endpointId: string;
  succeeded: boolean;
  trailingFailures: number;
}

export interface EndpointHealthChange {
  endpointId: string;
  /** A success closed the open circuit: its held deliveries can go. */
  circuitClosed: boolean;
  /** Failing for longer than `disableAfterS` disabled it with this very write. */
  disabledNow: boolean;
}

/**
 * Writes endpoints' health, one statement for many: a success clears the
 * failure streak and `failing_since` and closes an open circuit; failures
 * extend the streak; failing since more than `disableAfterS` ago disables
 * the endpoint. Rows are locked in id order (two writers cannot deadlock)
 * and only when something changes. Returns what changed that matters.
 */
export async function recordEndpointHealth(
  db: Database,
  deltas: EndpointHealthDelta[],
  policy: { disableAfterS: number },
): Promise<EndpointHealthChange[]> {
  if (deltas.length === 0) return [];
  const document = JSON.stringify(deltas.map((d) => ({ endpoint_id: d.endpointId, healed: d.succeeded, failures: d.trailingFailures })));
  const rows = await runPrepared<{ endpointId: string; circuitClosed: boolean; disabledNow: boolean }>(db, RECORD_ENDPOINT_HEALTH, [
    document,
    deltas.length,
    policy.disableAfterS,
  ]);
  return rows.map((r) => ({ endpointId: r.endpointId, circuitClosed: r.circuitClosed, disabledNow: r.disabledNow }));
}

const RECORD_ENDPOINT_HEALTH = `
  with v as (
    select * from json_to_recordset($1::json) as v(endpoint_id text, healed boolean, failures integer) limit $2
  ),
  locked as (
    -- "no key": inserting deliveries (whose foreign key shares the row) is not held up.
    select e.id, e.circuit_open_until, e.disabled, v.healed, v.failures
    from endpoints e join v on v.endpoint_id = e.id
    where (v.healed and (e.consecutive_failures > 0 or e.failing_since is not null or e.circuit_open_until is not null))
      or v.failures > 0
    order by e.id
    for no key update of e
  ),
  written as (
    update endpoints e set
      consecutive_failures = case when l.healed then l.failures else e.consecutive_failures + l.failures end,
      failing_since = case when l.healed then (case when l.failures > 0 then now() end) else coalesce(e.failing_since, now()) end,
      circuit_open_until = case when l.healed then null else e.circuit_open_until end,
      circuit_trips = case when l.healed then 0 else e.circuit_trips end,
      disabled = e.disabled or (not l.healed and coalesce(e.failing_since < now() - make_interval(secs => $3::integer), false))
    from locked l where e.id = l.id
    returning e.id, e.disabled
  )
  select w.id as "endpointId", (l.healed and l.circuit_open_until is not null) as "circuitClosed", (w.disabled and not l.disabled) as "disabledNow"
  from written w join locked l on l.id = w.id`;

/**
 * The circuit breaker's state lives in the endpoint row (`circuit_open_until`,
 * `circuit_trips`), so every worker process holds back the same endpoints.
 * Deciding to open it is the worker's (a failure rate over a window, see
 * apps/worker/src/engine/breaker.ts); these statements move the state.
 */
export interface CircuitTiming {
  /** First open interval; doubled by every failed probe, up to `maxMs`. */
  baseMs: number;
  maxMs: number;
}

/** The next open interval: base × 2^trips (trips so far; `trips: -1` means the last one again), capped. */
const openInterval = (timing: CircuitTiming & { trips?: number }) =>
  sql`make_interval(secs => least(${timing.maxMs / 1000}::double precision, ${timing.baseMs / 1000}::double precision * power(2, greatest(0, ${endpoints.circuitTrips} + ${timing.trips ?? 0}))))`;

/**
 * Opens a closed circuit. Undefined when it was open already (another
 * process tripped it first), or the endpoint is disabled or gone: only the
 * winner schedules the probe.
 */
export async function openCircuit(db: Database, endpointId: string, timing: CircuitTiming): Promise<Date | undefined> {
  const [row] = await db
    .update(endpoints)
    .set({ circuitOpenUntil: sql`now() + ${openInterval(timing)}`, circuitTrips: sql`${endpoints.circuitTrips} + 1` })
    .where(and(eq(endpoints.id, endpointId), isNull(endpoints.circuitOpenUntil), eq(endpoints.disabled, false)))
    .returning({ until: endpoints.circuitOpenUntil });
  return row?.until ?? undefined;
}

/**
 * A failed probe: open again, for twice as long as last time (up to the
 * maximum). A probe that met back-pressure or Herald's own failure proved
 * nothing: open again for as long as last time.
 */
export async function reopenCircuit(
  db: Database,
  endpointId: string,
  timing: CircuitTiming,
  options: { failed: boolean },
): Promise<Date | undefined> {
  const [row] = await db
    .update(endpoints)
    .set({
      circuitOpenUntil: sql`now() + ${openInterval(options.failed ? timing : { ...timing, trips: -1 })}`,
      circuitTrips: options.failed ? sql`${endpoints.circuitTrips} + 1` : sql`${endpoints.circuitTrips}`,
    })
    .where(and(eq(endpoints.id, endpointId), eq(endpoints.disabled, false)))
    .returning({ until: endpoints.circuitOpenUntil });
  return row?.until ?? undefined;
}

/**
 * The half-open state: of everyone who finds the open interval over, the one
 * that wins this update sends the probe; the circuit stays "open" for
 * `probeMs` more, so nobody else sends meanwhile.
 */
export async function acquireCircuitProbe(db: Database, endpointId: string, probeMs: number): Promise<{ fifo: boolean } | undefined> {
  const [row] = await db
    .update(endpoints)
    .set({ circuitOpenUntil: sql`now() + make_interval(secs => ${probeMs / 1000})` })
    .where(and(eq(endpoints.id, endpointId), sql`${endpoints.circuitOpenUntil} <= now()`, eq(endpoints.disabled, false)))
    .returning({ fifo: endpoints.fifo });
  return row;
}

/** Closes the circuit without a success (nothing was left to probe with): the next delivery tests the endpoint. */
export async function closeCircuit(db: Database, endpointId: string): Promise<void> {
  await db.update(endpoints).set({ circuitOpenUntil: null, circuitTrips: 0 }).where(eq(endpoints.id, endpointId));
}

/**
 * A delivery to probe an endpoint with: one that can be claimed now, a held
 * one first (any will do), else one whose retry is due. Undefined when none
 * is: what is left waits for a retry later, which then tests the endpoint.
 */
export async function probeCandidate(db: Database, endpointId: string): Promise<string | undefined> {
  const [held] = await db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(and(eq(deliveries.endpointId, endpointId), sql`${deliveries.status} in ('pending', 'failed')`, isNull(deliveries.nextAttemptAt)))
    .limit(1);
  if (held) return held.id;
  const [due] = await db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(
      and(
        eq(deliveries.endpointId, endpointId),
        sql`${deliveries.status} in ('pending', 'failed')`,
        sql`${deliveries.nextAttemptAt} <= now() + interval '1 second'`,
      ),
    )
    .limit(1);
  return due?.id;
}

/**
 * Makes up to `limit` of an endpoint's held deliveries due now (its circuit
 * closed) and returns them, for the caller to queue. Rows another release is
 * taking are skipped, not waited for.
 */
export async function releaseHeldDeliveries(db: Database, endpointId: string, limit: number): Promise<string[]> {
  const rows = await db.execute<{ id: string }>(sql`
    update ${deliveries} set next_attempt_at = now(), updated_at = now()
    where id in (
      select id from ${deliveries}
      where endpoint_id = ${endpointId} and status in ('pending', 'failed') and next_attempt_at is null
      limit ${limit}
      for update skip locked
    )
    returning id`);
  return rows.map((r) => r.id);
}

/**
 * Held deliveries whose endpoint's circuit is closed: a hold that raced with
 * the probe's release. Made due now and returned, for the sweeper to queue.
 * Driven from the endpoints (a closed circuit with something held), so the
 * usual case, nothing stranded, reads no delivery rows but an index probe each.
 */
export async function releaseStrandedHeld(db: Database, graceMs: number, limit: number): Promise<{ id: string; endpointId: string }[]> {
  return await db.execute<{ id: string; endpointId: string }>(sql`
    update ${deliveries} d set next_attempt_at = now(), updated_at = now()
    where d.id in (
      select h.id from ${endpoints} e
      cross join lateral (
        select h.id from ${deliveries} h
        where h.endpoint_id = e.id and h.status in ('pending', 'failed') and h.next_attempt_at is null
          and h.updated_at < now() - make_interval(secs => ${graceMs / 1000})
        limit ${limit}
      ) h
      where e.circuit_open_until is null and not e.disabled
      limit ${limit}
    )
    and d.status in ('pending', 'failed') and d.next_attempt_at is null
    returning d.id, d.endpoint_id as "endpointId"`);
}

/**
 * What a disabled endpoint still owes, left behind by a disable whose
 * dead-lettering did not happen (the worker died, or a retry was recorded
 * just after it): dead-lettered now. Returns how many.
 */
export async function deadLetterDisabledBacklog(db: Database, graceMs: number, limit: number): Promise<number> {
  const rows = await db.execute<{ id: string }>(sql`
    update ${deliveries} d set status = 'dead', next_attempt_at = null, lease_token = null, lease_expires_at = null,
      last_error = 'endpoint disabled', updated_at = now()
    where d.id in (
      select h.id from ${endpoints} e
      cross join lateral (
        select h.id from ${deliveries} h
        where h.endpoint_id = e.id and h.status in ('pending', 'failed')
          and h.updated_at < now() - make_interval(secs => ${graceMs / 1000})
        limit ${limit}
      ) h
      where e.disabled
      limit ${limit}
    )
    and d.status in ('pending', 'failed')
    returning d.id`);
  return rows.length;
}

/** Endpoints whose open interval (or probe) ran out a while ago with nobody probing: the probe job was lost. */
export async function findOverdueProbes(db: Database, graceMs: number, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: endpoints.id })
    .from(endpoints)
    .where(
      and(
        lt(endpoints.circuitOpenUntil, sql`now() - make_interval(secs => ${graceMs / 1000})`),
        eq(endpoints.disabled, false),
        ne(endpoints.type, 'kafka'),
      ),
    )
    .limit(limit);
  return rows.map((r) => r.id);
}

/**
 * A disabled endpoint sends nothing more: everything it still owed (pending,
 * failed awaiting a retry, held) is dead-lettered with `reason`, visible and
 * replayable once it is enabled again. Returns how many.
 */
export async function deadLetterEndpointBacklog(db: Database, endpointId: string, reason: string): Promise<number> {
  const rows = await db
    .update(deliveries)
    .set({ status: 'dead', nextAttemptAt: null, leaseToken: null, leaseExpiresAt: null, lastError: reason, updatedAt: sql`now()` })
    .where(and(eq(deliveries.endpointId, endpointId), sql`${deliveries.status} in ('pending', 'failed')`))
    .returning({ id: deliveries.id });
  return rows.length;
}
