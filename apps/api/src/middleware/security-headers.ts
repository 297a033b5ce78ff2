import { createMiddleware } from 'hono/factory';
import type { ApiEnv } from '../context';

/**
 * Pages (the dashboard, the API reference) load only their own scripts, and
 * no other site may frame them: the dashboard keeps its session token in
 * localStorage, so an injected script or a clickjacking frame would act as
 * the operator. Styles may be inline because MUI (emotion) and Swagger UI
 * write `<style>` elements at run time; images and fonts may be data: URLs,
 * which both bundle.
 */
const PAGE_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** JSON, event streams, metrics: nothing in them is ever rendered as a page. */
const DATA_POLICY = "default-src 'none'; frame-ancestors 'none'";

/** On every answer, errors and 404s included, whatever route made it. */
export const securityHeaders = createMiddleware<ApiEnv>(async (c, next) => {
  await next();
  const headers = c.res.headers;
  const isPage = /^text\/html/i.test(headers.get('content-type') ?? '');
  headers.set('content-security-policy', isPage ? PAGE_POLICY : DATA_POLICY);
  headers.set('x-frame-options', 'DENY');
  headers.set('x-content-type-options', 'nosniff');
  headers.set('referrer-policy', 'no-referrer');
  headers.set('cross-origin-opener-policy', 'same-origin');
});
