import { index, pgEnum, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { timestamps } from './columns';
import { organizations } from './organizations';

export const operatorRole = pgEnum('operator_role', ['admin', 'member']);

/** A person who signs in to the dashboard; the password is an argon2id hash. */
export const operators = pgTable(
  'operators',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    role: operatorRole('role').notNull().default('member'),
    lastLoginAt: timestamp('last_login_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [uniqueIndex('operators_email_key').on(t.email), index('operators_org_idx').on(t.orgId)],
);
