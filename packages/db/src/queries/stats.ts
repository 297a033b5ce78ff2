import { sql } from 'drizzle-orm';
import type { Database } from '../client';

/** Svix `EndpointStats`: an endpoint's deliveries counted by their Svix status. */
export interface EndpointStatsOut {
  success: number;
  fail: number;
  pending: number;
  sending: number;
  canceled: number;
}

/**
 * Deliveries of one endpoint by status, as Svix names them: succeeded → success,
 * dead → fail, pending and failed (a retry is scheduled) → pending, sending →
 * sending; Herald never cancels, so canceled is 0. The window is on the
 * message's creation time.
 */
export async function endpointStats(
  db: Database,
  scope: { orgId: string; appId: string; endpointId: string },
  window: { since?: Date | undefined; until?: Date | undefined } = {},
): Promise<EndpointStatsOut> {
  const rows = await db.execute<{ status: string; n: number }>(sql`
    select d.status::text as status, count(*)::int as n
      from deliveries d
      join messages m on m.id = d.message_id
     where d.org_id = ${scope.orgId} and d.app_id = ${scope.appId} and d.endpoint_id = ${scope.endpointId}
       ${window.since ? sql`and m.created_at >= ${window.since.toISOString()}::timestamptz` : sql``}
       ${window.until ? sql`and m.created_at < ${window.until.toISOString()}::timestamptz` : sql``}
     group by d.status
  `);
  const out: EndpointStatsOut = { success: 0, fail: 0, pending: 0, sending: 0, canceled: 0 };
  for (const { status, n } of rows) {
    const count = Number(n);
    if (status === 'succeeded') out.success += count;
    else if (status === 'dead') out.fail += count;
    else if (status === 'pending' || status === 'failed') out.pending += count;
    else if (status === 'sending') out.sending += count;
  }
  return out;
}

export const STATS_BUCKETS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
export type StatsBucket = keyof typeof STATS_BUCKETS;
export const MAX_STATS_BUCKETS = 1000;

/** Bucket starts are aligned to UTC multiples of the bucket size; the last one contains `until`'s instant just before it. */
export function statsBucketCount(bucket: StatsBucket, since: Date, until: Date): number {
  const size = STATS_BUCKETS[bucket];
  const start = Math.floor(since.getTime() / size) * size;
  return Math.max(0, Math.ceil((until.getTime() - start) / size));
}

export interface StatsBucketOut {
  start: string;
  succeeded: number;
  failed: number;
  /** Attempt durations within the bucket; null when it holds no attempt. */
  p50DurationMs: number | null;
  p99DurationMs: number | null;
}

export interface DeliveryStatsOut {
  attempts: { succeeded: number; failed: number };
  /** Succeeded attempts over all attempts in the window; null without attempts. */
  successRate: number | null;
  p50DurationMs: number | null;
  p99DurationMs: number | null;
  /** Deliveries not finished right now (pending, failed with a retry due, sending); not windowed. */
  backlog: number;
  buckets: StatsBucketOut[];
}

/** The endpoint's health right now (circuit breaker state), not windowed. */
export interface EndpointHealthOut {
  consecutiveFailures: number;
  failingSince: string | null;
  circuitOpenUntil: string | null;
}

export interface AppStatsOut extends DeliveryStatsOut {
  since: string;
  until: string;
  bucket: StatsBucket;
  endpoints: (DeliveryStatsOut & { endpointId: string; uid: string | null; health: EndpointHealthOut })[];
}

/**
 * Attempt statistics of one application over [since, until), for the app and
 * each of its endpoints. Callers bound the bucket count (statsBucketCount).
 */
export async function appStats(
  db: Database,
  scope: { orgId: string; appId: string },
  query: { bucket: StatsBucket; since: Date; until: Date },
): Promise<AppStatsOut> {
  const size = STATS_BUCKETS[query.bucket];
  const start = Math.floor(query.since.getTime() / size) * size;
  const count = statsBucketCount(query.bucket, query.since, query.until);
  const since = query.since.toISOString();
  const until = query.until.toISOString();
  const inWindow = sql`a.org_id = ${scope.orgId} and a.app_id = ${scope.appId}
    and a.created_at >= ${since}::timestamptz and a.created_at < ${until}::timestamptz`;

  const [endpointRows, summaryRows, bucketRows, backlogRows] = await Promise.all([
    db.execute<{
      id: string;
      uid: string | null;
      consecutive_failures: number;
      failing_since: string | null;
      circuit_open_until: string | null;
    }>(sql`
      select id, uid, consecutive_failures,
             to_char(failing_since at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as failing_since,
             to_char(circuit_open_until at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as circuit_open_until
        from endpoints where org_id = ${scope.orgId} and app_id = ${scope.appId} order by id
    `),
    // grouping sets: one row per endpoint plus the app-wide row (endpoint_id null, grouped = 1)
    db.execute<{
      endpoint_id: string | null;
      grouped: number;
      succeeded: number;
      failed: number;
      p50: number | null;
      p99: number | null;
    }>(sql`
      select a.endpoint_id, grouping(a.endpoint_id)::int as grouped,
             count(*) filter (where a.status = 'succeeded')::int as succeeded,
             count(*) filter (where a.status = 'failed')::int as failed,
             percentile_cont(0.5) within group (order by a.duration_ms)::float8 as p50,
             percentile_cont(0.99) within group (order by a.duration_ms)::float8 as p99
        from attempts a
       where ${inWindow}
       group by grouping sets ((a.endpoint_id), ())
    `),
    // Per bucket and endpoint, plus per bucket app-wide (percentiles do not add up, so they are grouped, not summed).
    db.execute<{
      endpoint_id: string | null;
      grouped: number;
      idx: number;
      succeeded: number;
      failed: number;
      p50: number | null;
      p99: number | null;
    }>(sql`
      select b.endpoint_id, grouping(b.endpoint_id)::int as grouped, b.idx,
             count(*) filter (where b.status = 'succeeded')::int as succeeded,
             count(*) filter (where b.status = 'failed')::int as failed,
             percentile_cont(0.5) within group (order by b.duration_ms)::float8 as p50,
             percentile_cont(0.99) within group (order by b.duration_ms)::float8 as p99
        from (select a.endpoint_id, a.status, a.duration_ms,
                     floor((extract(epoch from a.created_at) * 1000 - ${start}::float8) / ${size}::float8)::int as idx
                from attempts a
               where ${inWindow}) b
       group by grouping sets ((b.endpoint_id, b.idx), (b.idx))
    `),
    db.execute<{ endpoint_id: string; n: number }>(sql`
      select endpoint_id, count(*)::int as n
        from deliveries
       where org_id = ${scope.orgId} and app_id = ${scope.appId} and status in ('pending', 'failed', 'sending')
       group by endpoint_id
    `),
  ]);

  const emptyBuckets = (): StatsBucketOut[] =>
    Array.from({ length: count }, (_, i) => ({
      start: new Date(start + i * size).toISOString(),
      succeeded: 0,
      failed: 0,
      p50DurationMs: null,
      p99DurationMs: null,
    }));
  const stats = (): DeliveryStatsOut => ({
    attempts: { succeeded: 0, failed: 0 },
    successRate: null,
    p50DurationMs: null,
    p99DurationMs: null,
    backlog: 0,
    buckets: emptyBuckets(),
  });
  const app = stats();
  const byEndpoint = new Map(
    endpointRows.map((row) => [
      row.id,
      {
        endpointId: row.id,
        uid: row.uid,
        health: {
          consecutiveFailures: Number(row.consecutive_failures),
          failingSince: row.failing_since,
          circuitOpenUntil: row.circuit_open_until,
        },
        ...stats(),
      },
    ]),
  );

  for (const row of summaryRows) {
    const target = Number(row.grouped) === 1 ? app : row.endpoint_id ? byEndpoint.get(row.endpoint_id) : undefined;
    if (!target) continue;
    const succeeded = Number(row.succeeded);
    const failed = Number(row.failed);
    target.attempts = { succeeded, failed };
    target.successRate = succeeded + failed > 0 ? succeeded / (succeeded + failed) : null;
    target.p50DurationMs = row.p50 === null ? null : Number(row.p50);
    target.p99DurationMs = row.p99 === null ? null : Number(row.p99);
  }
  for (const row of bucketRows) {
    const target = Number(row.grouped) === 1 ? app : row.endpoint_id ? byEndpoint.get(row.endpoint_id) : undefined;
    const bucket = target?.buckets[Number(row.idx)];
    if (!bucket) continue;
    bucket.succeeded = Number(row.succeeded);
    bucket.failed = Number(row.failed);
    bucket.p50DurationMs = row.p50 === null ? null : Number(row.p50);
    bucket.p99DurationMs = row.p99 === null ? null : Number(row.p99);
  }
  for (const row of backlogRows) {
    const n = Number(row.n);
    app.backlog += n;
    const target = byEndpoint.get(row.endpoint_id);
    if (target) target.backlog = n;
  }
  return { since, until, bucket: query.bucket, ...app, endpoints: [...byEndpoint.values()] };
}

/** Work not yet done, for the queue-depth gauges: deliveries by unfinished status and undispatched messages. */
export async function queueDepth(
  db: Database,
): Promise<{ deliveries: Record<'pending' | 'failed' | 'sending', number>; undispatched: number }> {
  const rows = await db.execute<{ pending: number; failed: number; sending: number; undispatched: number }>(sql`
    select
      (select count(*) from deliveries where status = 'pending')::int as pending,
      (select count(*) from deliveries where status = 'failed')::int as failed,
      (select count(*) from deliveries where status = 'sending')::int as sending,
      (select count(*) from messages where dispatched_at is null)::int as undispatched
  `);
  const row = rows[0];
  return {
    deliveries: { pending: Number(row?.pending ?? 0), failed: Number(row?.failed ?? 0), sending: Number(row?.sending ?? 0) },
    undispatched: Number(row?.undispatched ?? 0),
  };
}

/** An endpoint whose deliveries are failing right now (or were stopped for it), with where it belongs. */
export interface EndpointNeedingAttention {
  endpointId: string;
  appId: string;
  uid: string | null;
  url: string;
  description: string;
  type: string;
  disabled: boolean;
  health: EndpointHealthOut & { circuitTrips: number };
}

/**
 * The organization's endpoints that are failing now: failures in a row, an
 * open circuit, or disabled after failing. A live overview keeps them on
 * screen even while no attempt is made to them (an open circuit sends
 * nothing), worst first: open circuits, then the longest failing.
 */
export async function endpointsNeedingAttention(
  db: Database,
  scope: { orgId: string; appId?: string | undefined },
  limit: number,
): Promise<EndpointNeedingAttention[]> {
  const rows = await db.execute<{
    id: string;
    app_id: string;
    uid: string | null;
    url: string | null;
    description: string;
    type: string;
    disabled: boolean;
    consecutive_failures: number;
    failing_since: string | null;
    circuit_open_until: string | null;
    circuit_trips: number;
  }>(sql`
    select id, app_id, uid, url, description, type, disabled, consecutive_failures, circuit_trips,
           to_char(failing_since at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as failing_since,
           to_char(circuit_open_until at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as circuit_open_until
      from endpoints
     where org_id = ${scope.orgId}
       ${scope.appId ? sql`and app_id = ${scope.appId}` : sql``}
       and (consecutive_failures > 0 or circuit_open_until is not null or failing_since is not null)
     order by (circuit_open_until is not null) desc, failing_since asc nulls last, consecutive_failures desc, id
     limit ${limit}
  `);
  return rows.map((row) => ({
    endpointId: row.id,
    appId: row.app_id,
    uid: row.uid,
    url: row.url ?? '',
    description: row.description,
    type: row.type,
    disabled: Boolean(row.disabled),
    health: {
      consecutiveFailures: Number(row.consecutive_failures),
      failingSince: row.failing_since,
      circuitOpenUntil: row.circuit_open_until,
      circuitTrips: Number(row.circuit_trips),
    },
  }));
}

/**
 * The event types an application's recent messages were published with
 * (newest use first), whether or not they are registered: filters offer what
 * was actually sent. Only the latest `scan` messages are looked at, so a large
 * history costs one bounded index scan.
 */
export async function publishedEventTypes(
  db: Database,
  scope: { orgId: string; appId: string },
  options: { scan: number; limit: number },
): Promise<{ eventType: string; lastPublishedAt: string }[]> {
  const rows = await db.execute<{ event_type: string; last: string }>(sql`
    select event_type, to_char(max(created_at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last
      from (select event_type, created_at from messages
             where org_id = ${scope.orgId} and app_id = ${scope.appId}
             order by id desc limit ${options.scan}) recent
     group by event_type
     order by max(created_at) desc, event_type
     limit ${options.limit}
  `);
  return rows.map((row) => ({ eventType: row.event_type, lastPublishedAt: row.last }));
}
