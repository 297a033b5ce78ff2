import { listApplications } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { requireOrgScope } from '../../tenancy';
import { ApplicationOutSchema, errorResponses, ListQuerySchema, listResponse } from '../schemas';

const route = createRoute({
  method: 'get',
  path: '/api/v1/app',
  tags: ['Application'],
  summary: 'List applications, newest first',
  request: { query: ListQuerySchema },
  responses: {
    200: {
      description: 'A page',
      content: { 'application/json': { schema: listResponse(ApplicationOutSchema, 'ListResponseApplicationOut') } },
    },
    ...errorResponses,
  },
});

export function registerListApplications(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    requireOrgScope(principal);
    return c.json(await listApplications(deps.db, principal.orgId, c.req.valid('query')), 200);
  });
}
