import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createLogger, createRepeatedLog, HeraldError } from '@herald/core';
import { createPayloadSchemaChecker } from '@herald/db';
import { createDispatcher } from '@herald/services';
import { serveStatic } from '@hono/node-server/serve-static';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ApiDeps, ApiEnv } from './context';
import { toErrorResponse, validationError } from './errors';
import { createAuthenticator } from './middleware/auth';
import { idempotency } from './middleware/idempotency';
import { checkedJsonBody } from './middleware/json-body';
import { refuseNulInUrl, requestContext } from './middleware/request-id';
import { securityHeaders } from './middleware/security-headers';
import { documentApi } from './openapi-docs';
import { createRouteTable, withoutTrailingSlash } from './route-table';
import { registerApiKeyRoutes } from './routes/api-keys';
import { registerApplicationRoutes } from './routes/applications';
import { registerAttemptRoutes } from './routes/attempts';
import { registerAuthRoutes } from './routes/auth';
import { registerApiReference } from './routes/docs';
import { registerEndpointRoutes } from './routes/endpoints';
import { registerEventTypeRoutes } from './routes/event-types';
import { registerHealth } from './routes/health';
import { registerMessageRoutes } from './routes/messages';
import { registerMetrics } from './routes/metrics';
import { registerOperationRoutes } from './routes/operations';
import { registerOperatorRoutes } from './routes/operators';
import { registerOrganizationRoutes } from './routes/organizations';
import { registerReplayRoutes } from './routes/replays';
import { registerStatsRoutes } from './routes/stats';
import { registerStreamRoutes } from './routes/streams';
import { requireWritable } from './tenancy';

/** Routes under /api/v1 that answer without an API key or session (sign-in makes the session). */
const PUBLIC_API_PATHS = new Set([
  '/api/v1/health',
  '/api/v1/health/ping',
  '/api/v1/auth/login',
  '/api/v1/openapi.json',
  '/api/v1/docs',
  '/api/v1/docs/swagger-ui.css',
  '/api/v1/docs/swagger-ui-bundle.js',
  '/api/v1/docs/reference.js',
]);

export function createApp(appDeps: ApiDeps) {
  const log = createLogger('api', appDeps.config.logLevel);
  const deps: ApiDeps = {
    ...appDeps,
    dispatcher: appDeps.dispatcher ?? createDispatcher(appDeps.db, appDeps.queue, log),
    payloadSchemas: appDeps.payloadSchemas ?? createPayloadSchemaChecker(appDeps.db),
  };
  const app = new OpenAPIHono<ApiEnv>({
    // `/api/v1/app/` is `/api/v1/app`, as in Svix (its documentation's examples end paths with a slash).
    strict: false,
    // Every zod rejection (body, query, path) becomes the one 422 shape naming the field.
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.target === 'json' ? 'body' : result.target, result.error);
    },
  });

  app.use('*', securityHeaders);
  app.use('*', requestContext(log));
  app.use('/api/*', refuseNulInUrl);
  const tooLarge = () => new HeraldError('payload_too_large', `request body exceeds ${deps.config.maxBodyBytes} bytes`);
  const countingLimit = bodyLimit({
    maxSize: deps.config.maxBodyBytes,
    onError: () => {
      throw tooLarge();
    },
  });
  // A declared Content-Length is checked as a number: Node's HTTP parser reads exactly that many
  // bytes, so nothing longer can follow. Only a body without one (chunked) goes through hono's
  // counting limit, which wraps the request in a WHATWG Request: on every ingest that was 7 % of
  // the API's CPU (BENCHMARKS.md).
  app.use('/api/*', async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const declared = c.req.header('content-length');
    if (declared !== undefined && /^\d{1,15}$/.test(declared)) {
      if (Number(declared) > deps.config.maxBodyBytes) throw tooLarge();
      return next();
    }
    return countingLimit(c, next);
  });
  const authenticator = createAuthenticator(deps.db);
  const isPublic = (path: string) => PUBLIC_API_PATHS.has(withoutTrailingSlash(path));
  app.use('/api/v1/*', async (c, next) => (isPublic(c.req.path) ? next() : authenticator.middleware(c, next)));
  app.use('/api/v1/*', async (c, next) => {
    requireWritable(c.get('principal'), c.req.method);
    await next();
  });
  // A body the operation requires is there, and a body sent is JSON (415), before anything reads it.
  const routeTable = createRouteTable(app);
  app.use('/api/v1/*', routeTable.checkDeclaredBody);
  // After authentication (strangers' bodies are not read), before idempotency (which hashes the body text).
  app.use('/api/*', checkedJsonBody);
  const replayable = idempotency(deps.db);
  app.use('/api/v1/*', async (c, next) => (isPublic(c.req.path) ? next() : replayable(c, next)));

  registerHealth(app, deps);
  registerApplicationRoutes(app, deps);
  registerEventTypeRoutes(app, deps);
  registerEndpointRoutes(app, deps);
  registerMessageRoutes(app, deps);
  registerAttemptRoutes(app, deps);
  registerStatsRoutes(app, deps);
  registerStreamRoutes(app, deps);
  registerOperationRoutes(app, deps);
  registerReplayRoutes(app, deps);
  registerAuthRoutes(app, deps, authenticator);
  registerOrganizationRoutes(app, deps);
  registerApiKeyRoutes(app, deps);
  registerOperatorRoutes(app, deps, authenticator);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  let document: unknown;
  app.get('/api/v1/openapi.json', (c) => {
    // Built once: the routes do not change after start.
    document ??= documentApi(
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'Herald API',
          version: '1',
          description:
            'Webhook and event delivery; Svix-compatible core under /api/v1. Authenticate with `Authorization: Bearer <key>` ' +
            '(the root key is printed at first start, or set by HERALD_ADMIN_TOKEN). Send bodies as JSON with ' +
            '`content-type: application/json`. Every error has the same shape: `code`, `detail`, `requestId`, and `errors` naming each failing field.',
        },
        security: [{ bearer: [] }],
      }),
    );
    return c.json(document as Record<string, unknown>);
  });

  registerApiReference(app);
  registerMetrics(app, deps);

  app.all('/api/*', (c) => {
    const error = routeTable.noRoute(c.req.method, c.req.path);
    if (error.code === 'method_not_allowed') c.header('allow', routeTable.allowed(c.req.path).join(', '));
    throw error;
  });
  if (deps.dashboardDir) mountDashboard(app, deps.dashboardDir);

  const logOf = (c: Context<ApiEnv>) => c.get('log') ?? log;
  const repeated = createRepeatedLog(log);
  const errorLogOf = (c: Context<ApiEnv>) => ({
    error: (message: string, fields: Record<string, unknown>) => logOf(c).error(message, fields),
    unavailable: repeated.warn,
  });
  app.notFound((c) => toErrorResponse(new HeraldError('not_found', `no route for ${c.req.method} ${c.req.path}`), c, errorLogOf(c)));
  app.onError((error, c) => toErrorResponse(error, c, errorLogOf(c)));
  return Object.assign(app, { dispatcher: deps.dispatcher! });
}

/** The dashboard is a single-page app: unknown paths get its index.html. */
function mountDashboard(app: OpenAPIHono<ApiEnv>, dir: string) {
  const root = relative(process.cwd(), dir) || '.';
  app.use('/*', serveStatic({ root }));
  app.get('/*', async (c) => {
    const index = join(dir, 'index.html');
    if (!existsSync(index)) {
      return c.html('<!doctype html><title>Herald</title><p>The dashboard is not built yet: run <code>npm run build</code>.</p>', 503);
    }
    return c.html(await readFile(index, 'utf8'));
  });
}
