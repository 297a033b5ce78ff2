/**
 * The database is away, not the statement wrong: postgres.js's connection
 * failures and PostgreSQL's codes for a server shutting down or starting up.
 */
export const UNAVAILABLE_CODES: ReadonlySet<string> = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  '57P01',
  '57P03',
]);

/** The first of `codes` on the error or on one it wraps (drizzle wraps postgres.js errors as `cause`). */
export function databaseErrorCode(error: unknown, codes: ReadonlySet<string>): string | undefined {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && codes.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
