import { notFound } from '@herald/core';
import { findMessage, messageOut } from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { resolveApplication } from '../../tenancy';
import { QueryBool } from '../query';
import { errorResponses } from '../schemas';
import { MessageOutSchema, MessageParams } from './schemas';

const route = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}/msg/{msg_id}',
  tags: ['Message'],
  summary: 'Get a message by id or eventId',
  request: { params: MessageParams, query: z.object({ with_content: QueryBool.optional() }) },
  responses: {
    200: { description: 'The message', content: { 'application/json': { schema: MessageOutSchema } } },
    404: { ...errorResponses[400], description: 'No such message' },
    ...errorResponses,
  },
});

export function registerGetMessage(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    const { app_id, msg_id } = c.req.valid('param');
    const application = await resolveApplication(deps.db, principal, app_id);
    const row = await findMessage(deps.db, { orgId: principal.orgId, appId: application.id }, msg_id);
    if (!row) throw notFound('message');
    return c.json(messageOut(row, c.req.valid('query').with_content ?? true), 200);
  });
}
