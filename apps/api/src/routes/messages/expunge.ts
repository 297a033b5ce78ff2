import { notFound } from '@herald/core';
import { expungeMessageContent, findMessage } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { resolveApplication } from '../../tenancy';
import { errorResponses, noContent, notFoundResponse } from '../schemas';
import { MessageParams } from './schemas';

const route = createRoute({
  method: 'delete',
  path: '/api/v1/app/{app_id}/msg/{msg_id}/content',
  operationId: 'v1.app.msg.content.delete',
  tags: ['Message'],
  summary: "Delete a message's payload for good (expunge), keeping the message",
  description:
    'For a payload that should never have been sent (a secret, personal data). The message and its attempts stay; its payload ' +
    'reads `{"expired": true}` from then on, as in Svix. Nothing of it is sent afterwards: deliveries still waiting for a ' +
    'retry are dead-lettered with the reason `message content expunged`, a resend or dead-letter replay answers 409, and a ' +
    'message not yet fanned out (a future `deliverAt`) never will be. An attempt already in flight completes. Repeating it is harmless.',
  request: { params: MessageParams },
  responses: { 204: noContent, 404: notFoundResponse('application or message'), ...errorResponses },
});

export function registerExpungeMessageContent(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    const { app_id, msg_id } = c.req.valid('param');
    const application = await resolveApplication(deps.db, principal, app_id);
    const scope = { orgId: principal.orgId, appId: application.id };
    const message = await findMessage(deps.db, scope, msg_id);
    if (!message || !(await expungeMessageContent(deps.db, scope, message.id))) throw notFound('message');
    return c.body(null, 204);
  });
}
