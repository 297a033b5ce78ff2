import { notFound } from '@herald/core';
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { messages } from '../schema';
import { prepareResend } from './dead-letters';
import { insertMessage } from './messages';

/**
 * Svix `send-example`: a message addressed to one endpoint only. It is
 * committed together with its one delivery and already marked dispatched and
 * fanned out, so neither the dispatcher nor the outbox sweeper ever fans it
 * out to the application's other endpoints. The caller queues the delivery;
 * if that fails, the delivery sweeper finds it overdue and sends it.
 */
export async function insertExampleMessage(
  db: Database,
  scope: { orgId: string; appId: string },
  input: { eventType: string; payload: Record<string, unknown>; endpointId: string },
) {
  return await db.transaction(async (tx) => {
    const txDb = tx as unknown as Database;
    // No eventId, so there is no conflict that could leave it undefined.
    const inserted = await insertMessage(txDb, scope, { eventType: input.eventType, payload: input.payload });
    const [message] = await tx
      .update(messages)
      .set({ dispatchedAt: sql`now()`, fannedOutAt: sql`now()` })
      .where(eq(messages.id, inserted!.id))
      .returning();
    const delivery = await prepareResend(txDb, { ...scope, messageId: message!.id, endpointId: input.endpointId });
    // A message this transaction just made has no delivery that could be sending
    // already: anything but "due" means the endpoint was deleted meanwhile.
    if (delivery.kind !== 'due') throw notFound('endpoint');
    return { message: message!, deliveryId: delivery.deliveryId };
  });
}
