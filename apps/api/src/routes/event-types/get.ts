import { notFound } from '@herald/core';
import { eventTypeOut, findEventType } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { errorResponses } from '../schemas';
import { EventTypeOutSchema, EventTypeParams, notFoundResponse, TAGS } from './schemas';

const route = createRoute({
  method: 'get',
  path: '/api/v1/event-type/{event_type_name}',
  tags: TAGS,
  summary: 'Get an event type by name (archived ones too)',
  request: { params: EventTypeParams },
  responses: {
    200: { description: 'The event type', content: { 'application/json': { schema: EventTypeOutSchema } } },
    ...notFoundResponse,
    ...errorResponses,
  },
});

/** Any key of the organization may read its event types, app-scoped ones included. */
export function registerGetEventType(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const row = await findEventType(deps.db, c.get('principal').orgId, c.req.valid('param').event_type_name);
    if (!row) throw notFound('event type');
    return c.json(eventTypeOut(row), 200);
  });
}
