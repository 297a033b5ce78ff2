import { type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

/**
 * Timestamps leave the API with millisecond precision (ISO strings), so a
 * `before`/`after` a client copied from a response is compared at that
 * precision too; otherwise the row it came from would match its own bound.
 */
export function comparedAtMs(column: PgColumn, op: '<' | '>' | '<=' | '>=', at: Date): SQL {
  return sql`date_trunc('milliseconds', ${column}) ${sql.raw(op)} ${at.toISOString()}::timestamptz`;
}

/** The `before`/`after` pair the list routes take, as conditions (undefined bounds are skipped). */
export function timeWindow(column: PgColumn, bounds: { before?: Date | undefined; after?: Date | undefined }): (SQL | undefined)[] {
  return [
    bounds.before ? comparedAtMs(column, '<', bounds.before) : undefined,
    bounds.after ? comparedAtMs(column, '>', bounds.after) : undefined,
  ];
}
