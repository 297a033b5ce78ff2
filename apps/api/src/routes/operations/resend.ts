import { HeraldError, notFound } from '@herald/core';
import { findMessage, prepareResend } from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { conflictResponse, errorResponses, notFoundResponse } from '../schemas';
import { EmptyResponseSchema, Id } from './schemas';
import { endpointInScope, enqueueManual, refuseDisabled } from './shared';

const route = createRoute({
  method: 'post',
  path: '/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend',
  tags: ['Message attempt'],
  summary: 'Resend a message to an endpoint now, as a manual attempt',
  description:
    'Works whatever the delivery state (delivered, failed, dead-lettered) and also for an endpoint the message never went to ' +
    '(created later, or filtered out). 409 while an attempt of that delivery is in flight, or when the endpoint is disabled.',
  request: { params: z.object({ app_id: Id, msg_id: Id, endpoint_id: Id }) },
  responses: {
    202: { description: 'Queued', content: { 'application/json': { schema: EmptyResponseSchema } } },
    404: notFoundResponse('application, message or endpoint'),
    409: conflictResponse('Being sent right now, the endpoint is disabled, or the message content was expunged'),
    ...errorResponses,
  },
});

export function registerResend(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const { app_id, msg_id, endpoint_id } = c.req.valid('param');
    const { scope, endpoint } = await endpointInScope(deps, c.get('principal'), app_id, endpoint_id);
    const message = await findMessage(deps.db, scope, msg_id);
    if (!message) throw notFound('message');
    if (message.expungedAt) throw new HeraldError('conflict', "this message's content was expunged; it cannot be sent again");
    refuseDisabled(endpoint);
    const prepared = await prepareResend(deps.db, { ...scope, messageId: message.id, endpointId: endpoint.id });
    if (prepared.kind === 'gone') throw notFound('message');
    if (prepared.kind === 'sending') {
      throw new HeraldError('conflict', 'this message is being sent to this endpoint right now; resend it once the attempt is over');
    }
    await enqueueManual(deps, [prepared.deliveryId]);
    return c.json({}, 202);
  });
}
