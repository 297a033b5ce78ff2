import { type ListPage, type MessageIn, type MessageOut, newId } from '@herald/core';
import { and, arrayContains, asc, desc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { messages } from '../schema';
import { keyset, toPage } from './pagination';
import { timeWindow } from './time-window';

type MessageRow = typeof messages.$inferSelect;

export function messageOut(row: MessageRow, withContent = true): MessageOut {
  return {
    id: row.id,
    eventType: row.eventType,
    eventId: row.eventId,
    // Svix's client asks for no content on create and fills in what it sent.
    payload: withContent ? row.payload : {},
    channels: row.channels,
    tags: row.tags,
    deliverAt: row.deliverAt?.toISOString() ?? null,
    timestamp: row.createdAt.toISOString(),
  };
}

/** Commits a message; undefined when its `eventId` was already used in this application. */
export async function insertMessage(db: Database, scope: { orgId: string; appId: string }, input: MessageIn) {
  const [row] = await db
    .insert(messages)
    .values({
      id: newId('message'),
      orgId: scope.orgId,
      appId: scope.appId,
      eventId: input.eventId ?? null,
      eventType: input.eventType,
      payload: input.payload,
      channels: input.channels ?? null,
      tags: input.tags ?? null,
      deliverAt: input.deliverAt ? new Date(input.deliverAt) : null,
    })
    .onConflictDoNothing({ target: [messages.appId, messages.eventId] })
    .returning();
  return row;
}

/** By id, or by the publisher's `eventId` (Svix accepts either in the path). */
export async function findMessage(db: Database, scope: { orgId: string; appId: string }, idOrEventId: string) {
  const [row] = await db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.orgId, scope.orgId),
        eq(messages.appId, scope.appId),
        or(eq(messages.id, idOrEventId), eq(messages.eventId, idOrEventId)),
      ),
    )
    .orderBy(desc(eq(messages.id, idOrEventId)))
    .limit(1);
  return row;
}

export interface MessageFilter {
  limit: number;
  iterator?: string | undefined;
  channel?: string | undefined;
  tag?: string | undefined;
  eventTypes?: string[] | undefined;
  before?: Date | undefined;
  after?: Date | undefined;
  withContent?: boolean;
}

/** Newest first, as Svix lists messages. */
export async function listMessages(
  db: Database,
  scope: { orgId: string; appId: string },
  filter: MessageFilter,
): Promise<ListPage<MessageOut>> {
  const page = keyset(messages.id, { ...filter, order: 'descending' }, undefined);
  const rows = await db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.orgId, scope.orgId),
        eq(messages.appId, scope.appId),
        page.where,
        filter.channel ? arrayContains(messages.channels, [filter.channel]) : undefined,
        filter.tag ? arrayContains(messages.tags, [filter.tag]) : undefined,
        filter.eventTypes?.length ? inArray(messages.eventType, filter.eventTypes) : undefined,
        ...timeWindow(messages.createdAt, filter),
      ),
    )
    .orderBy(page.orderBy)
    .limit(page.limit);
  return toPage(rows, filter, (row) => messageOut(row, filter.withContent ?? true));
}

export async function markDispatched(db: Database, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(messages)
    .set({ dispatchedAt: sql`now()` })
    .where(and(inArray(messages.id, ids), isNull(messages.dispatchedAt)));
}

/**
 * Messages committed but never handed to the queue (the API died, or the queue
 * was down), oldest first. `graceMs` leaves the API's own dispatch time to finish.
 */
export async function findUndispatched(db: Database, graceMs: number, limit: number) {
  return await db
    .select({ id: messages.id, deliverAt: messages.deliverAt })
    .from(messages)
    .where(
      or(
        and(isNull(messages.dispatchedAt), lt(messages.createdAt, sql`now() - make_interval(secs => ${graceMs / 1000})`)),
        // Handed over but never fanned out (the fan-out job was lost): hand over again after a minute.
        and(
          isNull(messages.fannedOutAt),
          lt(messages.dispatchedAt, sql`now() - interval '60 seconds'`),
          or(isNull(messages.deliverAt), lt(messages.deliverAt, sql`now() - interval '60 seconds'`)),
        ),
      ),
    )
    .orderBy(asc(messages.createdAt))
    .limit(limit);
}
