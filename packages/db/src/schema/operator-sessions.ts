import { index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { operators } from './operators';
import { organizations } from './organizations';

/**
 * A dashboard sign-in. Like an API key, only the SHA-256 digest of the token
 * is stored. Sessions end at `expiresAt` however active they are (no sliding
 * renewal), on sign-out, and with their operator (cascade).
 */
export const operatorSessions = pgTable(
  'operator_sessions',
  {
    id: text('id').primaryKey(),
    operatorId: text('operator_id')
      .notNull()
      .references(() => operators.id, { onDelete: 'cascade' }),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    digest: text('digest').notNull().unique(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('operator_sessions_operator_idx').on(t.operatorId)],
);

/**
 * Failed sign-ins per email in a fixed 15-minute window, shared by every API
 * process. Keyed by the email as typed (normalized), not by operator, so an
 * email nobody has locks exactly like one that exists and lockouts cannot be
 * used to find out which emails have accounts.
 */
export const loginFailures = pgTable(
  'login_failures',
  {
    email: text('email').notNull(),
    /** The client address the failures came from (behind a trusted proxy, the one it forwarded). */
    client: text('client').notNull().default(''),
    failures: integer('failures').notNull(),
    windowStart: timestamp('window_start', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.email, t.client] }), index('login_failures_window_idx').on(t.windowStart)],
);
