import { matchesPayloadFilter, newId, type PayloadFilter } from '@herald/core';
import { type Database, schema } from '@herald/db';
import { and, arrayContains, arrayOverlaps, eq, isNull, or, sql } from 'drizzle-orm';

const { deliveries, endpoints, messages } = schema;

/**
 * Creates one delivery per endpoint that matches the message: same
 * application, enabled, event type in its filter (or no filter), a shared
 * channel (or no channel filter), and a payload filter the payload passes
 * (or none). Runs any number of times with the same outcome: the (message,
 * endpoint) unique key absorbs repeats. Returns the deliveries this run
 * created; the caller queues their first attempt (deliveries created by an
 * earlier run that died before queuing are found by the sweeper).
 */
export interface CreatedDelivery {
  id: string;
  endpointId: string;
  /** Kafka endpoints are drained as a stream rather than sent one delivery at a time. */
  streamed: boolean;
}

export async function fanOutMessage(db: Database, messageId: string): Promise<{ created: number; deliveries: CreatedDelivery[] }> {
  const none = { created: 0, deliveries: [] };
  const [message] = await db.select().from(messages).where(eq(messages.id, messageId)).limit(1);
  // Deleted with its application in the meantime: nothing left to deliver.
  if (!message) return none;

  const channelMatch =
    message.channels && message.channels.length > 0
      ? or(isNull(endpoints.channels), arrayOverlaps(endpoints.channels, message.channels))
      : isNull(endpoints.channels);
  const candidates = await db
    .select({ id: endpoints.id, type: endpoints.type, payloadFilter: endpoints.payloadFilter })
    .from(endpoints)
    .where(
      and(
        eq(endpoints.appId, message.appId),
        eq(endpoints.disabled, false),
        or(isNull(endpoints.filterTypes), arrayContains(endpoints.filterTypes, [message.eventType])),
        channelMatch,
      ),
    );
  // Payload filters are evaluated here, in JS: bounded by their schema and never throwing.
  const matching = candidates.filter(
    (endpoint) => endpoint.payloadFilter == null || matchesPayloadFilter(endpoint.payloadFilter as PayloadFilter, message.payload),
  );
  if (matching.length === 0) {
    await markFannedOut(db, message.id);
    return none;
  }

  // Large fan-outs go in chunks: one statement per thousand endpoints keeps each insert bounded.
  const created: CreatedDelivery[] = [];
  const typeOf = new Map(matching.map((endpoint) => [endpoint.id, endpoint.type]));
  for (let start = 0; start < matching.length; start += FANOUT_CHUNK) {
    const inserted = await db
      .insert(deliveries)
      .values(
        matching.slice(start, start + FANOUT_CHUNK).map((endpoint) => ({
          id: newId('delivery'),
          orgId: message.orgId,
          appId: message.appId,
          messageId: message.id,
          endpointId: endpoint.id,
          nextAttemptAt: sql`now()`,
        })),
      )
      .onConflictDoNothing({ target: [deliveries.messageId, deliveries.endpointId] })
      .returning({ id: deliveries.id, endpointId: deliveries.endpointId });
    created.push(...inserted.map((row) => ({ ...row, streamed: typeOf.get(row.endpointId) === 'kafka' })));
  }
  await markFannedOut(db, message.id);
  return { created: created.length, deliveries: created };
}

const markFannedOut = (db: Database, messageId: string) =>
  db
    .update(messages)
    .set({ fannedOutAt: sql`now()` })
    .where(and(eq(messages.id, messageId), isNull(messages.fannedOutAt)));

const FANOUT_CHUNK = 1000;
