import { HeraldError } from '@herald/core';
import { type ApplicationChanges, applicationOut, updateApplication } from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { resolveApplication } from '../../tenancy';
import { ApplicationOutSchema, ApplicationPatchSchema, conflictResponse, errorResponses, notFoundResponse } from '../schemas';

const route = createRoute({
  method: 'patch',
  path: '/api/v1/app/{app_id}',
  tags: ['Application'],
  summary: 'Change some fields of an application',
  request: {
    params: z.object({ app_id: z.string().min(1).max(256) }),
    body: { required: true, content: { 'application/json': { schema: ApplicationPatchSchema } } },
  },
  responses: {
    200: { description: 'Updated', content: { 'application/json': { schema: ApplicationOutSchema } } },
    404: notFoundResponse('application'),
    409: conflictResponse('The uid is taken by another application'),
    ...errorResponses,
  },
});

export function registerPatchApplication(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    const target = await resolveApplication(deps.db, principal, c.req.valid('param').app_id);
    const patch = c.req.valid('json');
    const changes: ApplicationChanges = {};
    // Absent: unchanged. null: cleared.
    if (patch.name !== undefined) changes.name = patch.name;
    if (patch.uid !== undefined) changes.uid = patch.uid;
    if (patch.rateLimit !== undefined) changes.rateLimit = patch.rateLimit;
    if (patch.throttleRate !== undefined) changes.throttleRate = patch.throttleRate;
    if (patch.metadata !== undefined) changes.metadata = patch.metadata;
    const row = await updateApplication(deps.db, principal.orgId, target.id, changes);
    if (!row) throw new HeraldError('conflict', `an application with uid "${patch.uid}" already exists`);
    return c.json(applicationOut(row), 200);
  });
}
