import { HeraldError, notFound } from '@herald/core';
import { findEndpoint } from '@herald/db';
import type { ApiDeps, Principal } from '../../context';
import { resolveApplication } from '../../tenancy';

/** The application and endpoint a route acts on, as this key may see them (404 otherwise). */
export async function endpointInScope(deps: ApiDeps, principal: Principal, appIdOrUid: string, endpointIdOrUid: string) {
  const application = await resolveApplication(deps.db, principal, appIdOrUid);
  const scope = { orgId: principal.orgId, appId: application.id };
  const endpoint = await findEndpoint(deps.db, scope, endpointIdOrUid);
  if (!endpoint) throw notFound('endpoint');
  return { scope, endpoint };
}

/**
 * A disabled endpoint would dead-letter a resend without trying it, and
 * overwrite the reason the delivery failed: refuse instead, so the caller
 * enables the endpoint first.
 */
export function refuseDisabled(endpoint: { id: string; disabled: boolean }): void {
  if (endpoint.disabled) throw new HeraldError('conflict', `endpoint ${endpoint.id} is disabled; enable it before resending to it`);
}

/**
 * Queues one manual attempt per delivery, due now. The deliveries were already
 * made due in the database, so if the queue fails here the sweeper still finds
 * them overdue and sends them (as scheduled attempts).
 */
export async function enqueueManual(deps: ApiDeps, deliveryIds: string[]): Promise<void> {
  if (deliveryIds.length === 0) return;
  const due = Date.now();
  if (deliveryIds.length === 1) {
    await deps.queue.enqueue('deliver', { deliveryId: deliveryIds[0]!, due, manual: true });
    return;
  }
  await deps.queue.enqueueMany(
    'deliver',
    deliveryIds.map((deliveryId) => ({ payload: { deliveryId, due, manual: true } })),
  );
}
