import { HeraldError, isId, noNul } from '@herald/core';
import { findApplication, insertApplication, issueApiKey, revokeApplicationKeys } from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import type { Authenticator } from '../../middleware/auth';
import { requireOrgScope, resolveApplication } from '../../tenancy';
import { ApplicationInSchema, errorResponses, noContent, notFoundResponse } from '../schemas';
import { registerSessionRoutes } from './session';

const DEFAULT_PORTAL_EXPIRY_S = 7 * 24 * 3600;

const AppPortalAccessIn = z
  .strictObject({
    application: z.union([ApplicationInSchema, z.null()]).optional(),
    expiry: z.number().int().min(3600).max(DEFAULT_PORTAL_EXPIRY_S).nullish(),
    // Accepted for client compatibility; a portal token grants the app's whole surface, or reads only with readOnly.
    capabilities: z.array(z.string().max(64)).max(16).nullish(),
    featureFlags: z.array(z.string().max(256).refine(noNul)).max(64).nullish(),
    readOnly: z.boolean().nullish(),
    sessionId: z.string().max(256).refine(noNul).nullish(),
  })
  .openapi('AppPortalAccessIn');

const AppPortalAccessOut = z.object({ token: z.string(), url: z.string() }).openapi('AppPortalAccessOut');

const portalAccess = createRoute({
  method: 'post',
  path: '/api/v1/auth/app-portal-access/{app_id}',
  tags: ['Authentication'],
  summary: "An app-scoped token and dashboard URL for one application's subscriber",
  request: {
    params: z.object({ app_id: z.string().min(1).max(256) }),
    body: { required: false, content: { 'application/json': { schema: AppPortalAccessIn } } },
  },
  responses: {
    200: { description: 'Token issued', content: { 'application/json': { schema: AppPortalAccessOut } } },
    404: notFoundResponse('application'),
    ...errorResponses,
  },
});

const expireAll = createRoute({
  method: 'post',
  path: '/api/v1/auth/app/{app_id}/expire-all',
  tags: ['Authentication'],
  summary: 'Expire every app-portal token of an application',
  description:
    'Ends the tokens issued by `POST /api/v1/auth/app-portal-access/{app_id}` for this application, at once or after `expiry` ' +
    'seconds (never later than each token would have expired anyway). App-scoped keys created with `POST /api/v1/api-key` ' +
    'are not portal tokens and keep working: revoke those with `DELETE /api/v1/api-key/{key_id}`.',
  request: {
    params: z.object({ app_id: z.string().min(1).max(256) }),
    body: {
      required: false,
      content: {
        'application/json': {
          schema: z.strictObject({
            expiry: z.number().int().min(0).max(259_200).nullish(),
            sessionIds: z.array(z.string().max(256)).nullish(),
          }),
        },
      },
    },
  },
  responses: { 204: noContent, 404: notFoundResponse('application'), ...errorResponses },
});

export function registerAuthRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps, authenticator: Authenticator) {
  registerSessionRoutes(app, deps, authenticator);
  app.openapi(portalAccess, async (c) => {
    const principal = c.get('principal');
    requireOrgScope(principal);
    const { app_id } = c.req.valid('param');
    const input = c.req.valid('json') ?? {};
    let application = await findApplication(deps.db, principal.orgId, app_id);
    if (!application && input.application && !isId('application', app_id)) {
      application = await insertApplication(deps.db, principal.orgId, { ...input.application, uid: app_id });
    }
    if (!application) application = await resolveApplication(deps.db, principal, app_id);
    const expiry = input.expiry ?? DEFAULT_PORTAL_EXPIRY_S;
    const { token } = await issueApiKey(deps.db, {
      orgId: principal.orgId,
      scope: 'app',
      appId: application.id,
      name: 'app portal',
      expiresAt: new Date(Date.now() + expiry * 1000),
      // Tied to who issued it: removing the operator, or revoking the key, ends the token too.
      portal: {
        readOnly: input.readOnly ?? false,
        issuedByKeyId: principal.kind === 'api_key' ? principal.credentialId : null,
        issuedByOperatorId: principal.operator?.id ?? null,
      },
    });
    // The dashboard reads the token from the fragment, which browsers never send to a server.
    const origin = new URL(c.req.url).origin;
    return c.json({ token, url: `${origin}/#/portal?token=${encodeURIComponent(token)}` }, 200);
  });

  app.openapi(expireAll, async (c) => {
    const principal = c.get('principal');
    requireOrgScope(principal);
    const application = await resolveApplication(deps.db, principal, c.req.valid('param').app_id);
    const input = c.req.valid('json') ?? {};
    if (input.sessionIds?.length) throw new HeraldError('bad_request', 'Herald does not track portal sessions; omit sessionIds');
    await revokeApplicationKeys(deps.db, principal.orgId, application.id, new Date(Date.now() + (input.expiry ?? 0) * 1000));
    return c.body(null, 204);
  });
}
