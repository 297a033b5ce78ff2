import { endpointOut, endpointUidTaken, insertEndpoint } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { requireConnectionSettingsAllowed } from '../../tenancy';
import { errorResponses } from '../schemas';
import { AppParams, EndpointInSchema, EndpointOutSchema, notFoundResponse, TAGS } from './schemas';
import { endpointScope } from './scope';

const route = createRoute({
  method: 'post',
  path: '/api/v1/app/{app_id}/endpoint',
  tags: TAGS,
  summary: 'Create an endpoint; a secret is generated unless one is given',
  request: {
    params: AppParams,
    body: { required: true, content: { 'application/json': { schema: EndpointInSchema } } },
  },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: EndpointOutSchema } } },
    409: { ...errorResponses[400], description: 'The uid is taken in this application' },
    ...notFoundResponse,
    ...errorResponses,
  },
});

export function registerCreateEndpoint(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    const scope = await endpointScope(deps, principal, c.req.valid('param').app_id);
    const input = c.req.valid('json');
    requireConnectionSettingsAllowed(principal, input.settings);
    const row = await insertEndpoint(deps.db, scope, input);
    // The only unique constraint an insert can hit is (app, uid).
    if (!row) throw endpointUidTaken(input.uid);
    return c.json(endpointOut(row), 201);
  });
}
