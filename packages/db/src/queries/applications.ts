import { type ApplicationIn, type ApplicationOut, type ListPage, type ListQuery, newId } from '@herald/core';
import { and, desc, eq, or } from 'drizzle-orm';
import type { Database } from '../client';
import { applications } from '../schema';
import { keyset, toPage } from './pagination';

type ApplicationRow = typeof applications.$inferSelect;

export function applicationOut(row: ApplicationRow): ApplicationOut {
  return {
    id: row.id,
    uid: row.uid,
    name: row.name,
    rateLimit: row.rateLimit,
    throttleRate: row.throttleRate,
    metadata: row.metadata,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Inserts, or returns undefined when the `uid` is taken in this organization. */
export async function insertApplication(db: Database, orgId: string, input: ApplicationIn) {
  const [row] = await db
    .insert(applications)
    .values({
      id: newId('application'),
      orgId,
      uid: input.uid ?? null,
      name: input.name,
      rateLimit: input.rateLimit ?? null,
      throttleRate: input.throttleRate ?? input.rateLimit ?? null,
      metadata: input.metadata ?? {},
    })
    .onConflictDoNothing()
    .returning();
  return row;
}

/** Looks an application up by id or uid, always inside one organization. */
export async function findApplication(db: Database, orgId: string, idOrUid: string) {
  const [row] = await db
    .select()
    .from(applications)
    .where(and(eq(applications.orgId, orgId), or(eq(applications.id, idOrUid), eq(applications.uid, idOrUid))))
    // A uid may look like another application's id; the id wins.
    .orderBy(desc(eq(applications.id, idOrUid)))
    .limit(1);
  return row;
}

/**
 * How long a looked-up application is trusted on the ingest path. Each
 * process keeps its own cache; a change made through this process (update,
 * delete) clears it at once, one made through another process is seen within
 * this long (docs/guarantees.md). A message for an application deleted in the
 * meantime fails its insert on the foreign key and is answered 404 all the same.
 */
const APPLICATION_CACHE_TTL_MS = 1000;
const APPLICATION_CACHE_MAX_ENTRIES = 10_000;

interface CachedApplication {
  expiresAt: number;
  row: Promise<ApplicationRow | undefined>;
}
const applicationCaches = new WeakMap<Database, Map<string, CachedApplication>>();

/**
 * {@link findApplication} through a short-lived per-process cache, for the
 * publish hot path. Misses are not cached (a first message may create the
 * application), and concurrent lookups of one key share one query.
 */
export function findApplicationCached(db: Database, orgId: string, idOrUid: string): Promise<ApplicationRow | undefined> {
  let cache = applicationCaches.get(db);
  if (!cache) {
    cache = new Map();
    applicationCaches.set(db, cache);
  }
  const key = `${orgId}\u0000${idOrUid}`;
  const now = Date.now();
  const cached = cache.get(key);
  if (cached && cached.expiresAt > now) return cached.row;
  if (cache.size >= APPLICATION_CACHE_MAX_ENTRIES) cache.clear();
  const entry: CachedApplication = { expiresAt: now + APPLICATION_CACHE_TTL_MS, row: findApplication(db, orgId, idOrUid) };
  cache.set(key, entry);
  const forget = () => {
    if (cache.get(key) === entry) cache.delete(key);
  };
  entry.row.then((row) => row ?? forget(), forget);
  return entry.row;
}

/** Drops every cached application of this process (after a change to any of them). */
export function forgetCachedApplications(db: Database): void {
  applicationCaches.get(db)?.clear();
}

export async function listApplications(db: Database, orgId: string, query: ListQuery): Promise<ListPage<ApplicationOut>> {
  const page = keyset(applications.id, query, eq(applications.orgId, orgId));
  const rows = await db.select().from(applications).where(page.where).orderBy(page.orderBy).limit(page.limit);
  return toPage(rows, query, applicationOut);
}

export type ApplicationChanges = Partial<Pick<ApplicationRow, 'name' | 'uid' | 'rateLimit' | 'throttleRate' | 'metadata'>>;

/** Applies changes; undefined when the new `uid` is taken in this organization. */
export async function updateApplication(db: Database, orgId: string, id: string, changes: ApplicationChanges) {
  try {
    const [row] = await db
      .update(applications)
      .set({ ...changes, updatedAt: new Date() })
      .where(and(eq(applications.orgId, orgId), eq(applications.id, id)))
      .returning();
    return row;
  } catch (error) {
    if (isUniqueViolation(error)) return undefined;
    throw error;
  } finally {
    forgetCachedApplications(db);
  }
}

/** Deletes the application and, by cascade, its endpoints, messages and deliveries. */
export async function deleteApplication(db: Database, orgId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(applications)
    .where(and(eq(applications.orgId, orgId), eq(applications.id, id)))
    .returning({ id: applications.id })
    .finally(() => forgetCachedApplications(db));
  return rows.length > 0;
}

export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string; cause?: { code?: string } })?.code ?? (error as { cause?: { code?: string } })?.cause?.code;
  return code === '23505';
}
