import { HeraldError } from '@herald/core';
import { applicationOut, findApplication, insertApplication } from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { requireOrgScope } from '../../tenancy';
import { ApplicationInSchema, ApplicationOutSchema, errorResponses } from '../schemas';

const route = createRoute({
  method: 'post',
  path: '/api/v1/app',
  tags: ['Application'],
  summary: 'Create an application',
  request: {
    query: z.object({
      /** Svix's `getOrCreate`: answer the existing application instead of 409 when the uid is taken. */
      get_if_exists: z.enum(['true', 'false']).optional(),
    }),
    body: { required: true, content: { 'application/json': { schema: ApplicationInSchema } } },
  },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: ApplicationOutSchema } } },
    200: { description: 'Already existed (get_if_exists=true)', content: { 'application/json': { schema: ApplicationOutSchema } } },
    409: { ...errorResponses[400], description: 'The uid is taken in this organization' },
    ...errorResponses,
  },
});

export function registerCreateApplication(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    requireOrgScope(principal);
    const input = c.req.valid('json');
    const created = await insertApplication(deps.db, principal.orgId, input);
    if (created) return c.json(applicationOut(created), 201);

    // The only unique constraint an insert can hit is (org, uid).
    const existing = input.uid ? await findApplication(deps.db, principal.orgId, input.uid) : undefined;
    if (existing && c.req.valid('query').get_if_exists === 'true') return c.json(applicationOut(existing), 200);
    throw new HeraldError('conflict', `an application with uid "${input.uid}" already exists`);
  });
}
