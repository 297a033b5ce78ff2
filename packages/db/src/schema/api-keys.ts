import { index, pgEnum, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { applications } from './applications';
import { organizations } from './organizations';

/**
 * root: operates across organizations (creates them); org: one organization;
 * app: one application of one organization (what a subscriber gets).
 */
export const apiKeyScope = pgEnum('api_key_scope', ['root', 'org', 'app']);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    appId: text('app_id').references(() => applications.id, { onDelete: 'cascade' }),
    scope: apiKeyScope('scope').notNull(),
    name: text('name').notNull(),
    /** Hex SHA-256 of the whole token; the token itself is never stored. */
    digest: text('digest').notNull().unique(),
    /** First characters of the token, so a person can tell keys apart. */
    hint: text('hint').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('api_keys_org_idx').on(t.orgId)],
);
