import { replaceEndpointHeaders } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { errorResponses } from '../schemas';
import { EndpointHeadersInSchema, EndpointParams, noContent, notFoundResponse, TAGS } from './schemas';
import { endpointNotFound, endpointScope } from './scope';

const route = createRoute({
  method: 'put',
  path: '/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers',
  tags: TAGS,
  summary: "Replace all of an endpoint's custom headers",
  request: {
    params: EndpointParams,
    body: { required: true, content: { 'application/json': { schema: EndpointHeadersInSchema } } },
  },
  responses: {
    ...noContent,
    ...notFoundResponse,
    ...errorResponses,
  },
});

export function registerUpdateEndpointHeaders(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid('param');
    const scope = await endpointScope(deps, c.get('principal'), app_id);
    if (!(await replaceEndpointHeaders(deps.db, scope, endpoint_id, c.req.valid('json').headers))) throw endpointNotFound();
    return c.body(null, 204);
  });
}
