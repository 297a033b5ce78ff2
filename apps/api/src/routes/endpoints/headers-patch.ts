import { HeraldError } from '@herald/core';
import { patchEndpointHeaders } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { errorResponses } from '../schemas';
import { EndpointHeadersPatchInSchema, EndpointParams, noContent, notFoundResponse, TAGS } from './schemas';
import { endpointNotFound, endpointScope } from './scope';

const route = createRoute({
  method: 'patch',
  path: '/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers',
  tags: TAGS,
  summary: 'Set some custom headers and delete others',
  request: {
    params: EndpointParams,
    body: { required: true, content: { 'application/json': { schema: EndpointHeadersPatchInSchema } } },
  },
  responses: {
    ...noContent,
    ...notFoundResponse,
    ...errorResponses,
  },
});

export function registerPatchEndpointHeaders(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid('param');
    const { headers, deleteHeaders = [] } = c.req.valid('json');
    // Setting and deleting one header in one request has no clear meaning: refuse it.
    const setting = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
    const clash = deleteHeaders.findIndex((name) => setting.has(name.toLowerCase()));
    if (clash >= 0) {
      const message = 'names a header that `headers` also sets';
      throw new HeraldError('validation', `body.deleteHeaders.${clash}: ${message}`, [{ path: `body.deleteHeaders.${clash}`, message }]);
    }
    const scope = await endpointScope(deps, c.get('principal'), app_id);
    if (!(await patchEndpointHeaders(deps.db, scope, endpoint_id, headers, deleteHeaders))) throw endpointNotFound();
    return c.body(null, 204);
  });
}
