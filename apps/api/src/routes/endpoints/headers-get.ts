import { getEndpointHeaders } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { errorResponses } from '../schemas';
import { EndpointHeadersOutSchema, EndpointParams, notFoundResponse, TAGS } from './schemas';
import { endpointNotFound, endpointScope } from './scope';

const route = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers',
  tags: TAGS,
  summary: "An endpoint's custom headers; sensitive ones are named, not shown",
  request: { params: EndpointParams },
  responses: {
    200: { description: 'The headers', content: { 'application/json': { schema: EndpointHeadersOutSchema } } },
    ...notFoundResponse,
    ...errorResponses,
  },
});

export function registerGetEndpointHeaders(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid('param');
    const scope = await endpointScope(deps, c.get('principal'), app_id);
    const headers = await getEndpointHeaders(deps.db, scope, endpoint_id);
    if (!headers) throw endpointNotFound();
    return c.json(headers, 200);
  });
}
