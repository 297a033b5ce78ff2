import { HeraldError } from '@herald/core';
import {
  clearLoginFailures,
  createOperatorSession,
  deleteExpiredOperatorSessions,
  deleteOperatorSession,
  findOperator,
  findOperatorByEmail,
  operatorOut,
  purgeLoginFailures,
  recordSignIn,
  registerLoginAttempt,
  verifyPassword,
} from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { createClientAddress } from '../../client-address';
import type { ApiDeps, ApiEnv } from '../../context';
import type { Authenticator } from '../../middleware/auth';
import { LoginInSchema, LoginOutSchema, WhoamiOutSchema } from '../operators/schemas';
import { ErrorOut, errorResponses, noContent } from '../schemas';
import { createClientLimit } from './client-limit';

/** Sign-in attempts one client address may make per minute on one API process, unless the deps say otherwise. */
export const LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE = 30;

/** How often a process clears ended lockout windows (of any email, existing or not). */
const PURGE_EVERY_MS = 60_000;

const errorContent = { 'application/json': { schema: ErrorOut } };

const login = createRoute({
  method: 'post',
  path: '/api/v1/auth/login',
  tags: ['Authentication'],
  summary: 'Sign in to the dashboard with email and password; returns a session token',
  description:
    'No Authorization header. The token (`hsess_…`) is sent as `Authorization: Bearer <token>` and works on every ' +
    'organization route until `expiresAt` (HERALD_SESSION_TTL_S, 12 h by default), sign-out, or the operator is removed. ' +
    'Wrong email and wrong password answer the same 401. After HERALD_LOGIN_MAX_FAILURES failures for one email from one ' +
    'client address within 15 minutes (other addresses can still sign in; behind a proxy, see HERALD_TRUSTED_PROXIES), ' +
    `or more than ${LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE} attempts a minute from one address, 429 with Retry-After.`,
  security: [],
  request: { body: { required: true, content: { 'application/json': { schema: LoginInSchema } } } },
  responses: {
    200: { description: 'Signed in', content: { 'application/json': { schema: LoginOutSchema } } },
    400: errorResponses[400],
    401: { description: 'Email or password is incorrect (`invalid_credentials`)', content: errorContent },
    415: errorResponses[415],
    422: errorResponses[422],
    429: { description: 'Too many attempts (`rate_limited`); see Retry-After', content: errorContent },
    431: errorResponses[431],
  },
});

const logout = createRoute({
  method: 'post',
  path: '/api/v1/auth/logout',
  tags: ['Authentication'],
  summary: 'Sign out: the session token stops working on every API process within a second',
  description: 'With an API key instead of a session token this does nothing (keys are revoked with `DELETE /api/v1/api-key/{key_id}`).',
  responses: { 204: noContent, ...errorResponses },
});

const whoami = createRoute({
  method: 'get',
  path: '/api/v1/auth/whoami',
  tags: ['Authentication'],
  summary: 'The credential in use: operator session or API key, its organization, scope and application',
  responses: { 200: { description: 'The caller', content: { 'application/json': { schema: WhoamiOutSchema } } }, ...errorResponses },
});

const tooMany = (detail: string, retryAfterS: number) =>
  new HeraldError('rate_limited', `${detail}; retry in ${retryAfterS} s`, undefined, { retryAfterS });

/** Operator sign-in, sign-out and "who am I" (docs/api.md, "Operator authentication"). */
export function registerSessionRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps, authenticator: Authenticator) {
  const perClient = createClientLimit({ perMinute: deps.loginAttemptsPerClientPerMinute ?? LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE });
  const { loginMaxFailures, sessionTtlS } = deps.config.operators;
  const clientAddress = createClientAddress(deps.config.trustedProxies);
  let lastPurge = 0;

  app.openapi(login, async (c) => {
    const client = clientAddress(c);
    const wait = perClient.take(client);
    if (wait > 0) throw tooMany('too many sign-in attempts from this address', wait);
    const { email, password } = c.req.valid('json');
    // Counted before the password is checked, so parallel guesses cannot exceed the limit.
    const attempt = await registerLoginAttempt(deps.db, email, client, loginMaxFailures);
    if (!attempt.allowed) throw tooMany('too many failed sign-ins for this account', attempt.retryAfterS);

    const operator = await findOperatorByEmail(deps.db, email);
    // Without an operator this still runs one verify (against a dummy hash): same time either way.
    const correct = await verifyPassword(operator?.passwordHash, password);
    if (!operator || !correct) {
      const now = Date.now();
      if (now - lastPurge > PURGE_EVERY_MS) {
        lastPurge = now;
        // Housekeeping only: a failure is retried at the next purge.
        purgeLoginFailures(deps.db).catch(() => {});
      }
      throw new HeraldError('invalid_credentials', 'email or password is incorrect');
    }

    await clearLoginFailures(deps.db, email, client);
    const signedIn = await recordSignIn(deps.db, operator.id);
    // Removed between the password check and here: as if it had never existed.
    if (!signedIn) throw new HeraldError('invalid_credentials', 'email or password is incorrect');
    await deleteExpiredOperatorSessions(deps.db, operator.id);
    const { session, token } = await createOperatorSession(deps.db, operator, sessionTtlS);
    c.header('cache-control', 'no-store');
    return c.json({ token, expiresAt: session.expiresAt.toISOString(), operator: operatorOut(signedIn) }, 200);
  });

  app.openapi(logout, async (c) => {
    const principal = c.get('principal');
    if (principal.kind === 'operator') {
      await deleteOperatorSession(deps.db, principal.credentialId);
      authenticator.forget((cached) => cached.credentialId === principal.credentialId);
    }
    return c.body(null, 204);
  });

  app.openapi(whoami, async (c) => {
    const principal = c.get('principal');
    let operator = null;
    if (principal.operator) {
      const row = await findOperator(deps.db, principal.orgId, principal.operator.id);
      // Removed within the last second, before the cache noticed.
      if (!row) throw new HeraldError('unauthorized', 'invalid session, sign in again');
      operator = operatorOut(row);
    }
    return c.json(
      {
        kind: principal.kind,
        orgId: principal.orgId,
        scope: principal.scope,
        appId: principal.appId,
        operator,
        expiresAt: principal.expiresAt?.toISOString() ?? null,
      },
      200,
    );
  });
}
