import { noNul } from '@herald/core';
import { createOrganization, listOrganizations, organizationOut } from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { requireRootScope } from '../../tenancy';
import { errorResponses, ListQuerySchema, listResponse } from '../schemas';

const OrganizationIn = z
  .strictObject({ name: z.string().trim().min(1).max(256).refine(noNul, 'must not contain NUL characters') })
  .openapi('OrganizationIn');
const OrganizationOut = z
  .object({ id: z.string(), name: z.string(), createdAt: z.string(), updatedAt: z.string() })
  .openapi('OrganizationOut');

const create = createRoute({
  method: 'post',
  path: '/api/v1/organization',
  tags: ['Organization (Herald)'],
  summary: 'Create an organization (root key only)',
  request: { body: { required: true, content: { 'application/json': { schema: OrganizationIn } } } },
  responses: { 201: { description: 'Created', content: { 'application/json': { schema: OrganizationOut } } }, ...errorResponses },
});

const list = createRoute({
  method: 'get',
  path: '/api/v1/organization',
  tags: ['Organization (Herald)'],
  summary: 'List organizations (root key only)',
  request: { query: ListQuerySchema },
  responses: {
    200: {
      description: 'A page',
      content: { 'application/json': { schema: listResponse(OrganizationOut, 'ListResponseOrganizationOut') } },
    },
    ...errorResponses,
  },
});

/** Herald extension: tenants are created by the installation's root key. */
export function registerOrganizationRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(create, async (c) => {
    requireRootScope(c.get('principal'));
    const row = await createOrganization(deps.db, c.req.valid('json'));
    return c.json(organizationOut(row), 201);
  });
  app.openapi(list, async (c) => {
    requireRootScope(c.get('principal'));
    return c.json(await listOrganizations(deps.db, c.req.valid('query')), 200);
  });
}
