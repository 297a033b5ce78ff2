import { digestToken, type ListQuery, newApiToken, newId, tokenHint } from '@herald/core';
import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Database } from '../client';
import { apiKeys } from '../schema';
import { keyset, toPage } from './pagination';

export type ApiKeyScope = 'root' | 'org' | 'app';

export interface IssueApiKeyInput {
  orgId: string;
  scope: ApiKeyScope;
  name: string;
  appId?: string | null;
  /** A token chosen by the operator (HERALD_ADMIN_TOKEN); otherwise a random one. */
  token?: string;
  expiresAt?: Date | null;
  /** An app-portal token: tied to its issuer (one of the two below), perhaps read-only. */
  portal?: { readOnly: boolean; issuedByKeyId: string | null; issuedByOperatorId: string | null };
}

/** Returns the token once; only its digest is stored. */
export async function issueApiKey(db: Database, input: IssueApiKeyInput) {
  const token = input.token ?? newApiToken();
  const [key] = await db
    .insert(apiKeys)
    .values({
      id: newId('apiKey'),
      orgId: input.orgId,
      appId: input.appId ?? null,
      scope: input.scope,
      name: input.name,
      digest: digestToken(token),
      hint: tokenHint(token),
      expiresAt: input.expiresAt ?? null,
      portal: input.portal !== undefined,
      readOnly: input.portal?.readOnly ?? false,
      issuedByKeyId: input.portal?.issuedByKeyId ?? null,
      issuedByOperatorId: input.portal?.issuedByOperatorId ?? null,
    })
    .returning();
  return { key: key!, token };
}

const issuer = alias(apiKeys, 'issuer');

/**
 * The key and whether its issuer still stands: a portal token issued by a key
 * works only while that key does (an operator's are deleted with the operator).
 */
export async function findApiKeyByDigest(db: Database, digest: string) {
  const [key] = await db
    .select({
      id: apiKeys.id,
      orgId: apiKeys.orgId,
      appId: apiKeys.appId,
      scope: apiKeys.scope,
      readOnly: apiKeys.readOnly,
      expiresAt: apiKeys.expiresAt,
      revokedAt: apiKeys.revokedAt,
      issuerRevokedAt: issuer.revokedAt,
      issuerExpiresAt: issuer.expiresAt,
    })
    .from(apiKeys)
    .leftJoin(issuer, eq(issuer.id, apiKeys.issuedByKeyId))
    .where(eq(apiKeys.digest, digest))
    .limit(1);
  return key;
}

/** What a listing shows of a key: never the token, never its digest. */
export function apiKeyOut(row: typeof apiKeys.$inferSelect) {
  return {
    id: row.id,
    orgId: row.orgId,
    appId: row.appId,
    scope: row.scope,
    name: row.name,
    hint: row.hint,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    portal: row.portal,
    readOnly: row.readOnly,
    issuedBy: row.issuedByOperatorId
      ? { kind: 'operator' as const, id: row.issuedByOperatorId }
      : row.issuedByKeyId
        ? { kind: 'api_key' as const, id: row.issuedByKeyId }
        : null,
  };
}

export async function listApiKeys(db: Database, orgId: string, query: ListQuery) {
  const page = keyset(apiKeys.id, query, eq(apiKeys.orgId, orgId));
  const rows = await db.select().from(apiKeys).where(page.where).orderBy(page.orderBy).limit(page.limit);
  return toPage(rows, query, apiKeyOut);
}

export async function findApiKey(db: Database, orgId: string, id: string) {
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.orgId, orgId), eq(apiKeys.id, id)))
    .limit(1);
  return row;
}

/** Revocation is a timestamp, so the key stays listed and auditable; auth caches forget it within a second. */
export async function revokeApiKey(db: Database, orgId: string, id: string): Promise<void> {
  await db
    .update(apiKeys)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiKeys.orgId, orgId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
}

/** Ends the app-portal tokens of one application at `at`; app keys issued through /api/v1/api-key are left alone. */
export async function revokeApplicationKeys(db: Database, orgId: string, appId: string, at: Date): Promise<void> {
  await db
    .update(apiKeys)
    .set({ expiresAt: at })
    .where(
      and(
        eq(apiKeys.orgId, orgId),
        eq(apiKeys.appId, appId),
        eq(apiKeys.scope, 'app'),
        eq(apiKeys.portal, true),
        isNull(apiKeys.revokedAt),
        // Never lengthens a token's life: an expiry in the future only shortens one that lasts longer.
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, at)),
      ),
    );
}
