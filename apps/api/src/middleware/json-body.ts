import { HeraldError, inspectJsonText } from '@herald/core';
import { createMiddleware } from 'hono/factory';
import type { ApiEnv } from '../context';

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

/**
 * Every JSON body is read here once, before any route: as strict UTF-8 (a
 * byte that is not would otherwise become U+FFFD without a word), then
 * inspected for what PostgreSQL cannot store (400) or what would be stored
 * changed (422); see json-text.ts. The text is left in hono's body cache, so
 * the route's validator parses it without reading the request again.
 */
export const checkedJsonBody = createMiddleware<ApiEnv>(async (c, next) => {
  const method = c.req.method;
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
  if (!JSON_TYPE.test(c.req.header('content-type') ?? '')) return next();
  const bytes = await c.req.arrayBuffer();
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes);
  } catch {
    throw new HeraldError('bad_request', 'the request body is not valid UTF-8', [{ path: 'body', message: 'is not valid UTF-8' }]);
  }
  const problem = inspectJsonText(text);
  if (problem) {
    const field = ['body', ...problem.path].join('.');
    const code = problem.kind === 'unstorable' ? 'bad_request' : 'validation';
    throw new HeraldError(code, `${field}: ${problem.message}`, [{ path: field, message: problem.message }]);
  }
  // hono keeps promises in its body cache (its type says otherwise).
  (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text);
  await next();
});
