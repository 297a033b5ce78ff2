import { sql } from 'drizzle-orm';
import { boolean, doublePrecision, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { applications } from './applications';
import { timestamps } from './columns';
import { organizations } from './organizations';

export const endpointType = pgEnum('endpoint_type', ['webhook', 'kafka', 'queue']);

/** A destination of one application's messages: a webhook URL, a Kafka topic or a work queue. */
export const endpoints = pgTable(
  'endpoints',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    appId: text('app_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    uid: text('uid'),
    type: endpointType('type').notNull().default('webhook'),
    url: text('url').notNull().default(''),
    /** Settings of kafka and queue endpoints (topic, key path, queue name…). */
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    description: text('description').notNull().default(''),
    version: integer('version').notNull().default(1),
    filterTypes: text('filter_types').array(),
    channels: text('channels').array(),
    /** Payload filter (Convoy/Outpost style); null matches everything. */
    payloadFilter: jsonb('payload_filter'),
    disabled: boolean('disabled').notNull().default(false),
    rateLimit: integer('rate_limit'),
    throttleRate: integer('throttle_rate'),
    fifo: boolean('fifo').notNull().default(false),
    /** Per-endpoint retry schedule in seconds; null uses the global one. */
    retrySchedule: integer('retry_schedule').array(),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default(sql`'{}'::jsonb`),
    headers: jsonb('headers').$type<Record<string, string>>().notNull().default(sql`'{}'::jsonb`),
    secret: text('secret').notNull(),
    /** After a rotation the old secret keeps signing until this moment. */
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true }),
    /** Endpoint health: failures in a row and since when (a success clears both; 429/503 with Retry-After count as neither). */
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    failingSince: timestamp('failing_since', { withTimezone: true }),
    /**
     * The circuit breaker: set while it is open (until then no delivery is sent,
     * they are held) or probing (one delivery in flight to test the endpoint);
     * null when closed. `circuitTrips` counts openings since the last success:
     * each failed probe doubles the next open interval.
     */
    circuitOpenUntil: timestamp('circuit_open_until', { withTimezone: true }),
    circuitTrips: integer('circuit_trips').notNull().default(0),
    /** Token bucket for `throttleRate`, shared by every worker process. */
    throttleTokens: doublePrecision('throttle_tokens'),
    throttleRefilledAt: timestamp('throttle_refilled_at', { withTimezone: true }),
    /** Kafka endpoints are drained by one worker at a time, in message order: its lease. */
    drainLeaseToken: text('drain_lease_token'),
    drainLeaseUntil: timestamp('drain_lease_until', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [uniqueIndex('endpoints_app_uid_key').on(t.appId, t.uid), index('endpoints_app_id_idx').on(t.appId, t.id)],
);
