import { boolean, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { timestamps } from './columns';
import { organizations } from './organizations';

/** Svix keys event types by name within an organization; the id is internal. */
export const eventTypes = pgTable(
  'event_types',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    groupName: text('group_name'),
    featureFlag: text('feature_flag'),
    /** JSON Schemas by version ("1" → schema); enforced at ingest when present. */
    schemas: jsonb('schemas').$type<Record<string, unknown>>(),
    archived: boolean('archived').notNull().default(false),
    deprecated: boolean('deprecated').notNull().default(false),
    ...timestamps,
  },
  (t) => [uniqueIndex('event_types_org_name_key').on(t.orgId, t.name)],
);
