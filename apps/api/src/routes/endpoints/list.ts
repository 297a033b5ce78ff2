import { listEndpoints } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { errorResponses, ListQuerySchema, listResponse } from '../schemas';
import { AppParams, EndpointOutSchema, notFoundResponse, TAGS } from './schemas';
import { endpointScope } from './scope';

const route = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}/endpoint',
  tags: TAGS,
  summary: "List an application's endpoints, newest first",
  request: { params: AppParams, query: ListQuerySchema },
  responses: {
    200: {
      description: 'A page',
      content: { 'application/json': { schema: listResponse(EndpointOutSchema, 'ListResponseEndpointOut') } },
    },
    ...notFoundResponse,
    ...errorResponses,
  },
});

export function registerListEndpoints(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const scope = await endpointScope(deps, c.get('principal'), c.req.valid('param').app_id);
    return c.json(await listEndpoints(deps.db, scope, c.req.valid('query')), 200);
  });
}
