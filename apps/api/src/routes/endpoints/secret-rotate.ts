import { rotateEndpointSecret } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { errorResponses } from '../schemas';
import { EndpointParams, EndpointSecretRotateInSchema, noContent, notFoundResponse, TAGS } from './schemas';
import { endpointNotFound, endpointScope } from './scope';

const route = createRoute({
  method: 'post',
  path: '/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate',
  tags: TAGS,
  summary: 'Rotate the signing secret; the old one stays valid for the grace period (default 24 h)',
  request: {
    params: EndpointParams,
    body: { required: false, content: { 'application/json': { schema: EndpointSecretRotateInSchema } } },
  },
  responses: {
    ...noContent,
    ...notFoundResponse,
    ...errorResponses,
  },
});

export function registerRotateEndpointSecret(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid('param');
    const scope = await endpointScope(deps, c.get('principal'), app_id);
    // An empty body (no content-type) means all defaults.
    const input = c.req.valid('json') ?? {};
    if (!(await rotateEndpointSecret(deps.db, scope, endpoint_id, input))) throw endpointNotFound();
    return c.body(null, 204);
  });
}
