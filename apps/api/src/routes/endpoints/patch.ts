import { endpointOut, patchEndpoint } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { requireConnectionSettingsAllowed } from '../../tenancy';
import { errorResponses } from '../schemas';
import { EndpointOutSchema, EndpointParams, EndpointPatchSchema, notFoundResponse, TAGS } from './schemas';
import { endpointNotFound, endpointScope } from './scope';

const route = createRoute({
  method: 'patch',
  path: '/api/v1/app/{app_id}/endpoint/{endpoint_id}',
  tags: TAGS,
  summary: 'Change some fields of an endpoint; null clears a field',
  request: {
    params: EndpointParams,
    body: { required: true, content: { 'application/json': { schema: EndpointPatchSchema } } },
  },
  responses: {
    200: { description: 'Updated', content: { 'application/json': { schema: EndpointOutSchema } } },
    409: { ...errorResponses[400], description: 'The uid is taken in this application' },
    ...notFoundResponse,
    ...errorResponses,
  },
});

export function registerPatchEndpoint(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid('param');
    const principal = c.get('principal');
    const scope = await endpointScope(deps, principal, app_id);
    const input = c.req.valid('json');
    requireConnectionSettingsAllowed(principal, input.settings);
    const row = await patchEndpoint(deps.db, scope, endpoint_id, input);
    if (!row) throw endpointNotFound();
    return c.json(endpointOut(row), 200);
  });
}
