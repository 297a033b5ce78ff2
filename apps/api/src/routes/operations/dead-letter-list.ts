import { notFound } from '@herald/core';
import { findEndpoint, listDeadLetters } from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { resolveApplication } from '../../tenancy';
import { errorResponses, listResponse, notFoundResponse } from '../schemas';
import { DeadLetterOutSchema, DeadLetterQuery, Id } from './schemas';

const route = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}/dead-letter',
  tags: ['Dead letter'],
  summary: "An application's dead-lettered deliveries, newest first",
  description:
    'Deliveries whose retries ran out (or that were ended without an attempt, e.g. a disabled endpoint), with the last error. ' +
    '`before`/`after` bound the creation time of the message, `event_types` is comma-separated, `reason` matches a substring of the failure reason.',
  request: { params: z.object({ app_id: Id }), query: DeadLetterQuery },
  responses: {
    200: {
      description: 'A page',
      content: { 'application/json': { schema: listResponse(DeadLetterOutSchema, 'ListResponseDeadLetterOut') } },
    },
    404: notFoundResponse('application or endpoint'),
    ...errorResponses,
  },
});

export function registerListDeadLetters(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    const application = await resolveApplication(deps.db, principal, c.req.valid('param').app_id);
    const scope = { orgId: principal.orgId, appId: application.id };
    const q = c.req.valid('query');
    let endpointId: string | undefined;
    if (q.endpoint_id) {
      const endpoint = await findEndpoint(deps.db, scope, q.endpoint_id);
      if (!endpoint) throw notFound('endpoint');
      endpointId = endpoint.id;
    }
    const page = await listDeadLetters(deps.db, scope, {
      limit: q.limit,
      iterator: q.iterator,
      endpointId,
      eventTypes: q.event_types,
      before: q.before,
      after: q.after,
      reason: q.reason,
    });
    return c.json(page, 200);
  });
}
