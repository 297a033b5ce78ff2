import { bigint, boolean, index, integer, pgEnum, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { deliveries } from './deliveries';

export const attemptStatus = pgEnum('attempt_status', ['succeeded', 'failed']);
export const attemptTrigger = pgEnum('attempt_trigger', ['scheduled', 'manual']);

/**
 * The delivery event log. `seq` grows monotonically and is what SSE streams use
 * as their event id, so `Last-Event-ID` resumes without gaps.
 */
export const attempts = pgTable(
  'attempts',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    id: text('id').notNull().unique(),
    orgId: text('org_id').notNull(),
    appId: text('app_id').notNull(),
    messageId: text('message_id').notNull(),
    endpointId: text('endpoint_id').notNull(),
    deliveryId: text('delivery_id')
      .notNull()
      .references(() => deliveries.id, { onDelete: 'cascade' }),
    status: attemptStatus('status').notNull(),
    trigger: attemptTrigger('trigger').notNull().default('scheduled'),
    url: text('url').notNull().default(''),
    responseStatusCode: integer('response_status_code'),
    /** First KiB of the response body, or the reason the attempt failed. */
    response: text('response').notNull().default(''),
    durationMs: integer('duration_ms').notNull().default(0),
    /** This failure dead-lettered its delivery: no automatic retry follows (a final failure, 410, or the schedule spent). */
    final: boolean('final').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('attempts_message_idx').on(t.messageId, t.seq),
    index('attempts_endpoint_idx').on(t.endpointId, t.seq),
    index('attempts_org_seq_idx').on(t.orgId, t.seq),
  ],
);
