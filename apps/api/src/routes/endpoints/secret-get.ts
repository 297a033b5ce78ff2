import { HeraldError } from '@herald/core';
import { getEndpointSecret } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { errorResponses } from '../schemas';
import { EndpointParams, EndpointSecretOutSchema, notFoundResponse, TAGS } from './schemas';
import { endpointNotFound, endpointScope } from './scope';

const route = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret',
  tags: TAGS,
  summary: "An endpoint's current signing secret",
  request: { params: EndpointParams },
  responses: {
    200: { description: 'The secret', content: { 'application/json': { schema: EndpointSecretOutSchema } } },
    ...notFoundResponse,
    ...errorResponses,
  },
});

export function registerGetEndpointSecret(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid('param');
    const principal = c.get('principal');
    const scope = await endpointScope(deps, principal, app_id);
    // Whoever holds the secret can forge deliveries: a read-only token only looks.
    if (principal.readOnly) throw new HeraldError('forbidden', 'a read-only app-portal token cannot read signing secrets');
    const secret = await getEndpointSecret(deps.db, scope, endpoint_id);
    if (!secret) throw endpointNotFound();
    return c.json(secret, 200);
  });
}
