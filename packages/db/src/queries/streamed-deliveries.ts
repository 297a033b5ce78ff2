import { randomBytes } from 'node:crypto';
import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { deliveries, endpoints, messages } from '../schema';

/**
 * Kafka endpoints are delivered as a stream: one worker at a time holds the
 * endpoint's drain lease and sends its due deliveries in message order, many
 * per broker request. That keeps per-key (in fact total) order and batches.
 */
export async function acquireDrainLease(
  db: Database,
  endpointId: string,
  leaseMs: number,
): Promise<{ token: string; endpoint: typeof endpoints.$inferSelect } | undefined> {
  const token = randomBytes(12).toString('base64url');
  const [endpoint] = await db
    .update(endpoints)
    .set({ drainLeaseToken: token, drainLeaseUntil: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
    .where(
      and(
        eq(endpoints.id, endpointId),
        eq(endpoints.disabled, false),
        or(isNull(endpoints.drainLeaseUntil), lt(endpoints.drainLeaseUntil, sql`now()`)),
      ),
    )
    .returning();
  return endpoint ? { token, endpoint } : undefined;
}

export async function renewDrainLease(db: Database, endpointId: string, token: string, leaseMs: number): Promise<boolean> {
  const rows = await db
    .update(endpoints)
    .set({ drainLeaseUntil: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
    .where(and(eq(endpoints.id, endpointId), eq(endpoints.drainLeaseToken, token)))
    .returning({ id: endpoints.id });
  return rows.length > 0;
}

export async function releaseDrainLease(db: Database, endpointId: string, token: string): Promise<void> {
  await db
    .update(endpoints)
    .set({ drainLeaseToken: null, drainLeaseUntil: null })
    .where(and(eq(endpoints.id, endpointId), eq(endpoints.drainLeaseToken, token)));
}

export interface StreamedDelivery {
  delivery: typeof deliveries.$inferSelect;
  message: { id: string; orgId: string; appId: string; eventType: string; createdAt: Date; body: string };
}

/**
 * The next deliveries of an endpoint in message order, stopping before the
 * first one that is not due yet: a delivery waiting for its retry holds back
 * everything after it, so order survives failures.
 */
export async function nextStreamBatch(
  db: Database,
  endpointId: string,
  limit: number,
): Promise<{ batch: StreamedDelivery[]; waitingUntil?: Date }> {
  const rows = await db
    .select({
      delivery: deliveries,
      due: sql<boolean>`coalesce(${deliveries.nextAttemptAt} <= now(), true)`,
      message: {
        id: messages.id,
        orgId: messages.orgId,
        appId: messages.appId,
        eventType: messages.eventType,
        createdAt: messages.createdAt,
        body: sql<string>`${messages.payload}::text`,
      },
    })
    .from(deliveries)
    .innerJoin(messages, eq(messages.id, deliveries.messageId))
    .where(
      and(
        eq(deliveries.endpointId, endpointId),
        // Never overtake an earlier message of the app whose deliveries do not exist yet.
        sql`${messages.createdAt} < coalesce((
          select min(m.created_at) from ${messages} m
          where m.app_id = ${deliveries.appId} and m.fanned_out_at is null
            and (m.deliver_at is null or m.deliver_at <= now())
        ), 'infinity')`,
        or(
          inArray(deliveries.status, ['pending', 'failed']),
          // Held by a single-delivery claim (a sweep or resend on its way to this drain): wait for it.
          and(eq(deliveries.status, 'sending'), lt(deliveries.leaseExpiresAt, sql`now()`)),
        ),
      ),
    )
    .orderBy(messages.createdAt, messages.id)
    .limit(limit);
  const batch: StreamedDelivery[] = [];
  for (const row of rows) {
    if (!row.due) return { batch, waitingUntil: row.delivery.nextAttemptAt ?? undefined };
    batch.push({ delivery: row.delivery, message: row.message });
  }
  return { batch };
}

export async function endpointOfDelivery(db: Database, deliveryId: string) {
  const [row] = await db
    .select({ endpoint: endpoints })
    .from(deliveries)
    .innerJoin(endpoints, eq(endpoints.id, deliveries.endpointId))
    .where(eq(deliveries.id, deliveryId))
    .limit(1);
  return row?.endpoint;
}

export async function findEndpointById(db: Database, endpointId: string) {
  const [row] = await db.select().from(endpoints).where(eq(endpoints.id, endpointId)).limit(1);
  return row;
}

/** Whether deliveries of the endpoint are due but held back (by an earlier message still being fanned out). */
export async function hasDueStreamDeliveries(db: Database, endpointId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(
      and(
        eq(deliveries.endpointId, endpointId),
        inArray(deliveries.status, ['pending', 'failed']),
        sql`coalesce(${deliveries.nextAttemptAt} <= now(), true)`,
      ),
    )
    .limit(1);
  return row !== undefined;
}
