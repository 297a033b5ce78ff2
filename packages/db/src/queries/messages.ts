import { type ListPage, type MessageIn, type MessageOut, newId } from '@herald/core';
import { and, arrayContains, asc, desc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { deliveries, messages } from '../schema';
import { createMicroBatcher, perDatabase, runPrepared } from './batching';
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

/**
 * Commits a message; undefined when its `eventId` was already used in this
 * application. Messages published concurrently share one INSERT (see
 * {@link messageWriter}); each promise settles once that statement has
 * committed, so a caller that answers after it never answers before the commit.
 */
export function insertMessage(db: Database, scope: { orgId: string; appId: string }, input: MessageIn): Promise<MessageRow | undefined> {
  const row: MessageRow = {
    id: newId('message'),
    orgId: scope.orgId,
    appId: scope.appId,
    eventId: input.eventId ?? null,
    eventType: input.eventType,
    payload: input.payload,
    channels: input.channels ?? null,
    tags: input.tags ?? null,
    deliverAt: input.deliverAt ? new Date(input.deliverAt) : null,
    createdAt: new Date(0), // replaced by the database's clock below
    dispatchedAt: null,
    fannedOutAt: null,
    expungedAt: null,
  };
  return messageWriter(db).add(row);
}

/**
 * Micro-batched message inserts: what arrives within one turn of the event
 * loop goes to PostgreSQL as one multi-row INSERT (one round trip and one
 * commit instead of one each per message). The rows travel as one JSON
 * document, so the statement text, and its prepared plan, is the same
 * whatever the batch size. The payload is stored as the JSON text
 * `JSON.stringify` gives, as drizzle's `json` column does. A row whose
 * application was deleted meanwhile fails the statement and, retried alone,
 * only its own request (on the foreign key).
 */
const messageWriter = perDatabase((db) =>
  createMicroBatcher<MessageRow, MessageRow | undefined>({
    maxBatch: 500,
    async run(batch) {
      const document = JSON.stringify(
        batch.map((row) => ({
          id: row.id,
          org_id: row.orgId,
          app_id: row.appId,
          event_id: row.eventId,
          event_type: row.eventType,
          payload: row.payload,
          channels: row.channels,
          tags: row.tags,
          deliver_at: row.deliverAt?.toISOString() ?? null,
        })),
      );
      const inserted = await runPrepared<{ id: string; created_at: string }>(db, INSERT_MESSAGES, [document]);
      const createdAt = new Map(inserted.map((r) => [r.id, messages.createdAt.mapFromDriverValue(r.created_at) as Date]));
      return batch.map((row) => {
        const at = createdAt.get(row.id);
        return at ? { ...row, createdAt: at } : undefined;
      });
    },
  }),
);

const INSERT_MESSAGES = `
  insert into messages (id, org_id, app_id, event_id, event_type, payload, channels, tags, deliver_at)
  select r.id, r.org_id, r.app_id, r.event_id, r.event_type, r.payload, r.channels, r.tags, r.deliver_at
  from json_to_recordset($1::json) as r(
    id text, org_id text, app_id text, event_id text, event_type text, payload json, channels text[], tags text[], deliver_at timestamptz
  )
  on conflict (app_id, event_id) do nothing
  returning id, created_at`;

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
  // One statement text whatever the number of ids (drizzle's `in (...)` makes a new one per count).
  await runPrepared(db, MARK_DISPATCHED, [JSON.stringify(ids), ids.length]);
}

// Rows are locked in id order, as fan-out locks them to mark them fanned out, so the two cannot deadlock.
// The LIMIT tells the planner how few ids there are (it assumes 100 from a function): primary-key lookups, no scan.
const MARK_DISPATCHED = `
  update messages set dispatched_at = now()
  where id in (
    select id from messages
    where id in (select json_array_elements_text($1::json) limit $2) and dispatched_at is null
    order by id
    for no key update
  )`;

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

/** What an expunged message shows instead of its payload (Svix's shape). */
export const EXPUNGED_PAYLOAD = { expired: true } as const;

/**
 * Deletes a message's payload for good, keeping the message row (and its
 * attempts) for the record. Nothing of it is sent afterwards: deliveries still
 * waiting are dead-lettered with the reason, and a message not yet fanned out
 * never will be. Returns false when there is no such message.
 */
export async function expungeMessageContent(db: Database, scope: { orgId: string; appId: string }, messageId: string): Promise<boolean> {
  return await db.transaction(async (tx) => {
    const changed = await tx
      .update(messages)
      .set({
        payload: EXPUNGED_PAYLOAD,
        expungedAt: sql`coalesce(${messages.expungedAt}, now())`,
        dispatchedAt: sql`coalesce(${messages.dispatchedAt}, now())`,
        fannedOutAt: sql`coalesce(${messages.fannedOutAt}, now())`,
      })
      .where(and(eq(messages.orgId, scope.orgId), eq(messages.appId, scope.appId), eq(messages.id, messageId)))
      .returning({ id: messages.id });
    if (changed.length === 0) return false;
    await tx
      .update(deliveries)
      .set({ status: 'dead', nextAttemptAt: null, lastError: 'message content expunged', updatedAt: sql`now()` })
      .where(and(eq(deliveries.messageId, messageId), inArray(deliveries.status, ['pending', 'failed'])));
    return true;
  });
}
