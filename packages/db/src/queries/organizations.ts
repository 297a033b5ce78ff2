import { newId } from '@herald/core';
import type { Database } from '../client';
import { organizations } from '../schema';

export async function createOrganization(db: Database, input: { name: string }) {
  const [row] = await db
    .insert(organizations)
    .values({ id: newId('organization'), name: input.name })
    .returning();
  return row!;
}
