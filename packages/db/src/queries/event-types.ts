import {
  type EventTypeIn,
  type EventTypeOut,
  type EventTypePatch,
  type EventTypeUpdate,
  type ListPage,
  newId,
  requestedFeatureFlag,
} from '@herald/core';
import { and, asc, desc, eq, getTableColumns, gt, lt, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { assertEventTypeSchemasCompile } from '../payload-schema';
import { eventTypes } from '../schema';

type EventTypeRow = typeof eventTypes.$inferSelect;

export interface EventTypeListQuery {
  limit: number;
  /** The last name of the previous page. */
  iterator?: string | undefined;
  /** By name; Svix lists event types ascending. */
  order: 'ascending' | 'descending';
  includeArchived: boolean;
  /** When false, `schemas` is neither read nor answered. */
  withContent: boolean;
}

/** Svix's `EventTypeOut`; `schemas` is left out when the row was read without it. */
export function eventTypeOut(row: Omit<EventTypeRow, 'schemas'> & { schemas?: EventTypeRow['schemas'] }): EventTypeOut {
  const out: EventTypeOut = {
    name: row.name,
    description: row.description,
    archived: row.archived,
    deprecated: row.deprecated,
    featureFlag: row.featureFlag,
    featureFlags: row.featureFlag ? [row.featureFlag] : null,
    groupName: row.groupName,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
  if (row.schemas !== undefined) out.schemas = (row.schemas as EventTypeOut['schemas']) ?? null;
  return out;
}

/** Every field a create or a replace writes (all but the name). */
function replacement(input: EventTypeIn | EventTypeUpdate) {
  assertEventTypeSchemasCompile(input.schemas);
  return {
    description: input.description,
    archived: input.archived ?? false,
    deprecated: input.deprecated ?? false,
    featureFlag: requestedFeatureFlag(input) ?? null,
    groupName: input.groupName ?? null,
    schemas: input.schemas ?? null,
  };
}

const scoped = (orgId: string, name: string) => and(eq(eventTypes.orgId, orgId), eq(eventTypes.name, name));

/**
 * Creates the event type, or, when an archived one has the name, unarchives it
 * with the new fields (as Svix does: nothing of the archived one is kept but
 * its creation time). Undefined when a non-archived one has the name.
 */
export async function createEventType(db: Database, orgId: string, input: EventTypeIn): Promise<EventTypeRow | undefined> {
  const fields = replacement(input);
  const [row] = await db
    .insert(eventTypes)
    .values({ id: newId('eventType'), orgId, name: input.name, ...fields })
    .onConflictDoUpdate({
      target: [eventTypes.orgId, eventTypes.name],
      set: { ...fields, updatedAt: sql`now()` },
      setWhere: eq(eventTypes.archived, true),
    })
    .returning();
  return row;
}

/** Archived event types are found too: Svix answers them with `archived: true`. */
export async function findEventType(db: Database, orgId: string, name: string): Promise<EventTypeRow | undefined> {
  const [row] = await db.select().from(eventTypes).where(scoped(orgId, name)).limit(1);
  return row;
}

/**
 * Keyset pagination by name: the iterator is the last name of the page;
 * `prevIterator` is `~` + the first name and walks back (`~` cannot start a
 * name, unlike the `-` Svix uses for ids).
 */
export async function listEventTypes(db: Database, orgId: string, query: EventTypeListQuery): Promise<ListPage<EventTypeOut>> {
  const backwards = query.iterator?.startsWith('~') ?? false;
  const cursor = backwards ? query.iterator!.slice(1) : query.iterator;
  const ascending = (query.order === 'ascending') !== backwards;
  const conditions: (SQL | undefined)[] = [eq(eventTypes.orgId, orgId)];
  if (!query.includeArchived) conditions.push(eq(eventTypes.archived, false));
  if (cursor) conditions.push((ascending ? gt : lt)(eventTypes.name, cursor));
  const { schemas: _schemas, ...withoutSchemas } = getTableColumns(eventTypes);
  const where = and(...conditions);
  const order = ascending ? asc(eventTypes.name) : desc(eventTypes.name);
  // One extra row tells whether another page exists without a count query.
  const rows = query.withContent
    ? await db
        .select()
        .from(eventTypes)
        .where(where)
        .orderBy(order)
        .limit(query.limit + 1)
    : await db
        .select(withoutSchemas)
        .from(eventTypes)
        .where(where)
        .orderBy(order)
        .limit(query.limit + 1);
  const done = rows.length <= query.limit;
  const page = done ? rows : rows.slice(0, query.limit);
  if (backwards) page.reverse();
  return {
    data: page.map((row) => eventTypeOut(row)),
    iterator: page.at(-1)?.name ?? null,
    prevIterator: page[0] ? `~${page[0].name}` : null,
    done,
  };
}

/** PUT: replaces every field, or creates the event type under the name in the path. */
export async function upsertEventType(
  db: Database,
  orgId: string,
  name: string,
  input: EventTypeUpdate,
): Promise<{ row: EventTypeRow; created: boolean }> {
  const fields = replacement(input);
  const [result] = await db
    .insert(eventTypes)
    .values({ id: newId('eventType'), orgId, name, ...fields })
    .onConflictDoUpdate({ target: [eventTypes.orgId, eventTypes.name], set: { ...fields, updatedAt: sql`now()` } })
    // xmax is 0 on a freshly inserted row version and set on an updated one.
    .returning({ ...getTableColumns(eventTypes), created: sql<boolean>`(xmax = 0)` });
  const { created, ...row } = result!;
  return { row, created };
}

/** PATCH: absent fields stay, `null` clears. Undefined when there is no such event type. */
export async function patchEventType(db: Database, orgId: string, name: string, input: EventTypePatch): Promise<EventTypeRow | undefined> {
  assertEventTypeSchemasCompile(input.schemas);
  const featureFlag = requestedFeatureFlag(input);
  const set: Partial<typeof eventTypes.$inferInsert> = {};
  if (input.description !== undefined) set.description = input.description;
  if (input.archived !== undefined) set.archived = input.archived;
  if (input.deprecated !== undefined) set.deprecated = input.deprecated;
  if (input.groupName !== undefined) set.groupName = input.groupName;
  if (input.schemas !== undefined) set.schemas = input.schemas;
  if (featureFlag !== undefined) set.featureFlag = featureFlag;
  if (Object.keys(set).length === 0) return findEventType(db, orgId, name);
  const [row] = await db
    .update(eventTypes)
    .set({ ...set, updatedAt: sql`now()` })
    .where(scoped(orgId, name))
    .returning();
  return row;
}

/**
 * DELETE: archives the event type (it can be unarchived by creating it again),
 * or with `expunge` removes the row for good. False when there is no such event type.
 */
export async function deleteEventType(db: Database, orgId: string, name: string, options: { expunge?: boolean } = {}): Promise<boolean> {
  const rows = options.expunge
    ? await db.delete(eventTypes).where(scoped(orgId, name)).returning({ id: eventTypes.id })
    : await db
        .update(eventTypes)
        .set({ archived: true, updatedAt: sql`now()` })
        .where(scoped(orgId, name))
        .returning({ id: eventTypes.id });
  return rows.length > 0;
}
