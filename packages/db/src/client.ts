import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema';

export type Database = ReturnType<typeof drizzle<typeof schema>>;

export interface DatabaseHandle {
  db: Database;
  sql: postgres.Sql;
  close(): Promise<void>;
}

export function connectDatabase(url: string, options: { max?: number } = {}): DatabaseHandle {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    // Every execution of a prepared statement is planned with its parameters and its tables as they
    // are now. PostgreSQL's default would switch a statement to a cached generic plan after five runs
    // and keep it until autovacuum next analyzes the table: on a fresh database that plan is built for
    // a nearly empty `deliveries`, and the attempt record scanned the whole table for its first
    // minute (6 ms a call against 0.5 in the receiver-mix bench). Parsing is still saved.
    connection: { plan_cache_mode: 'force_custom_plan' },
    // Fail fast instead of queueing forever when the server is gone; the
    // health route and callers turn this into a 503.
    connect_timeout: 5,
    // Reconnect quickly after a database restart (the default backoff grows to 20 s, pool-wide).
    backoff: (retries: number) => Math.min(0.1 * 2 ** retries, 1),
  });
  return {
    db: drizzle(sql, { schema }),
    sql,
    close: () => sql.end({ timeout: 5 }),
  };
}
