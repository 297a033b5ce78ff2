import { createHash } from 'node:crypto';
import { HeraldError } from '@herald/core';
import { claimIdempotencyKey, completeIdempotencyKey, type Database, releaseIdempotencyKey } from '@herald/db';
import { createMiddleware } from 'hono/factory';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ApiEnv } from '../context';

const KEY_SHAPE = /^[\x21-\x7e]{1,256}$/;

/**
 * `idempotency-key` on a POST: the first response (2xx or 4xx) is stored and
 * replayed for the same key for 24 hours; the same key with a different
 * request is refused, and so is a second request while the first still runs.
 * A 5xx is not stored, so a retry gets a real second try. (The svix client
 * sends a key on every POST and reuses it when it retries.)
 */
export function idempotency(db: Database) {
  return createMiddleware<ApiEnv>(async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (c.req.method !== 'POST' || key === undefined) return next();
    if (!KEY_SHAPE.test(key)) {
      throw new HeraldError('bad_request', 'idempotency-key must be 1 to 256 printable ASCII characters');
    }
    const { orgId } = c.get('principal');
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
