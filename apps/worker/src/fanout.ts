import { newId } from '@herald/core';
import { type Database, schema } from '@herald/db';
import { and, arrayContains, arrayOverlaps, eq, isNull, or, sql } from 'drizzle-orm';

const { deliveries, endpoints, messages } = schema;

/**
 * Creates one delivery per endpoint that matches the message: same
 * application, enabled, event type in its filter (or no filter), a shared
 * channel (or no channel filter). Runs any number of times with the same
 * outcome: the (message, endpoint) unique key absorbs repeats. Returns the deliveries
 * this run created; the caller queues their first attempt (deliveries created
 * by an earlier run that died before queuing are found by the sweeper).
 */
export async function fanOutMessage(db: Database, messageId: string): Promise<{ created: number; deliveryIds: string[] }> {
  const none = { created: 0, deliveryIds: [] };
  const [message] = await db.select().from(messages).where(eq(messages.id, messageId)).limit(1);
  // Deleted with its application in the meantime: nothing left to deliver.
  if (!message) return none;

  const channelMatch =
    message.channels && message.channels.length > 0
      ? or(isNull(endpoints.channels), arrayOverlaps(endpoints.channels, message.channels))
      : isNull(endpoints.channels);
  const matching = await db
    .select({ id: endpoints.id })
    .from(endpoints)
    .where(
      and(
        eq(endpoints.appId, message.appId),
        eq(endpoints.disabled, false),
        or(isNull(endpoints.filterTypes), arrayContains(endpoints.filterTypes, [message.eventType])),
        channelMatch,
      ),
    );
  if (matching.length === 0) return none;

  // Large fan-outs go in chunks: one statement per thousand endpoints keeps each insert bounded.
  const deliveryIds: string[] = [];
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
      .returning({ id: deliveries.id });
    deliveryIds.push(...inserted.map((row) => row.id));
  }
  return { created: deliveryIds.length, deliveryIds };
}

const FANOUT_CHUNK = 1000;
