import { digestToken, HeraldError } from '@herald/core';
import { type Database, findApiKeyByDigest } from '@herald/db';
import { createMiddleware } from 'hono/factory';
import type { ApiEnv, Principal } from '../context';

/**
 * How long a key lookup is trusted. Revocation must take effect within a second
 * on every API process, and each process keeps its own cache, so one second it is.
 */
const CACHE_TTL_MS = 1000;
const CACHE_MAX_ENTRIES = 10_000;
const TOKEN_SHAPE = /^[A-Za-z0-9._~+/=-]{16,512}$/;

interface CacheEntry {
  principal: Principal | null;
  expiresAt: number;
}

export function createAuthenticator(db: Database) {
  const cache = new Map<string, CacheEntry>();

  async function resolve(token: string): Promise<Principal | null> {
    const digest = digestToken(token);
    const now = Date.now();
    const cached = cache.get(digest);
    if (cached && cached.expiresAt > now) return cached.principal;

    const key = await findApiKeyByDigest(db, digest);
    const valid = key && !key.revokedAt && (!key.expiresAt || key.expiresAt.getTime() > now);
    const principal: Principal | null = valid ? { keyId: key.id, orgId: key.orgId, scope: key.scope, appId: key.appId } : null;
    if (cache.size >= CACHE_MAX_ENTRIES) cache.clear();
    cache.set(digest, { principal, expiresAt: now + CACHE_TTL_MS });
    return principal;
  }

  return createMiddleware<ApiEnv>(async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) throw new HeraldError('unauthorized', 'missing Authorization header; send "Authorization: Bearer <api key>"');
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match?.[1] || !TOKEN_SHAPE.test(match[1])) {
      throw new HeraldError('unauthorized', 'malformed Authorization header; send "Authorization: Bearer <api key>"');
    }
    const principal = await resolve(match[1]);
    if (!principal) throw new HeraldError('unauthorized', 'invalid, expired or revoked API key');
    c.set('principal', principal);
    await next();
  });
}
