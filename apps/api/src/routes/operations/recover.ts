import { newId } from '@herald/core';
import { RECOVERABLE_STATUSES, requeueDeliveriesInStatus, selectRecoverableDeliveryIds } from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { conflictResponse, errorResponses, notFoundResponse } from '../schemas';
import { Id, RecoverInSchema, RecoverOutSchema } from './schemas';
import { endpointInScope, enqueueManual, refuseDisabled } from './shared';

/** Deliveries read, requeued and queued per round trip. */
export const RECOVER_BATCH = 500;

const route = createRoute({
  method: 'post',
  path: '/api/v1/app/{app_id}/endpoint/{endpoint_id}/recover',
  tags: ['Endpoint'],
  summary: 'Resend every failed delivery to an endpoint whose message was created in [since, until]',
  description:
    'Resends, as manual attempts, the deliveries to this endpoint that were dead-lettered or that failed and wait for a retry ' +
    '(that retry is brought forward), for messages created from `since` (at most 14 days ago) to `until` (default now). ' +
    'Done before the answer, so the task is `finished`.',
  request: {
    params: z.object({ app_id: Id, endpoint_id: Id }),
    body: { required: true, content: { 'application/json': { schema: RecoverInSchema } } },
  },
  responses: {
    202: { description: 'Every matching delivery is queued', content: { 'application/json': { schema: RecoverOutSchema } } },
    404: notFoundResponse('application or endpoint'),
    409: conflictResponse('The endpoint is disabled'),
    ...errorResponses,
  },
});

export function registerRecover(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid('param');
    const input = c.req.valid('json');
    const { scope, endpoint } = await endpointInScope(deps, c.get('principal'), app_id, endpoint_id);
    refuseDisabled(endpoint);
    const range = { since: new Date(input.since), until: input.until ? new Date(input.until) : new Date() };
    const endpointScope = { ...scope, endpointId: endpoint.id };
    // Keyset over delivery ids, so each batch is one bounded read and one bounded update,
    // and deliveries that change state meanwhile are neither skipped nor resent twice.
    let afterId: string | undefined;
    for (;;) {
      const ids = await selectRecoverableDeliveryIds(deps.db, endpointScope, range, { afterId, limit: RECOVER_BATCH });
      if (ids.length === 0) break;
      const requeued = await requeueDeliveriesInStatus(deps.db, { orgId: scope.orgId, ids, statuses: RECOVERABLE_STATUSES });
      await enqueueManual(deps, requeued);
      if (ids.length < RECOVER_BATCH) break;
      afterId = ids.at(-1);
    }
    const id = `qtask_${newId('attempt').slice('atmpt_'.length)}`;
    return c.json({ id, status: 'finished' as const, task: 'endpoint.recover' as const, updatedAt: new Date().toISOString() }, 202);
  });
}
