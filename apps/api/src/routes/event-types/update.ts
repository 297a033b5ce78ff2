import { eventTypeOut, upsertEventType } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { requireOrgScope } from '../../tenancy';
import { errorResponses } from '../schemas';
import { EventTypeOutSchema, EventTypeParams, EventTypeUpdateSchema, TAGS } from './schemas';

const route = createRoute({
  method: 'put',
  path: '/api/v1/event-type/{event_type_name}',
  tags: TAGS,
  summary: 'Replace an event type, or create it under the name in the path',
  request: {
    params: EventTypeParams,
    body: { required: true, content: { 'application/json': { schema: EventTypeUpdateSchema } } },
  },
  responses: {
    200: { description: 'Replaced', content: { 'application/json': { schema: EventTypeOutSchema } } },
    201: { description: 'Created', content: { 'application/json': { schema: EventTypeOutSchema } } },
    ...errorResponses,
  },
});

export function registerUpdateEventType(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    requireOrgScope(principal);
    const { row, created } = await upsertEventType(deps.db, principal.orgId, c.req.valid('param').event_type_name, c.req.valid('json'));
    return created ? c.json(eventTypeOut(row), 201) : c.json(eventTypeOut(row), 200);
  });
}
