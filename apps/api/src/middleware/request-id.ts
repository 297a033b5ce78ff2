import { HeraldError, type Logger, randomBase64Url } from '@herald/core';
import { createMiddleware } from 'hono/factory';
import type { ApiEnv } from '../context';

const INCOMING = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Every response names its request, and every log line written while serving it
 * carries the same id (`c.var.log`), so a user's report can be matched to the logs.
 */
export const requestContext = (log: Logger) =>
  createMiddleware<ApiEnv>(async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const id = incoming && INCOMING.test(incoming) ? incoming : `req_${randomBase64Url(12)}`;
    c.set('requestId', id);
    c.set('log', log.child({ requestId: id }));
    c.header('x-request-id', id);
    await next();
  });

/**
 * No NUL byte in a path or query: PostgreSQL cannot store or compare one, and
 * no id, uid, name or cursor of Herald's contains it. One check here answers
 * every route alike, before any lookup.
 */
export const refuseNulInUrl = createMiddleware<ApiEnv>(async (c, next) => {
  if (/%00/.test(c.req.url)) throw new HeraldError('bad_request', 'the URL contains a NUL character (%00)');
  await next();
});
