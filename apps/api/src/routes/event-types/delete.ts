import { notFound } from '@herald/core';
import { deleteEventType } from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { requireOrgScope } from '../../tenancy';
import { QueryBool } from '../query';
import { errorResponses } from '../schemas';
import { EventTypeParams, notFoundResponse, TAGS } from './schemas';

const route = createRoute({
  method: 'delete',
  path: '/api/v1/event-type/{event_type_name}',
  tags: TAGS,
  summary: 'Archive an event type; with expunge=true, delete it for good',
  request: {
    params: EventTypeParams,
    query: z.object({ expunge: QueryBool.default(false) }),
  },
  responses: {
    204: { description: 'Archived (or expunged); no body' },
    ...notFoundResponse,
    ...errorResponses,
  },
});

export function registerDeleteEventType(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    requireOrgScope(principal);
    const { expunge } = c.req.valid('query');
    if (!(await deleteEventType(deps.db, principal.orgId, c.req.valid('param').event_type_name, { expunge }))) throw notFound('event type');
    return c.body(null, 204);
  });
}
