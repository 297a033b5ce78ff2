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

export async function listApplications(db: Database, orgId: string, query: ListQuery): Promise<ListPage<ApplicationOut>> {
  const page = keyset(applications.id, query, eq(applications.orgId, orgId));
  const rows = await db.select().from(applications).where(page.where).orderBy(page.orderBy).limit(page.limit);
  return toPage(rows, query, applicationOut);
}
