import { deleteEndpoint } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { errorResponses } from '../schemas';
import { EndpointParams, noContent, notFoundResponse, TAGS } from './schemas';
import { endpointNotFound, endpointScope } from './scope';

const route = createRoute({
  method: 'delete',
  path: '/api/v1/app/{app_id}/endpoint/{endpoint_id}',
  tags: TAGS,
  summary: 'Delete an endpoint',
  request: { params: EndpointParams },
  responses: {
    ...noContent,
    ...notFoundResponse,
    ...errorResponses,
  },
});

export function registerDeleteEndpoint(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid('param');
    const scope = await endpointScope(deps, c.get('principal'), app_id);
    if (!(await deleteEndpoint(deps.db, scope, endpoint_id))) throw endpointNotFound();
    return c.body(null, 204);
  });
}
