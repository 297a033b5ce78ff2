import { randomBytes } from 'node:crypto';
import { newId } from '@herald/core';
import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { attempts, deliveries, endpoints, messages } from '../schema';
import type { AttemptOutcome } from './deliveries';

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
  id: string;
  orgId: string;
  appId: string;
  attemptCount: number;
  message: { id: string; eventType: string; createdAt: Date; body: string };
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
      id: deliveries.id,
      orgId: deliveries.orgId,
      appId: deliveries.appId,
      attemptCount: deliveries.attemptCount,
      due: sql<boolean>`coalesce(${deliveries.nextAttemptAt} <= now(), true)`,
      nextAttemptAt: deliveries.nextAttemptAt,
      message: {
        id: messages.id,
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
    if (!row.due) return { batch, waitingUntil: row.nextAttemptAt ?? undefined };
    batch.push({ id: row.id, orgId: row.orgId, appId: row.appId, attemptCount: row.attemptCount, message: row.message });
  }
  return { batch };
}

/** Records one attempt per delivery of a streamed batch and moves each on, in one transaction. */
export async function recordStreamBatch(
  db: Database,
  endpoint: { id: string; url: string },
  batch: StreamedDelivery[],
  result: { ok: boolean; response: string; durationMs: number },
  outcomeOf: (delivery: StreamedDelivery) => AttemptOutcome,
): Promise<void> {
  if (batch.length === 0) return;
  await db.transaction(async (tx) => {
    await tx.insert(attempts).values(
      batch.map((d) => ({
        id: newId('attempt'),
        orgId: d.orgId,
        appId: d.appId,
        messageId: d.message.id,
        endpointId: endpoint.id,
        deliveryId: d.id,
        status: result.ok ? ('succeeded' as const) : ('failed' as const),
        url: endpoint.url,
        response: result.response,
        durationMs: result.durationMs,
      })),
    );
    if (result.ok) {
      await tx
        .update(deliveries)
        .set({
          status: 'succeeded',
          attemptCount: sql`${deliveries.attemptCount} + 1`,
          lastAttemptAt: sql`now()`,
          nextAttemptAt: null,
          lastError: null,
          leaseToken: null,
          leaseExpiresAt: null,
          updatedAt: sql`now()`,
        })
        .where(
          inArray(
            deliveries.id,
            batch.map((d) => d.id),
          ),
        );
      return;
    }
    for (const delivery of batch) {
      const outcome = outcomeOf(delivery);
      await tx
        .update(deliveries)
        .set({
          status: outcome.kind === 'retry' ? 'failed' : outcome.kind,
          attemptCount: sql`${deliveries.attemptCount} + 1`,
          lastAttemptAt: sql`now()`,
          nextAttemptAt: outcome.kind === 'retry' ? outcome.nextAttemptAt : null,
          lastError: result.response,
          leaseToken: null,
          leaseExpiresAt: null,
          updatedAt: sql`now()`,
        })
        .where(eq(deliveries.id, delivery.id));
    }
  });
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
