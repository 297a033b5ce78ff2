import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { timestamps } from './columns';
import { organizations } from './organizations';

/** A publisher's customer: the unit endpoints and messages belong to. */
export const applications = pgTable(
  'applications',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    uid: text('uid'),
    name: text('name').notNull(),
    rateLimit: integer('rate_limit'),
    throttleRate: integer('throttle_rate'),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default(sql`'{}'::jsonb`),
    ...timestamps,
  },
  (t) => [uniqueIndex('applications_org_uid_key').on(t.orgId, t.uid), index('applications_org_id_idx').on(t.orgId, t.id)],
);
