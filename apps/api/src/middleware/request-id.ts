import { randomBytes } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import type { ApiEnv } from '../context';

const INCOMING = /^[A-Za-z0-9._-]{8,64}$/;

/** Every response names its request, so a user's report can be matched to a log line. */
export const requestId = createMiddleware<ApiEnv>(async (c, next) => {
  const incoming = c.req.header('x-request-id');
  const id = incoming && INCOMING.test(incoming) ? incoming : `req_${randomBytes(12).toString('base64url')}`;
  c.set('requestId', id);
  c.header('x-request-id', id);
  await next();
});
