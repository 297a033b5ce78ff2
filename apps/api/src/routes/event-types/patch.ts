import { notFound } from '@herald/core';
import { eventTypeOut, patchEventType } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { requireOrgScope } from '../../tenancy';
import { errorResponses } from '../schemas';
import { EventTypeOutSchema, EventTypeParams, EventTypePatchSchema, notFoundResponse, TAGS } from './schemas';

const route = createRoute({
  method: 'patch',
  path: '/api/v1/event-type/{event_type_name}',
  tags: TAGS,
  summary: 'Change some fields of an event type (absent: unchanged; null: cleared)',
  request: {
    params: EventTypeParams,
    body: { required: true, content: { 'application/json': { schema: EventTypePatchSchema } } },
  },
  responses: {
    200: { description: 'The event type as changed', content: { 'application/json': { schema: EventTypeOutSchema } } },
    ...notFoundResponse,
    ...errorResponses,
  },
});

export function registerPatchEventType(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    requireOrgScope(principal);
    const row = await patchEventType(deps.db, principal.orgId, c.req.valid('param').event_type_name, c.req.valid('json'));
    if (!row) throw notFound('event type');
    return c.json(eventTypeOut(row), 200);
  });
}
