import { HeraldError } from '@herald/core';
import { createEventType, eventTypeOut } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { requireOrgScope } from '../../tenancy';
import { errorResponses } from '../schemas';
import { EventTypeInSchema, EventTypeOutSchema, TAGS } from './schemas';

const route = createRoute({
  method: 'post',
  path: '/api/v1/event-type',
  tags: TAGS,
  summary: 'Create an event type, or unarchive an archived one of that name',
  request: {
    body: { required: true, content: { 'application/json': { schema: EventTypeInSchema } } },
  },
  responses: {
    201: { description: 'Created (or unarchived)', content: { 'application/json': { schema: EventTypeOutSchema } } },
    409: { ...errorResponses[400], description: 'An event type of that name exists and is not archived' },
    ...errorResponses,
  },
});

export function registerCreateEventType(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    requireOrgScope(principal);
    const input = c.req.valid('json');
    const row = await createEventType(deps.db, principal.orgId, input);
    if (!row) throw new HeraldError('conflict', `an event type named "${input.name}" already exists`);
    return c.json(eventTypeOut(row), 201);
  });
}
