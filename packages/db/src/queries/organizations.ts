import { type ListQuery, newId } from '@herald/core';
import { eq } from 'drizzle-orm';
import type { Database } from '../client';
import { organizations } from '../schema';
import { keyset, toPage } from './pagination';

export async function createOrganization(db: Database, input: { name: string }) {
  const [row] = await db
    .insert(organizations)
    .values({ id: newId('organization'), name: input.name })
    .returning();
  return row!;
}

export function organizationOut(row: typeof organizations.$inferSelect) {
  return { id: row.id, name: row.name, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

export async function listOrganizations(db: Database, query: ListQuery) {
  const page = keyset(organizations.id, query, undefined);
  const rows = await db.select().from(organizations).where(page.where).orderBy(page.orderBy).limit(page.limit);
  return toPage(rows, query, organizationOut);
}

export async function findOrganization(db: Database, id: string) {
  const [row] = await db.select().from(organizations).where(eq(organizations.id, id)).limit(1);
  return row;
}
