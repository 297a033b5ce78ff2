import { describeConnectError, describeServiceUrl, StartupError } from '@herald/core';
import postgres from 'postgres';

/**
 * One round trip before anything else uses the database, so a wrong DATABASE_URL
 * stops the process at once with the variable named, instead of failing somewhere
 * inside migrations or the queue backend.
 */
export async function assertDatabaseReachable(url: string, variable = 'DATABASE_URL'): Promise<void> {
  const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sql`select 1`;
  } catch (error) {
    throw new StartupError(variable, `cannot reach PostgreSQL at ${describeServiceUrl(url)}: ${describeConnectError(error)}`);
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}
