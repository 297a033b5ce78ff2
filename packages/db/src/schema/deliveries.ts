import { sql } from 'drizzle-orm';
import { index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { timestamps } from './columns';
import { endpoints } from './endpoints';
import { messages } from './messages';

export const deliveryStatus = pgEnum('delivery_status', ['pending', 'sending', 'succeeded', 'failed', 'dead']);

/** Exactly one row per (message, endpoint): the unit of dedup and retry. */
export const deliveries = pgTable(
  'deliveries',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    appId: text('app_id').notNull(),
    messageId: text('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => endpoints.id, { onDelete: 'cascade' }),
    status: deliveryStatus('status').notNull().default('pending'),
    attemptCount: integer('attempt_count').notNull().default(0),
    /**
     * When the next attempt is due. Null while the delivery is pending or failed
     * means it is held behind its endpoint's open circuit breaker: it has no job,
     * and the breaker's successful probe releases it (docs/adr/0004).
     */
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
    /**
     * Held by the worker sending right now. A success is recorded only under
     * the token that claimed the delivery, so a job that runs twice (stall,
     * crash after sending) can never record two successes.
     */
    leaseToken: text('lease_token'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    /** Why the last attempt failed, or why it was dead-lettered. */
    lastError: text('last_error'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('deliveries_message_endpoint_key').on(t.messageId, t.endpointId),
    index('deliveries_endpoint_status_idx').on(t.endpointId, t.status),
    index('deliveries_due_idx').on(t.nextAttemptAt).where(sql`status in ('pending', 'failed', 'sending')`),
    index('deliveries_held_idx').on(t.endpointId).where(sql`status in ('pending', 'failed') and next_attempt_at is null`),
  ],
);
