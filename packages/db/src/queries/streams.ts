import { and, asc, desc, eq, getTableColumns, gt, lte, or, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { attempts, endpoints, messages } from '../schema';
import { MESSAGE_STATUS, type MessageStatusText } from './attempts';
import { messageOut } from './messages';

/**
 * Reads behind the SSE streams (`GET /api/v1/stream/attempts`,
 * `GET /api/v1/app/{app_id}/events/stream`). The streams tail tables that
 * concurrent transactions insert into, so besides the rows themselves they need
 * to know which writers are still running: see `tableWriters`.
 */

/** An attempt with its message's event type, which a live feed shows beside it. */
type AttemptRow = typeof attempts.$inferSelect & { eventType: string };

/** One attempt as an SSE `attempt` event's data. */
export function attemptStreamOut(row: AttemptRow) {
  const statusText: MessageStatusText = row.status === 'succeeded' ? 'success' : 'fail';
  return {
    id: row.id,
    seq: row.seq,
    msgId: row.messageId,
    eventType: row.eventType,
    endpointId: row.endpointId,
    appId: row.appId,
    status: MESSAGE_STATUS[statusText],
    statusText,
    responseStatusCode: row.responseStatusCode ?? 0,
    responseDurationMs: row.durationMs,
    triggerType: row.trigger === 'manual' ? 1 : 0,
    final: row.final,
    timestamp: row.createdAt.toISOString(),
    url: row.url,
  };
}

export type AttemptStreamOut = ReturnType<typeof attemptStreamOut>;

/** The highest attempt `seq` visible now (0 when there is none): where a stream without `Last-Event-ID` starts. */
export async function attemptLogHead(db: Database): Promise<number> {
  const [row] = await db.select({ head: sql<string | null>`max(${attempts.seq})` }).from(attempts);
  return row?.head == null ? 0 : Number(row.head);
}

/** Visible `seq` values after `after`, ascending, all tenants: the horizon tracker looks for holes in them. */
export async function attemptSeqsAfter(db: Database, after: number, limit: number): Promise<number[]> {
  const rows = await db.select({ seq: attempts.seq }).from(attempts).where(gt(attempts.seq, after)).orderBy(asc(attempts.seq)).limit(limit);
  return rows.map((row) => row.seq);
}

export interface AttemptStreamFilter {
  orgId: string;
  appId?: string | undefined;
  endpointId?: string | undefined;
  /** Svix numbering: 0 success, 2 fail. */
  status?: number | undefined;
}

/** One organization's attempts with `after < seq <= upTo`, in `seq` order. */
export async function readAttemptStream(db: Database, filter: AttemptStreamFilter, after: number, upTo: number, limit: number) {
  return await db
    .select({ ...getTableColumns(attempts), eventType: messages.eventType })
    .from(attempts)
    .innerJoin(messages, eq(messages.id, attempts.messageId))
    .where(
      and(
        eq(attempts.orgId, filter.orgId),
        gt(attempts.seq, after),
        lte(attempts.seq, upTo),
        filter.appId ? eq(attempts.appId, filter.appId) : undefined,
        filter.endpointId ? eq(attempts.endpointId, filter.endpointId) : undefined,
        filter.status === undefined ? undefined : eq(attempts.status, filter.status === MESSAGE_STATUS.success ? 'succeeded' : 'failed'),
      ),
    )
    .orderBy(asc(attempts.seq))
    .limit(limit);
}

/**
 * Where a stream must start for its first events to be the newest `count`
 * attempts matching `filter` at or below `head` (a live page that opens with
 * recent history, then tails): just before the oldest of them, or 0 when
 * fewer match among the last HISTORY_SCAN attempts of the log.
 */
const HISTORY_SCAN = 100_000;

export async function attemptHistoryStart(db: Database, filter: AttemptStreamFilter, head: number, count: number): Promise<number> {
  if (count <= 0) return head;
  const [row] = await db
    .select({ seq: attempts.seq })
    .from(attempts)
    .where(
      and(
        eq(attempts.orgId, filter.orgId),
        lte(attempts.seq, head),
        // Bounded, so a quiet application in a busy log does not make the lookup scan it all.
        gt(attempts.seq, head - HISTORY_SCAN),
        filter.appId ? eq(attempts.appId, filter.appId) : undefined,
        filter.endpointId ? eq(attempts.endpointId, filter.endpointId) : undefined,
        filter.status === undefined ? undefined : eq(attempts.status, filter.status === MESSAGE_STATUS.success ? 'succeeded' : 'failed'),
      ),
    )
    .orderBy(desc(attempts.seq))
    .offset(count - 1)
    .limit(1);
  return row ? row.seq - 1 : 0;
}

/**
 * An endpoint named in a stream filter: by id anywhere in the organization, or
 * by uid within `appId` (a uid is only unique inside its application).
 */
export async function findStreamEndpoint(db: Database, orgId: string, appId: string | undefined, idOrUid: string) {
  const [row] = await db
    .select({ id: endpoints.id, appId: endpoints.appId })
    .from(endpoints)
    .where(
      and(
        eq(endpoints.orgId, orgId),
        appId ? eq(endpoints.appId, appId) : undefined,
        appId ? or(eq(endpoints.id, idOrUid), eq(endpoints.uid, idOrUid)) : eq(endpoints.id, idOrUid),
      ),
    )
    .orderBy(sql`${endpoints.id} = ${idOrUid} desc`)
    .limit(1);
  return row;
}

type MessageRow = typeof messages.$inferSelect;

/** One application's messages with `after < id <= upTo`, in id (creation time) order. */
export async function readMessageStream(
  db: Database,
  scope: { orgId: string; appId: string },
  after: string,
  upTo: string,
  limit: number,
): Promise<MessageRow[]> {
  return await db
    .select()
    .from(messages)
    .where(and(eq(messages.orgId, scope.orgId), eq(messages.appId, scope.appId), gt(messages.id, after), lte(messages.id, upTo)))
    .orderBy(asc(messages.id))
    .limit(limit);
}

export const messageStreamOut = (row: MessageRow) => messageOut(row, true);

export interface TableWriters {
  /** Virtual transaction ids (`backend/local`) of the transactions that may write the table. */
  transactions: string[];
  /** The database clock when the statement started (epoch ms), which is no later than the lock snapshot. */
  at: number;
}

/**
 * The transactions that currently hold (or wait for) a write lock on `table`
 * in this database. PostgreSQL takes that lock while planning an INSERT,
 * before the row's identity value or default is computed, and keeps it until
 * commit or rollback; so a row this snapshot cannot see yet belongs to one of
 * these transactions, or to one that started after this call. Prepared (2PC)
 * transactions are included; our own backend is not.
 */
export async function tableWriters(db: Database, table: 'attempts' | 'messages'): Promise<TableWriters> {
  const rows = await db.execute<{ transactions: string[] | null; at: number }>(sql`
    select
      (select array_agg(distinct virtualtransaction)
         from pg_locks
        where locktype = 'relation'
          and database = (select oid from pg_database where datname = current_database())
          and relation = to_regclass(${table})
          and mode in ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
          and pid is distinct from pg_backend_pid()) as transactions,
      (extract(epoch from now()) * 1000)::float8 as at
  `);
  const row = rows[0];
  return { transactions: row?.transactions ?? [], at: Number(row?.at ?? Date.now()) };
}
