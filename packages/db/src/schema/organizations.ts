import { pgTable, text } from 'drizzle-orm/pg-core';
import { timestamps } from './columns';

/** The tenant: every other row belongs to exactly one organization. */
export const organizations = pgTable('organizations', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  ...timestamps,
});
