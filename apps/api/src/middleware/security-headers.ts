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

/** What every answer carries besides its policy. */
const COMMON = {
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** The headers of an answer that is not a page; also written by the server for requests Node cannot parse. */
export const DATA_HEADERS: Readonly<Record<string, string>> = { 'content-security-policy': DATA_POLICY, ...COMMON };

/** On every answer, errors and 404s included, whatever route made it. */
export const securityHeaders = createMiddleware<ApiEnv>(async (c, next) => {
  await next();
  const headers = c.res.headers;
  const isPage = /^text\/html/i.test(headers.get('content-type') ?? '');
  headers.set('content-security-policy', isPage ? PAGE_POLICY : DATA_POLICY);
  for (const [name, value] of Object.entries(COMMON)) headers.set(name, value);
});
