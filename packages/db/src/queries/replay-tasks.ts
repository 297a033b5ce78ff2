import { type ListPage, newId } from '@herald/core';
import { and, arrayOverlaps, asc, count, eq, gt, inArray, isNotNull, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { deliveries, endpoints, messages, replayTasks } from '../schema';
import { reasonContains } from './dead-letters';
import { keyset, toPage } from './pagination';

export type ReplayTaskRow = typeof replayTasks.$inferSelect;
export type ReplayTaskKind = ReplayTaskRow['kind'];
export type ReplayTaskStatus = ReplayTaskRow['status'];

/**
 * What a bulk replay acts on. Dates are ISO strings with milliseconds, and
 * absent keys are left out, so two starts of the same replay store the same
 * jsonb and meet on the running-task unique index.
 */
export type ReplayFilter = {
  endpointId?: string;
  eventTypes?: string[];
  since?: string;
  until?: string;
  /** Case-insensitive substring of the delivery's last error. */
  reason?: string;
};

export interface ReplayTaskOut {
  id: string;
  appId: string;
  endpointId: string | null;
  kind: ReplayTaskKind;
  filter: ReplayFilter;
  status: ReplayTaskStatus;
  total: number;
  done: number;
  createdAt: string;
  updatedAt: string;
}

export const replayTaskOut = (row: ReplayTaskRow): ReplayTaskOut => ({
  id: row.id,
  appId: row.appId,
  endpointId: row.endpointId,
  kind: row.kind,
  filter: row.filter as ReplayFilter,
  status: row.status,
  total: row.total,
  done: row.done,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

/** Drops absent keys and sorts event types, so equal filters are equal jsonb. */
export function canonicalReplayFilter(filter: ReplayFilter): ReplayFilter {
  const out: ReplayFilter = {};
  if (filter.endpointId) out.endpointId = filter.endpointId;
  if (filter.eventTypes?.length) out.eventTypes = [...new Set(filter.eventTypes)].sort();
  if (filter.since) out.since = new Date(filter.since).toISOString();
  if (filter.until) out.until = new Date(filter.until).toISOString();
  if (filter.reason) out.reason = filter.reason;
  return out;
}

/**
 * Starts a task, or returns the one already running for the same application,
 * kind and filter (`created: false`): the partial unique index decides races.
 */
export async function startReplayTask(
  db: Database,
  input: { orgId: string; appId: string; endpointId: string | null; kind: ReplayTaskKind; filter: ReplayFilter; total: number },
): Promise<{ task: ReplayTaskRow; created: boolean }> {
  const filter = canonicalReplayFilter(input.filter);
  for (let round = 0; round < 5; round++) {
    const [created] = await db
      .insert(replayTasks)
      .values({ id: newId('replayTask'), ...input, filter })
      .onConflictDoNothing()
      .returning();
    if (created) return { task: created, created: true };
    const [running] = await db
      .select()
      .from(replayTasks)
      .where(
        and(
          eq(replayTasks.appId, input.appId),
          eq(replayTasks.kind, input.kind),
          eq(replayTasks.status, 'running'),
          sql`${replayTasks.filter} = ${JSON.stringify(filter)}::jsonb`,
        ),
      )
      .limit(1);
    if (running) return { task: running, created: false };
    // The running one finished between the two statements: try again.
  }
  throw new Error('could not start or find a running replay task');
}

export async function findReplayTask(db: Database, scope: { orgId: string; appId: string }, id: string) {
  const [row] = await db
    .select()
    .from(replayTasks)
    .where(and(eq(replayTasks.orgId, scope.orgId), eq(replayTasks.appId, scope.appId), eq(replayTasks.id, id)))
    .limit(1);
  return row;
}

/** An application's replay tasks, newest first (ids sort by creation time). */
export async function listReplayTasks(
  db: Database,
  scope: { orgId: string; appId: string },
  query: { limit: number; iterator?: string | undefined },
): Promise<ListPage<ReplayTaskOut>> {
  const page = keyset(replayTasks.id, { ...query, order: 'descending' }, undefined);
  const rows = await db
    .select()
    .from(replayTasks)
    .where(and(eq(replayTasks.orgId, scope.orgId), eq(replayTasks.appId, scope.appId), page.where))
    .orderBy(page.orderBy)
    .limit(page.limit);
  return toPage(rows, query, replayTaskOut);
}

export async function findReplayTaskById(db: Database, id: string) {
  const [row] = await db.select().from(replayTasks).where(eq(replayTasks.id, id)).limit(1);
  return row;
}

/** Cancels a running task; undefined when it is not running (any more). */
export async function cancelReplayTask(db: Database, scope: { orgId: string; appId: string }, id: string) {
  const [row] = await db
    .update(replayTasks)
    .set({ status: 'canceled', updatedAt: sql`now()` })
    .where(
      and(
        eq(replayTasks.orgId, scope.orgId),
        eq(replayTasks.appId, scope.appId),
        eq(replayTasks.id, id),
        eq(replayTasks.status, 'running'),
      ),
    )
    .returning();
  return row;
}

/** Records one processed batch; false when the task stopped running meanwhile (canceled). */
export async function recordReplayProgress(db: Database, id: string, progress: { processed: number; cursor: string }): Promise<boolean> {
  const rows = await db
    .update(replayTasks)
    .set({ done: sql`${replayTasks.done} + ${progress.processed}`, cursor: progress.cursor, updatedAt: sql`now()` })
    .where(and(eq(replayTasks.id, id), eq(replayTasks.status, 'running')))
    .returning({ id: replayTasks.id });
  return rows.length > 0;
}

/** Ends a running task; `total` is raised to `done` when more matched than were counted at start. */
export async function endReplayTask(db: Database, id: string, status: 'finished' | 'failed'): Promise<void> {
  await db
    .update(replayTasks)
    .set({
      status,
      total: status === 'finished' ? sql`greatest(${replayTasks.total}, ${replayTasks.done})` : replayTasks.total,
      updatedAt: sql`now()`,
    })
    .where(and(eq(replayTasks.id, id), eq(replayTasks.status, 'running')));
}

const msTime = (column: SQL | typeof messages.createdAt) => sql`date_trunc('milliseconds', ${column})`;

function deadLetterConditions(scope: { orgId: string; appId: string }, filter: ReplayFilter): (SQL | undefined)[] {
  return [
    eq(deliveries.orgId, scope.orgId),
    eq(deliveries.appId, scope.appId),
    eq(deliveries.status, 'dead'),
    // A disabled endpoint would dead-letter the replay at once and overwrite the reason.
    eq(endpoints.disabled, false),
    filter.endpointId ? eq(deliveries.endpointId, filter.endpointId) : undefined,
    filter.eventTypes?.length ? inArray(messages.eventType, filter.eventTypes) : undefined,
    filter.since ? sql`${msTime(messages.createdAt)} >= ${filter.since}::timestamptz` : undefined,
    filter.until ? sql`${msTime(messages.createdAt)} <= ${filter.until}::timestamptz` : undefined,
    filter.reason ? reasonContains(filter.reason) : undefined,
  ];
}

/** How many dead letters of an application a bulk replay with this filter would requeue now. */
export async function countDeadLettersMatching(db: Database, scope: { orgId: string; appId: string }, filter: ReplayFilter) {
  const [row] = await db
    .select({ n: count() })
    .from(deliveries)
    .innerJoin(messages, eq(messages.id, deliveries.messageId))
    .innerJoin(endpoints, eq(endpoints.id, deliveries.endpointId))
    .where(and(...deadLetterConditions(scope, filter)));
  return row?.n ?? 0;
}

/** One batch of matching dead letters, in delivery id order after `afterId`. */
export async function selectDeadLettersMatching(
  db: Database,
  scope: { orgId: string; appId: string },
  filter: ReplayFilter,
  batch: { afterId?: string | null | undefined; limit: number },
): Promise<string[]> {
  const rows = await db
    .select({ id: deliveries.id })
    .from(deliveries)
    .innerJoin(messages, eq(messages.id, deliveries.messageId))
    .innerJoin(endpoints, eq(endpoints.id, deliveries.endpointId))
    .where(and(...deadLetterConditions(scope, filter), batch.afterId ? gt(deliveries.id, batch.afterId) : undefined))
    .orderBy(asc(deliveries.id))
    .limit(batch.limit);
  return rows.map((row) => row.id);
}

type EndpointRow = typeof endpoints.$inferSelect;

/**
 * Messages of the endpoint's application created in [since, until] that the
 * endpoint matches (event type filter, channels) but that have no delivery to
 * it. Only fanned-out messages: a later fan-out reaches the endpoint anyway.
 */
function missingConditions(
  endpoint: Pick<EndpointRow, 'id' | 'appId' | 'filterTypes' | 'channels'>,
  range: { since: string; until: string },
) {
  return [
    eq(messages.appId, endpoint.appId),
    isNotNull(messages.fannedOutAt),
    sql`${msTime(messages.createdAt)} >= ${range.since}::timestamptz`,
    sql`${msTime(messages.createdAt)} <= ${range.until}::timestamptz`,
    endpoint.filterTypes ? (endpoint.filterTypes.length ? inArray(messages.eventType, endpoint.filterTypes) : sql`false`) : undefined,
    endpoint.channels ? arrayOverlaps(messages.channels, endpoint.channels) : undefined,
    sql`not exists (select 1 from ${deliveries} where ${deliveries.messageId} = ${messages.id} and ${deliveries.endpointId} = ${endpoint.id})`,
  ];
}

export async function countMissingMessages(
  db: Database,
  endpoint: Pick<EndpointRow, 'id' | 'appId' | 'filterTypes' | 'channels'>,
  range: { since: string; until: string },
) {
  const [row] = await db
    .select({ n: count() })
    .from(messages)
    .where(and(...missingConditions(endpoint, range)));
  return row?.n ?? 0;
}

export async function selectMissingMessages(
  db: Database,
  endpoint: Pick<EndpointRow, 'id' | 'appId' | 'filterTypes' | 'channels'>,
  range: { since: string; until: string },
  batch: { afterId?: string | null | undefined; limit: number },
) {
  return db
    .select({ id: messages.id, orgId: messages.orgId, payload: messages.payload })
    .from(messages)
    .where(and(...missingConditions(endpoint, range), batch.afterId ? gt(messages.id, batch.afterId) : undefined))
    .orderBy(asc(messages.id))
    .limit(batch.limit);
}

/** Creates the deliveries of these messages to the endpoint, due now; returns those this call created. */
export async function createMissingDeliveries(
  db: Database,
  endpoint: { id: string; appId: string },
  rows: { id: string; orgId: string }[],
): Promise<string[]> {
  if (rows.length === 0) return [];
  const created = await db
    .insert(deliveries)
    .values(
      rows.map((message) => ({
        id: newId('delivery'),
        orgId: message.orgId,
        appId: endpoint.appId,
        messageId: message.id,
        endpointId: endpoint.id,
        nextAttemptAt: sql`now()`,
      })),
    )
    .onConflictDoNothing({ target: [deliveries.messageId, deliveries.endpointId] })
    .returning({ id: deliveries.id });
  return created.map((row) => row.id);
}
