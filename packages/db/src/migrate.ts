import { join } from 'node:path';
import { installRoot } from '@herald/core';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

export const MIGRATIONS_FOLDER = join(installRoot(import.meta.url), 'drizzle');

/** Arbitrary constant: serializes processes that start at the same moment. */
const MIGRATION_LOCK = 7_307_001;

/**
 * Applies the committed drizzle migrations. Safe to call from every process at
 * start: an advisory lock makes concurrent callers wait for the first.
 */
export async function migrateDatabase(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_FOLDER });
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
