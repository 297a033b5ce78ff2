import type { HeraldConfig } from '@herald/core';
import { type Database, schema } from '@herald/db';
import { signatureHeaders, type WebhookSender } from '@herald/delivery';
import type { JobPayload } from '@herald/queue';
import { desc, eq } from 'drizzle-orm';

const { applications, attempts, deliveries, endpoints, messages } = schema;

/**
 * Builds and sends one operational webhook in Svix's shape. The event is
 * rebuilt from the database when the job runs (the job holds ids only); the
 * job's key is the stable `webhook-id`. A failed send throws, so BullMQ retries it.
 */
export async function sendOperationalEvent(
  deps: { config: HeraldConfig; db: Database; sender: WebhookSender },
  event: JobPayload<'operational'>,
): Promise<void> {
  const target = deps.config.operationalWebhook;
  if (!target) return;
  const { db } = deps;
  const [endpoint] = await db
    .select({ endpoint: endpoints, app: applications })
    .from(endpoints)
    .innerJoin(applications, eq(applications.id, endpoints.appId))
    .where(eq(endpoints.id, event.endpointId))
    .limit(1);
  if (!endpoint) return; // deleted since: nothing left to report on

  const base = { appId: endpoint.app.id, appUid: endpoint.app.uid, endpointId: endpoint.endpoint.id };
  let data: Record<string, unknown>;
  if (event.type === 'endpoint.disabled') {
    data = { ...base, endpointUid: endpoint.endpoint.uid, failSince: endpoint.endpoint.failingSince?.toISOString() ?? null };
  } else {
    const [delivery] = await db
      .select({ messageId: deliveries.messageId, eventId: messages.eventId })
      .from(deliveries)
      .innerJoin(messages, eq(messages.id, deliveries.messageId))
      .where(eq(deliveries.id, event.deliveryId ?? ''))
      .limit(1);
    if (!delivery) return;
    const [last] = await db
      .select()
      .from(attempts)
      .where(eq(attempts.deliveryId, event.deliveryId ?? ''))
      .orderBy(desc(attempts.seq))
      .limit(1);
    data = {
      ...base,
      msgId: delivery.messageId,
      msgEventId: delivery.eventId,
      lastAttempt: last ? { id: last.id, timestamp: last.createdAt.toISOString(), responseStatusCode: last.responseStatusCode ?? 0 } : null,
    };
  }
  const body = JSON.stringify({ type: event.type, timestamp: new Date().toISOString(), data });
  const result = await deps.sender.send({
    url: target.url,
    headers: { ...signatureHeaders({ messageId: `op_${event.key}`, timestamp: new Date(), body, secrets: [target.secret] }) },
    body,
  });
  if (!result.ok) throw new Error(`operational webhook ${event.type} not accepted: ${result.response}`);
}
