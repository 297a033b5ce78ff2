import { HeraldError, noNul, notFound } from '@herald/core';
import { apiKeyOut, findApiKey, findOrganization, issueApiKey, listApiKeys, revokeApiKey } from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv, Principal } from '../../context';
import { requireOrgAdmin, resolveApplication } from '../../tenancy';
import { errorResponses, ListQuerySchema, listResponse, noContent, notFoundResponse } from '../schemas';

const ApiKeyIn = z
  .strictObject({
    name: z.string().trim().min(1).max(256).refine(noNul, 'must not contain NUL characters'),
    scope: z.enum(['org', 'app']),
    /** For scope `app`: the application (id or uid) the key is limited to. */
    appId: z.string().min(1).max(256).optional(),
    /** Root key only: issue the key in another organization. */
    orgId: z.string().min(1).max(64).optional(),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .openapi('ApiKeyIn');

const ApiKeyOut = z
  .object({
    id: z.string(),
    orgId: z.string(),
    appId: z.string().nullable(),
    scope: z.enum(['root', 'org', 'app']),
    name: z.string(),
    hint: z.string(),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    /** Issued by POST /auth/app-portal-access rather than POST /api-key. */
    portal: z.boolean(),
    readOnly: z.boolean(),
    /** Who issued a portal token; it works only while they do. Null for keys issued on /api-key. */
    issuedBy: z.object({ kind: z.enum(['operator', 'api_key']), id: z.string() }).nullable(),
  })
  .openapi('ApiKeyOut');

const ApiKeyCreatedOut = ApiKeyOut.extend({ token: z.string() }).openapi('ApiKeyCreatedOut');

const create = createRoute({
  method: 'post',
  path: '/api/v1/api-key',
  tags: ['API key (Herald)'],
  summary: 'Issue an organization-wide or app-scoped API key; the token is shown once',
  request: { body: { required: true, content: { 'application/json': { schema: ApiKeyIn } } } },
  responses: {
    201: { description: 'Issued', content: { 'application/json': { schema: ApiKeyCreatedOut } } },
    404: notFoundResponse('organization or application'),
    ...errorResponses,
  },
});

const list = createRoute({
  method: 'get',
  path: '/api/v1/api-key',
  tags: ['API key (Herald)'],
  summary: "List the organization's API keys (never their tokens)",
  request: { query: ListQuerySchema },
  responses: {
    200: { description: 'A page', content: { 'application/json': { schema: listResponse(ApiKeyOut, 'ListResponseApiKeyOut') } } },
    ...errorResponses,
  },
});

const revoke = createRoute({
  method: 'delete',
  path: '/api/v1/api-key/{key_id}',
  tags: ['API key (Herald)'],
  summary: 'Revoke an API key; every API process refuses it within a second',
  request: { params: z.object({ key_id: z.string().min(1).max(64) }) },
  responses: { 204: noContent, 404: notFoundResponse('API key'), ...errorResponses },
});

/** The organization a key is issued in: the caller's own, or for the root key any existing one. */
async function targetOrganization(deps: ApiDeps, principal: Principal, orgId: string | undefined): Promise<string> {
  if (orgId === undefined || orgId === principal.orgId) return principal.orgId;
  if (principal.scope !== 'root') throw notFound('organization');
  if (!(await findOrganization(deps.db, orgId))) throw notFound('organization');
  return orgId;
}

export function registerApiKeyRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(create, async (c) => {
    const principal = c.get('principal');
    requireOrgAdmin(principal);
    const input = c.req.valid('json');
    const orgId = await targetOrganization(deps, principal, input.orgId);
    let appId: string | null = null;
    if (input.scope === 'app') {
      if (!input.appId)
        throw new HeraldError('validation', 'body.appId: required for an app-scoped key', [
          { path: 'body.appId', message: 'required for scope "app"' },
        ]);
      appId = (await resolveApplication(deps.db, { ...principal, orgId }, input.appId)).id;
    } else if (input.appId) {
      throw new HeraldError('validation', 'body.appId: only app-scoped keys name an application', [
        { path: 'body.appId', message: 'only for scope "app"' },
      ]);
    }
    const { key, token } = await issueApiKey(deps.db, {
      orgId,
      scope: input.scope,
      appId,
      name: input.name,
      expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
    });
    return c.json({ ...apiKeyOut(key), token }, 201);
  });

  app.openapi(list, async (c) => {
    const principal = c.get('principal');
    requireOrgAdmin(principal);
    return c.json(await listApiKeys(deps.db, principal.orgId, c.req.valid('query')), 200);
  });

  app.openapi(revoke, async (c) => {
    const principal = c.get('principal');
    requireOrgAdmin(principal);
    const key = await findApiKey(deps.db, principal.orgId, c.req.valid('param').key_id);
    if (!key) throw notFound('API key');
    // Only the root key may revoke a root key, so an org key cannot lock the installation out.
    if (key.scope === 'root' && principal.scope !== 'root') throw new HeraldError('forbidden', 'only the root key may revoke a root key');
    await revokeApiKey(deps.db, principal.orgId, key.id);
    return c.body(null, 204);
  });
}
