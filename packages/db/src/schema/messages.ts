import { sql } from 'drizzle-orm';
import { index, json, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { applications } from './applications';
import { organizations } from './organizations';

/**
 * An accepted event. `dispatchedAt` is the outbox marker: null until the
 * fan-out job is safely in the queue, so a sweeper can find what was committed
 * but never handed over.
 */
export const messages = pgTable(
  'messages',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    appId: text('app_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    eventId: text('event_id'),
    eventType: text('event_type').notNull(),
    /** `json`, not `jsonb`: keeps the publisher's key order, so the bytes signed stay stable. */
    payload: json('payload').notNull(),
    channels: text('channels').array(),
    tags: text('tags').array(),
    /** Fan-out waits until then (Svix `deliverAt`); null means now. */
    deliverAt: timestamp('deliver_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    dispatchedAt: timestamp('dispatched_at', { withTimezone: true }),
    /** Set once its deliveries exist: ordered (Kafka) endpoints never overtake an earlier message still being fanned out. */
    fannedOutAt: timestamp('fanned_out_at', { withTimezone: true }),
    /** The payload was deleted on request (Svix "expunge content"); `payload` then holds `{"expired":true}`, as Svix shows it. */
    expungedAt: timestamp('expunged_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('messages_app_event_id_key').on(t.appId, t.eventId),
    index('messages_app_id_idx').on(t.appId, t.id),
    index('messages_undispatched_idx').on(t.createdAt).where(sql`dispatched_at is null`),
    index('messages_unfanned_idx').on(t.appId, t.createdAt).where(sql`fanned_out_at is null`),
  ],
);
