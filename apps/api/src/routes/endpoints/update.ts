import { endpointOut, updateEndpoint } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { requireConnectionSettingsAllowed } from '../../tenancy';
import { errorResponses } from '../schemas';
import { EndpointOutSchema, EndpointParams, EndpointUpdateSchema, notFoundResponse, TAGS } from './schemas';
import { endpointNotFound, endpointScope } from './scope';

const route = createRoute({
  method: 'put',
  path: '/api/v1/app/{app_id}/endpoint/{endpoint_id}',
  tags: TAGS,
  summary: 'Replace an endpoint, or create it under the uid in the path',
  request: {
    params: EndpointParams,
    body: { required: true, content: { 'application/json': { schema: EndpointUpdateSchema } } },
  },
  responses: {
    200: { description: 'Updated', content: { 'application/json': { schema: EndpointOutSchema } } },
    201: {
      description: 'Created (the path named a uid that did not exist)',
      content: { 'application/json': { schema: EndpointOutSchema } },
    },
    409: { ...errorResponses[400], description: 'The uid is taken in this application' },
    ...notFoundResponse,
    ...errorResponses,
  },
});

export function registerUpdateEndpoint(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid('param');
    const principal = c.get('principal');
    const scope = await endpointScope(deps, principal, app_id);
    const input = c.req.valid('json');
    requireConnectionSettingsAllowed(principal, input.settings);
    const result = await updateEndpoint(deps.db, scope, endpoint_id, input);
    if (!result) throw endpointNotFound();
    return result.created ? c.json(endpointOut(result.row), 201) : c.json(endpointOut(result.row), 200);
  });
}
