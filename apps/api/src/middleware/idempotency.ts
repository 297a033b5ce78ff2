import { createHash } from 'node:crypto';
import { HeraldError } from '@herald/core';
import { claimIdempotencyKey, completeIdempotencyKey, type Database, releaseIdempotencyKey } from '@herald/db';
import { createMiddleware } from 'hono/factory';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ApiEnv } from '../context';

const KEY_SHAPE = /^[\x21-\x7e]{1,256}$/;

/**
 * Responses that carry a freshly issued secret (an API key, an app-portal
 * token) are never stored: a replay store would keep live credentials in
 * plaintext for a day. A retried request there issues another one.
 */
const CARRIES_A_SECRET = [/^\/api\/v1\/api-key$/, /^\/api\/v1\/auth\/app-portal-access\//];

/**
 * `idempotency-key` on a POST: the first response (2xx or 4xx) is stored and
 * replayed for the same key for 24 hours; the same key with a different
 * request is refused, and so is a second request while the first still runs.
 * A 5xx is not stored, so a retry gets a real second try. (The svix client
 * sends a key on every POST and reuses it when it retries.)
 *
 * Keys are scoped to the credential that sent them, not just the organization:
 * a response is replayed only to the key or session that caused it, so a
 * reused key can never hand one caller what only another may see.
 */
export function idempotency(db: Database) {
  return createMiddleware<ApiEnv>(async (c, next) => {
    const sent = c.req.header('idempotency-key');
    if (c.req.method !== 'POST' || sent === undefined) return next();
    if (!KEY_SHAPE.test(sent)) {
      throw new HeraldError('bad_request', 'idempotency-key must be 1 to 256 printable ASCII characters');
    }
    if (CARRIES_A_SECRET.some((path) => path.test(c.req.path))) return next();
    const { orgId, credentialId } = c.get('principal');
    const key = `${credentialId}:${sent}`;
    const body = await c.req.text();
    const digest = createHash('sha256').update(`${c.req.method} ${c.req.path}\n`).update(body).digest('hex');

    const claim = await claimIdempotencyKey(db, orgId, key, digest);
    switch (claim.kind) {
      case 'mismatch':
        throw new HeraldError('conflict', 'this idempotency-key was already used with a different request');
      case 'in_progress':
        throw new HeraldError('conflict', 'a request with this idempotency-key is still being processed; retry later');
      case 'replay':
        c.header('idempotent-replayed', 'true');
        if (claim.statusCode === 204) return c.body(null, 204);
        return c.json(claim.body as object, claim.statusCode as ContentfulStatusCode);
    }

    await next();
    const status = c.res.status;
    if (status >= 500) {
      await releaseIdempotencyKey(db, orgId, key);
      return;
    }
    const text = await c.res.clone().text();
    let stored: unknown = null;
    try {
      stored = text ? JSON.parse(text) : null;
    } catch {
      stored = null;
    }
    await completeIdempotencyKey(db, orgId, key, status, stored);
  });
}
