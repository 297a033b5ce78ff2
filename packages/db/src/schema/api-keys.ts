import { type AnyPgColumn, boolean, index, pgEnum, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { applications } from './applications';
import { operators } from './operators';
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
    /** An app-portal token (POST /auth/app-portal-access), as opposed to a key issued on /api-key. */
    portal: boolean('portal').notNull().default(false),
    /** Reads only: no writes, no secrets (the portal request's `readOnly`). */
    readOnly: boolean('read_only').notNull().default(false),
    /**
     * Who issued a portal token: an API key or an operator. The token works only
     * while its issuer does: revoking the key ends it, removing the operator
     * deletes it.
     */
    issuedByKeyId: text('issued_by_key_id').references((): AnyPgColumn => apiKeys.id, { onDelete: 'cascade' }),
    issuedByOperatorId: text('issued_by_operator_id').references(() => operators.id, { onDelete: 'cascade' }),
  },
  (t) => [
    index('api_keys_org_idx').on(t.orgId),
    index('api_keys_issued_by_key_idx').on(t.issuedByKeyId),
    index('api_keys_issued_by_operator_idx').on(t.issuedByOperatorId),
  ],
);
