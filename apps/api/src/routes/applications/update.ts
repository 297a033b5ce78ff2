import { HeraldError, isId } from '@herald/core';
import { applicationOut, findApplication, insertApplication, updateApplication } from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { requireOrgScope, resolveApplication } from '../../tenancy';
import { ApplicationInSchema, ApplicationOutSchema, conflictResponse, errorResponses, notFoundResponse } from '../schemas';

const route = createRoute({
  method: 'put',
  path: '/api/v1/app/{app_id}',
  tags: ['Application'],
  summary: 'Replace an application, or create it under this uid (Svix upsert)',
  request: {
    params: z.object({ app_id: z.string().min(1).max(256) }),
    body: { required: true, content: { 'application/json': { schema: ApplicationInSchema } } },
  },
  responses: {
    200: { description: 'Updated', content: { 'application/json': { schema: ApplicationOutSchema } } },
    201: { description: 'Created', content: { 'application/json': { schema: ApplicationOutSchema } } },
    404: notFoundResponse('application'),
    409: conflictResponse('The uid is taken by another application'),
    ...errorResponses,
  },
});

export function registerUpdateApplication(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    const { app_id } = c.req.valid('param');
    const input = c.req.valid('json');
    const existing = await findApplication(deps.db, principal.orgId, app_id);
    if (!existing && principal.scope !== 'app' && !isId('application', app_id)) {
      // Upsert: the path names a uid that does not exist yet.
      requireOrgScope(principal);
      const created = await insertApplication(deps.db, principal.orgId, { ...input, uid: input.uid ?? app_id });
      if (!created) throw new HeraldError('conflict', `an application with uid "${input.uid ?? app_id}" already exists`);
      return c.json(applicationOut(created), 201);
    }
    const target = await resolveApplication(deps.db, principal, app_id);
    const row = await updateApplication(deps.db, principal.orgId, target.id, {
      name: input.name,
      uid: input.uid ?? null,
      rateLimit: input.rateLimit ?? null,
      throttleRate: input.throttleRate ?? input.rateLimit ?? null,
      metadata: input.metadata ?? {},
    });
    if (!row) throw new HeraldError('conflict', `an application with uid "${input.uid}" already exists`);
    return c.json(applicationOut(row), 200);
  });
}
