import { notFound } from '@herald/core';
import { applicationOut, findApplication } from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { ApplicationOutSchema, errorResponses } from '../schemas';

const route = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}',
  tags: ['Application'],
  summary: 'Get an application by id or uid',
  request: { params: z.object({ app_id: z.string().min(1).max(256) }) },
  responses: {
    200: { description: 'The application', content: { 'application/json': { schema: ApplicationOutSchema } } },
    404: { ...errorResponses[400], description: 'No such application in this organization' },
    ...errorResponses,
  },
});

export function registerGetApplication(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    const row = await findApplication(deps.db, principal.orgId, c.req.valid('param').app_id);
    // An app-scoped key sees its own application and nothing else: 404, never 403, so ids cannot be probed.
    if (!row || (principal.appId !== null && principal.appId !== row.id)) throw notFound('application');
    return c.json(applicationOut(row), 200);
  });
}
