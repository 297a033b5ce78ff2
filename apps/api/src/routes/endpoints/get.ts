import { endpointOut, findEndpoint } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { errorResponses } from '../schemas';
import { EndpointOutSchema, EndpointParams, notFoundResponse, TAGS } from './schemas';
import { endpointNotFound, endpointScope } from './scope';

const route = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}/endpoint/{endpoint_id}',
  tags: TAGS,
  summary: 'Get an endpoint by id or uid',
  request: { params: EndpointParams },
  responses: {
    200: { description: 'The endpoint', content: { 'application/json': { schema: EndpointOutSchema } } },
    ...notFoundResponse,
    ...errorResponses,
  },
});

export function registerGetEndpoint(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid('param');
    const scope = await endpointScope(deps, c.get('principal'), app_id);
    const row = await findEndpoint(deps.db, scope, endpoint_id);
    if (!row) throw endpointNotFound();
    return c.json(endpointOut(row), 200);
  });
}
