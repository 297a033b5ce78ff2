import { HeraldError } from '@herald/core';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import type { ApiEnv } from './context';

interface Operation {
  method: string;
  pattern: RegExp;
  bodyRequired: boolean;
  /** The operation takes a JSON body (required or not). */
  takesBody: boolean;
}

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;
export const JSON_HINT = 'send content-type: application/json';

/** Svix trims one trailing slash; so does every comparison here. */
export const withoutTrailingSlash = (path: string) => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);

/**
 * What the OpenAPI document declares, read back from the registry once every
 * route is registered: which methods a path answers, and which operations
 * require a body. The document is the contract, so the checks below follow it
 * rather than a second list kept by hand.
 */
export function createRouteTable(app: OpenAPIHono<ApiEnv>) {
  let operations: Operation[] | undefined;
  const load = (): Operation[] => {
    operations ??= app.openAPIRegistry.definitions.flatMap((definition) => {
      if (definition.type !== 'route') return [];
      const { method, path, request } = definition.route;
      const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^/}]+\}/g, '[^/]+');
      return [
        {
          method: method.toUpperCase(),
          pattern: new RegExp(`^${source}$`),
          bodyRequired: request?.body?.required === true,
          takesBody: request?.body !== undefined,
        },
      ];
    });
    return operations;
  };
  const matching = (path: string) => load().filter((operation) => operation.pattern.test(withoutTrailingSlash(path)));

  /** Answers the methods this path takes; empty when no operation has this path. */
  const allowed = (path: string): string[] => {
    const methods = new Set(matching(path).map((operation) => operation.method));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };

  /**
   * Bodies as the document declares them. hono's validator reads a missing
   * body, or one of another media type, as `{}`, which every all-optional
   * PATCH schema accepts: a required body must be there, and a body sent
   * must be JSON.
   */
  const checkDeclaredBody = createMiddleware<ApiEnv>(async (c, next) => {
    const method = c.req.method;
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      const empty = c.req.header('transfer-encoding') === undefined && (c.req.header('content-length') ?? '0') === '0';
      const json = JSON_MEDIA_TYPE.test(c.req.header('content-type') ?? '');
      // A JSON body is what every operation that takes one wants: only the other cases look the operation up.
      if (!empty && json) return next();
      const operation = matching(c.req.path).find((candidate) => candidate.method === method);
      if (operation?.takesBody && !empty && !json) {
        throw new HeraldError('unsupported_media_type', `the body must be JSON; ${JSON_HINT}`);
      }
      if (operation?.bodyRequired && empty) {
        throw new HeraldError('validation', `body: is required; send a JSON object with ${JSON_HINT.replace('send ', '')}`, [
          { path: 'body', message: 'is required' },
        ]);
      }
    }
    await next();
  });

  /** The API's last handler: 405 with Allow for a known path, 404 for an unknown one. */
  const noRoute = (method: string, path: string): HeraldError => {
    const methods = allowed(path);
    if (methods.length > 0 && !methods.includes(method)) {
      return new HeraldError('method_not_allowed', `${method} is not allowed on ${path}; allowed: ${methods.join(', ')}`);
    }
    return new HeraldError('not_found', `no route for ${method} ${path}`);
  };

  return { allowed, checkDeclaredBody, noRoute };
}
