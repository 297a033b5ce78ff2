import { digestToken, HeraldError, SESSION_TOKEN_PREFIX } from '@herald/core';
import { type Database, findApiKeyByDigest, findOperatorSessionByDigest } from '@herald/db';
import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { ApiEnv, Principal } from '../context';

/**
 * How long a key or session lookup is trusted. Revocation, sign-out and
 * operator removal must take effect within a second on every API process, and
 * each process keeps its own cache, so one second it is.
 */
const CACHE_TTL_MS = 1000;
const CACHE_MAX_ENTRIES = 10_000;
const TOKEN_SHAPE = /^[A-Za-z0-9._~+/=-]{16,512}$/;
const HOW_TO = 'send "Authorization: Bearer <api key or session token>"';

interface CacheEntry {
  principal: Principal | null;
  expiresAt: number;
}

const sessionExpired = (principal: Principal) =>
  principal.kind === 'operator' && principal.expiresAt !== null && principal.expiresAt.getTime() <= Date.now();

export interface Authenticator {
  middleware: MiddlewareHandler<ApiEnv>;
  /** Drops cached credentials on this process at once (sign-out, operator removed); other processes follow within the TTL. */
  forget(matches: (principal: Principal) => boolean): void;
}

/**
 * Bearer tokens: API keys (`hk_…`, or any token registered as HERALD_ADMIN_TOKEN)
 * and operator sessions (`hsess_…`), both looked up by their SHA-256 digest.
 */
export function createAuthenticator(db: Database): Authenticator {
  const cache = new Map<string, CacheEntry>();

  async function lookUp(token: string, digest: string, now: number): Promise<Principal | null> {
    if (token.startsWith(SESSION_TOKEN_PREFIX)) {
      // Expired sessions resolve too, so the answer can say "expired" rather than "invalid".
      const session = await findOperatorSessionByDigest(db, digest);
      if (!session) return null;
      return {
        kind: 'operator',
        credentialId: session.id,
        orgId: session.orgId,
        scope: 'org',
        appId: null,
        operator: { id: session.operatorId, role: session.role },
        readOnly: false,
        expiresAt: session.expiresAt,
      };
    }
    const key = await findApiKeyByDigest(db, digest);
    const live = (revokedAt: Date | null, expiresAt: Date | null) => !revokedAt && (!expiresAt || expiresAt.getTime() > now);
    // A portal token ends with the key that issued it.
    const valid = key && live(key.revokedAt, key.expiresAt) && live(key.issuerRevokedAt, key.issuerExpiresAt);
    if (!valid) return null;
    return {
      kind: 'api_key',
      credentialId: key.id,
      orgId: key.orgId,
      scope: key.scope,
      appId: key.appId,
      operator: null,
      readOnly: key.readOnly,
      expiresAt: key.expiresAt,
    };
  }

  async function resolve(token: string): Promise<Principal | null> {
    const digest = digestToken(token);
    const now = Date.now();
    const cached = cache.get(digest);
    if (cached && cached.expiresAt > now) return cached.principal;
    const principal = await lookUp(token, digest, now);
    if (cache.size >= CACHE_MAX_ENTRIES) cache.clear();
    cache.set(digest, { principal, expiresAt: now + CACHE_TTL_MS });
    return principal;
  }

  const middleware = createMiddleware<ApiEnv>(async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) throw new HeraldError('unauthorized', `missing Authorization header; ${HOW_TO}`);
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match?.[1]) throw new HeraldError('unauthorized', `malformed Authorization header; ${HOW_TO}`);
    const token = match[1];
    // A token of a shape no key has cannot match one: unknown, like any other token no key matches.
    const principal = TOKEN_SHAPE.test(token) ? await resolve(token) : null;
    if (!principal) {
      throw new HeraldError(
        'unauthorized',
        token.startsWith(SESSION_TOKEN_PREFIX)
          ? 'invalid session, sign in again'
          : 'unknown API key: no key matches this token, or it was revoked or has expired; use a key printed at start or created under /api/v1/api-keys',
      );
    }
    // Checked on every request, cached or not: a session ends at its expiry to the second.
    if (sessionExpired(principal)) throw new HeraldError('unauthorized', 'session expired, sign in again');
    c.set('principal', principal);
    c.set('credentialStillValid', async () => {
      const now = await resolve(token);
      return now !== null && !sessionExpired(now);
    });
    await next();
  });

  return {
    middleware,
    forget(matches) {
      for (const [digest, entry] of cache) if (entry.principal && matches(entry.principal)) cache.delete(digest);
    },
  };
}
