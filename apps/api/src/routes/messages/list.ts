import { Name } from '@herald/core';
import { listMessages } from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { resolveApplication } from '../../tenancy';
import { CommaList, QueryBool, QueryDate, QueryLimit } from '../query';
import { errorResponses, listResponse } from '../schemas';
import { AppParam, MessageOutSchema } from './schemas';

const route = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}/msg',
  tags: ['Message'],
  summary: "List an application's messages, newest first",
  request: {
    params: AppParam,
    query: z.object({
      limit: QueryLimit,
      iterator: z.string().max(64).optional(),
      channel: Name(128).optional(),
      tag: Name(128).optional(),
      event_types: CommaList.optional(),
      before: QueryDate.optional(),
      after: QueryDate.optional(),
      with_content: QueryBool.optional(),
    }),
  },
  responses: {
    200: { description: 'A page', content: { 'application/json': { schema: listResponse(MessageOutSchema, 'ListResponseMessageOut') } } },
    404: { ...errorResponses[400], description: 'No such application' },
    ...errorResponses,
  },
});

export function registerListMessages(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    const application = await resolveApplication(deps.db, principal, c.req.valid('param').app_id);
    const q = c.req.valid('query');
    const page = await listMessages(
      deps.db,
      { orgId: principal.orgId, appId: application.id },
      {
        limit: q.limit,
        iterator: q.iterator,
        channel: q.channel,
        tag: q.tag,
        eventTypes: q.event_types,
        before: q.before,
        after: q.after,
        withContent: q.with_content ?? true,
      },
    );
    return c.json(page, 200);
  });
}
