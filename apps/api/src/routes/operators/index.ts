import { HeraldError, notFound } from '@herald/core';
import { createOperator, deleteOperator, listOperators, operatorOut } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import type { Authenticator } from '../../middleware/auth';
import { requireOrgAdmin } from '../../tenancy';
import { conflictResponse, errorResponses, ListQuerySchema, listResponse, noContent, notFoundResponse } from '../schemas';
import { OperatorIdParam, OperatorInSchema, OperatorOutSchema } from './schemas';

const TAGS = ['Operator (Herald)'];
const WHO = 'Admin operators, and organization or root API keys; members and app-scoped keys get 403.';

const list = createRoute({
  method: 'get',
  path: '/api/v1/operator',
  tags: TAGS,
  summary: "List the organization's dashboard operators",
  description: WHO,
  request: { query: ListQuerySchema },
  responses: {
    200: { description: 'A page', content: { 'application/json': { schema: listResponse(OperatorOutSchema, 'ListResponseOperatorOut') } } },
    ...errorResponses,
  },
});

const create = createRoute({
  method: 'post',
  path: '/api/v1/operator',
  tags: TAGS,
  summary: 'Add a dashboard operator to the organization',
  description: `${WHO} Emails are unique across the installation (they are the sign-in name); a taken one answers 409.`,
  request: { body: { required: true, content: { 'application/json': { schema: OperatorInSchema } } } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: OperatorOutSchema } } },
    409: conflictResponse('The email is taken'),
    ...errorResponses,
  },
});

const remove = createRoute({
  method: 'delete',
  path: '/api/v1/operator/{operator_id}',
  tags: TAGS,
  summary: 'Remove an operator; its sessions stop working on every API process within a second',
  description: `${WHO} An operator cannot remove itself, and the organization's last admin cannot be removed (409).`,
  request: { params: OperatorIdParam },
  responses: {
    204: noContent,
    404: notFoundResponse('operator'),
    409: conflictResponse('Yourself, or the last admin'),
    ...errorResponses,
  },
});

/** Dashboard operators of the caller's organization (docs/api.md, "Operator authentication"). */
export function registerOperatorRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps, authenticator: Authenticator) {
  app.openapi(list, async (c) => {
    const principal = c.get('principal');
    requireOrgAdmin(principal);
    return c.json(await listOperators(deps.db, principal.orgId, c.req.valid('query')), 200);
  });

  app.openapi(create, async (c) => {
    const principal = c.get('principal');
    requireOrgAdmin(principal);
    const input = c.req.valid('json');
    const row = await createOperator(deps.db, { orgId: principal.orgId, ...input });
    if (!row) throw new HeraldError('conflict', `an operator with email "${input.email}" already exists`);
    return c.json(operatorOut(row), 201);
  });

  app.openapi(remove, async (c) => {
    const principal = c.get('principal');
    requireOrgAdmin(principal);
    const { operator_id } = c.req.valid('param');
    if (principal.operator?.id === operator_id) {
      throw new HeraldError('conflict', 'you cannot remove yourself; another admin can');
    }
    const result = await deleteOperator(deps.db, principal.orgId, operator_id);
    if (result === 'not_found') throw notFound('operator');
    if (result === 'last_admin') {
      throw new HeraldError('conflict', "this is the organization's last admin; add another admin before removing it");
    }
    authenticator.forget((cached) => cached.operator?.id === operator_id);
    return c.body(null, 204);
  });
}
