import { deleteApplication } from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { requireOrgScope, resolveApplication } from '../../tenancy';
import { errorResponses, noContent, notFoundResponse } from '../schemas';

const route = createRoute({
  method: 'delete',
  path: '/api/v1/app/{app_id}',
  tags: ['Application'],
  summary: 'Delete an application with its endpoints, messages and delivery history',
  request: { params: z.object({ app_id: z.string().min(1).max(256) }) },
  responses: { 204: noContent, 404: notFoundResponse('application'), ...errorResponses },
});

export function registerDeleteApplication(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    // Resolve first: another application's id is "not found" to an app-scoped key, not "forbidden".
    const target = await resolveApplication(deps.db, principal, c.req.valid('param').app_id);
    requireOrgScope(principal);
    await deleteApplication(deps.db, principal.orgId, target.id);
    return c.body(null, 204);
  });
}
