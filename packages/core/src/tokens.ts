import { createHash, randomBytes } from 'node:crypto';

const TOKEN_PREFIX = 'hk_';

/** 32 random bytes: high entropy, so a fast digest is enough to store it (DESIGN.md, security model). */
export function newApiToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** Dashboard session tokens get their own prefix, so the authenticator knows where to look them up. */
export const SESSION_TOKEN_PREFIX = 'hsess_';

/** 32 random bytes, like an API key, and stored the same way: its SHA-256 digest only. */
export function newSessionToken(): string {
  return `${SESSION_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function digestToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** What a listing shows so a person can tell keys apart without seeing them. */
export function tokenHint(token: string): string {
  return `${token.slice(0, TOKEN_PREFIX.length + 4)}…`;
}
