import { HeraldError, isId, notFound } from '@herald/core';
import { findDeliveryInApp, requeueDeliveriesInStatus } from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { resolveApplication } from '../../tenancy';
import { conflictResponse, errorResponses, notFoundResponse } from '../schemas';
import { EmptyResponseSchema, Id } from './schemas';
import { enqueueManual, refuseDisabled } from './shared';

const route = createRoute({
  method: 'post',
  path: '/api/v1/app/{app_id}/dead-letter/{delivery_id}/replay',
  operationId: 'v1.app.dead_letter.delivery.replay',
  tags: ['Dead letter'],
  summary: 'Send a dead-lettered delivery again now, as a manual attempt',
  request: { params: z.object({ app_id: Id, delivery_id: Id }) },
  responses: {
    202: { description: 'Queued', content: { 'application/json': { schema: EmptyResponseSchema } } },
    404: notFoundResponse('application or delivery'),
    409: conflictResponse('The delivery is not dead-lettered (any more), its endpoint is disabled, or its message content was expunged'),
    ...errorResponses,
    422: { ...errorResponses[422], description: 'delivery_id is a message id (msg_…): the detail says where the delivery id is' },
  },
});

const notDead = (status: string) =>
  new HeraldError('conflict', `this delivery is ${status}, not dead-lettered; resend the message to the endpoint instead`);

/** The list shows both ids side by side; the message id is the one people copy. */
const messageIdGiven = (appId: string, messageId: string) => {
  const message = `is a message id; replay takes the delivery id (dlv_…), the \`id\` in GET /api/v1/app/${appId}/dead-letter. To send the message to one endpoint again, POST /api/v1/app/${appId}/msg/${messageId}/endpoint/{endpoint_id}/resend`;
  return new HeraldError('validation', `param.delivery_id: ${message}`, [{ path: 'param.delivery_id', message }]);
};

export function registerReplayDeadLetter(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    const { app_id, delivery_id } = c.req.valid('param');
    if (isId('message', delivery_id)) throw messageIdGiven(app_id, delivery_id);
    const application = await resolveApplication(deps.db, principal, app_id);
    const delivery = await findDeliveryInApp(deps.db, { orgId: principal.orgId, appId: application.id }, delivery_id);
    if (!delivery) throw notFound('delivery');
    if (delivery.status !== 'dead') throw notDead(delivery.status);
    if (delivery.messageExpunged)
      throw new HeraldError('conflict', "this delivery's message content was expunged; it cannot be sent again");
    refuseDisabled({ id: delivery.endpointId, disabled: delivery.endpointDisabled });
    // Guarded on the status: a concurrent replay or resend that got there first wins, this one answers 409.
    const requeued = await requeueDeliveriesInStatus(deps.db, { orgId: principal.orgId, ids: [delivery.id], statuses: ['dead'] });
    if (requeued.length === 0) throw notDead('no longer dead');
    await enqueueManual(deps, requeued);
    return c.json({}, 202);
  });
}
