import { type ListPage, newId } from '@herald/core';
import { and, asc, eq, gt, inArray, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { deliveries, endpoints, messages } from '../schema';
import { contentKept, requeueDeliveries } from './deliveries';
import { keyset, toPage } from './pagination';
import { comparedAtMs, timeWindow } from './time-window';

type DeliveryStatus = (typeof deliveries.$inferSelect)['status'];

/**
 * What `recover` resends: dead-lettered deliveries, and failed ones still
 * waiting for a scheduled retry (their next try is brought forward). Svix's
 * recover likewise resends every message with a failed and no successful
 * attempt, whether or not a retry is still pending.
 */
export const RECOVERABLE_STATUSES: readonly DeliveryStatus[] = ['dead', 'failed'];

export interface DeadLetterOut {
  /** The delivery's id: what `…/dead-letter/{delivery_id}/replay` takes. */
  id: string;
  appId: string;
  messageId: string;
  endpointId: string;
  eventType: string;
  eventId: string | null;
  attemptCount: number;
  lastAttemptAt: string | null;
  /** Why the last attempt failed, or why the delivery was dead-lettered without one. */
  reason: string | null;
}

export interface DeadLetterFilter {
  limit: number;
  iterator?: string | undefined;
  endpointId?: string | undefined;
  eventTypes?: string[] | undefined;
  /** Bounds on the message's creation time, as `recover`'s `since`/`until`. */
  before?: Date | undefined;
  after?: Date | undefined;
  /** Case-insensitive substring of the failure reason. */
  reason?: string | undefined;
}

/** Dead-lettered deliveries of an organization (or one of its applications), newest first. */
export async function listDeadLetters(
  db: Database,
  scope: { orgId: string; appId?: string | undefined },
  filter: DeadLetterFilter,
): Promise<ListPage<DeadLetterOut>> {
  const page = keyset(
    deliveries.id,
    { ...filter, order: 'descending' },
    and(
      eq(deliveries.orgId, scope.orgId),
      scope.appId ? eq(deliveries.appId, scope.appId) : undefined,
      eq(deliveries.status, 'dead'),
      filter.endpointId ? eq(deliveries.endpointId, filter.endpointId) : undefined,
      filter.eventTypes?.length ? inArray(messages.eventType, filter.eventTypes) : undefined,
      ...timeWindow(messages.createdAt, filter),
      filter.reason ? reasonContains(filter.reason) : undefined,
    ),
  );
  const rows = await db
    .select({
      id: deliveries.id,
      appId: deliveries.appId,
      messageId: deliveries.messageId,
      endpointId: deliveries.endpointId,
      eventType: messages.eventType,
      eventId: messages.eventId,
      attemptCount: deliveries.attemptCount,
      lastAttemptAt: deliveries.lastAttemptAt,
      reason: deliveries.lastError,
    })
    .from(deliveries)
    .innerJoin(messages, eq(messages.id, deliveries.messageId))
    .innerJoin(endpoints, eq(endpoints.id, deliveries.endpointId))
    .where(page.where)
    .orderBy(page.orderBy)
    .limit(page.limit);
  return toPage(rows, filter, (row) => ({ ...row, lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null }));
}

/** One delivery of an application, with whether its endpoint is disabled (replay refuses those). */
export async function findDeliveryInApp(db: Database, scope: { orgId: string; appId: string }, deliveryId: string) {
  const [row] = await db
    .select({
      id: deliveries.id,
      status: deliveries.status,
      endpointId: deliveries.endpointId,
      endpointDisabled: endpoints.disabled,
      messageExpunged: sql<boolean>`${messages.expungedAt} is not null`,
    })
    .from(deliveries)
    .innerJoin(endpoints, eq(endpoints.id, deliveries.endpointId))
    .innerJoin(messages, eq(messages.id, deliveries.messageId))
    .where(and(eq(deliveries.orgId, scope.orgId), eq(deliveries.appId, scope.appId), eq(deliveries.id, deliveryId)))
    .limit(1);
  return row;
}

/**
 * One batch of the deliveries `recover` resends: those of one endpoint in one
 * of `statuses` whose message was created in [since, until], in delivery id
 * order after `afterId`.
 */
export async function selectRecoverableDeliveryIds(
  db: Database,
  scope: { orgId: string; appId: string; endpointId: string },
  range: { since: Date; until: Date },
  batch: { afterId?: string | undefined; limit: number; statuses?: readonly DeliveryStatus[] },
): Promise<string[]> {
  const conditions: (SQL | undefined)[] = [
    eq(deliveries.orgId, scope.orgId),
    eq(deliveries.appId, scope.appId),
    eq(deliveries.endpointId, scope.endpointId),
    inArray(deliveries.status, [...(batch.statuses ?? RECOVERABLE_STATUSES)]),
    comparedAtMs(messages.createdAt, '>=', range.since),
    comparedAtMs(messages.createdAt, '<=', range.until),
    batch.afterId ? gt(deliveries.id, batch.afterId) : undefined,
  ];
  const rows = await db
    .select({ id: deliveries.id })
    .from(deliveries)
    .innerJoin(messages, eq(messages.id, deliveries.messageId))
    .where(and(...conditions))
    .orderBy(asc(deliveries.id))
    .limit(batch.limit);
  return rows.map((row) => row.id);
}

/**
 * Makes deliveries due now again, but only those still in one of `statuses`:
 * one that succeeded (or is being sent) since it was selected is left alone,
 * so a replay or recover never sends a delivered message twice.
 */
export async function requeueDeliveriesInStatus(
  db: Database,
  where: { orgId: string; ids: string[]; statuses: readonly DeliveryStatus[] },
): Promise<string[]> {
  if (where.ids.length === 0) return [];
  const rows = await db
    .update(deliveries)
    .set({ status: 'pending', nextAttemptAt: sql`now()`, leaseToken: null, leaseExpiresAt: null, updatedAt: sql`now()` })
    .where(
      and(
        eq(deliveries.orgId, where.orgId),
        inArray(deliveries.id, where.ids),
        inArray(deliveries.status, [...where.statuses]),
        contentKept(),
      ),
    )
    .returning({ id: deliveries.id });
  return rows.map((row) => row.id);
}

export type ResendPreparation = { kind: 'due'; deliveryId: string } | { kind: 'sending'; deliveryId: string } | { kind: 'gone' };

/**
 * Readies one message × endpoint for a manual resend: creates the delivery when
 * the message never went to that endpoint (it was created later, or did not
 * match its filters), or makes the existing one due now whatever its state,
 * except while it is being sent.
 */
export async function prepareResend(
  db: Database,
  scope: { orgId: string; appId: string; messageId: string; endpointId: string },
): Promise<ResendPreparation> {
  const [created] = await db
    .insert(deliveries)
    .values({
      id: newId('delivery'),
      orgId: scope.orgId,
      appId: scope.appId,
      messageId: scope.messageId,
      endpointId: scope.endpointId,
      nextAttemptAt: sql`now()`,
    })
    .onConflictDoNothing({ target: [deliveries.messageId, deliveries.endpointId] })
    .returning({ id: deliveries.id });
  if (created) return { kind: 'due', deliveryId: created.id };
  const [existing] = await db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(and(eq(deliveries.orgId, scope.orgId), eq(deliveries.messageId, scope.messageId), eq(deliveries.endpointId, scope.endpointId)))
    .limit(1);
  // Deleted (with its message or endpoint) between the two statements.
  if (!existing) return { kind: 'gone' };
  const requeued = await requeueDeliveries(db, { orgId: scope.orgId, ids: [existing.id] });
  return requeued.length > 0 ? { kind: 'due', deliveryId: existing.id } : { kind: 'sending', deliveryId: existing.id };
}

/** Case-insensitive substring match on the failure reason (no LIKE: `%` and `_` stay literal). */
export function reasonContains(reason: string) {
  return sql`strpos(lower(coalesce(${deliveries.lastError}, '')), lower(${reason})) > 0`;
}
