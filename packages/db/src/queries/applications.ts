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
  }
}

/** Deletes the application and, by cascade, its endpoints, messages and deliveries. */
export async function deleteApplication(db: Database, orgId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(applications)
    .where(and(eq(applications.orgId, orgId), eq(applications.id, id)))
    .returning({ id: applications.id });
  return rows.length > 0;
}

export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string; cause?: { code?: string } })?.code ?? (error as { cause?: { code?: string } })?.cause?.code;
  return code === '23505';
}
