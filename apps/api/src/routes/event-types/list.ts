import { listEventTypes } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { errorResponses, listResponse } from '../schemas';
import { EventTypeListQuerySchema, EventTypeOutSchema, TAGS } from './schemas';

const route = createRoute({
  method: 'get',
  path: '/api/v1/event-type',
  tags: TAGS,
  summary: 'List event types by name',
  request: { query: EventTypeListQuerySchema },
  responses: {
    200: {
      description: 'A page',
      content: { 'application/json': { schema: listResponse(EventTypeOutSchema, 'ListResponseEventTypeOut') } },
    },
    ...errorResponses,
  },
});

/** Any key of the organization may read its event types, app-scoped ones included. */
export function registerListEventTypes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const { limit, iterator, order, include_archived, with_content } = c.req.valid('query');
    const page = await listEventTypes(deps.db, c.get('principal').orgId, {
      limit,
      iterator,
      order,
      includeArchived: include_archived,
      withContent: with_content,
    });
    return c.json(page, 200);
  });
}
