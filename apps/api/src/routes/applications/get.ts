import { applicationOut } from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { resolveApplication } from '../../tenancy';
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
    const row = await resolveApplication(deps.db, c.get('principal'), c.req.valid('param').app_id);
    return c.json(applicationOut(row), 200);
  });
}
