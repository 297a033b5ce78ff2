import { digestToken, newApiToken, newId, tokenHint } from '@herald/core';
import { eq } from 'drizzle-orm';
import type { Database } from '../client';
import { apiKeys } from '../schema';

export type ApiKeyScope = 'root' | 'org' | 'app';

export interface IssueApiKeyInput {
  orgId: string;
  scope: ApiKeyScope;
  name: string;
  appId?: string | null;
  /** A token chosen by the operator (HERALD_ADMIN_TOKEN); otherwise a random one. */
  token?: string;
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
    })
    .returning();
  return { key: key!, token };
}

export async function findApiKeyByDigest(db: Database, digest: string) {
  const [key] = await db
    .select({
      id: apiKeys.id,
      orgId: apiKeys.orgId,
      appId: apiKeys.appId,
      scope: apiKeys.scope,
      expiresAt: apiKeys.expiresAt,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .where(eq(apiKeys.digest, digest))
    .limit(1);
  return key;
}
