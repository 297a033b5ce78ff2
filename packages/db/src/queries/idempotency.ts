import { and, eq, lt } from 'drizzle-orm';
import type { Database } from '../client';
import { idempotencyKeys } from '../schema';

/** How long a first response is replayed for the same key. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;

export type IdempotencyClaim =
  | { kind: 'claimed' }
  | { kind: 'replay'; statusCode: number; body: unknown }
  | { kind: 'in_progress' }
  | { kind: 'mismatch' };

/**
 * Claims `key` for this request, or says what already holds it. Expired
 * entries are taken over as if absent.
 */
export async function claimIdempotencyKey(db: Database, orgId: string, key: string, requestDigest: string): Promise<IdempotencyClaim> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const [claimed] = await db
      .insert(idempotencyKeys)
      .values({ orgId, key, requestDigest, expiresAt: new Date(Date.now() + IDEMPOTENCY_WINDOW_MS) })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (claimed) return { kind: 'claimed' };

    const [held] = await db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.orgId, orgId), eq(idempotencyKeys.key, key)))
      .limit(1);
    if (!held) continue; // released between the two statements: try again
    if (held.expiresAt.getTime() <= Date.now()) {
      await db
        .delete(idempotencyKeys)
        .where(and(eq(idempotencyKeys.orgId, orgId), eq(idempotencyKeys.key, key), lt(idempotencyKeys.expiresAt, new Date())));
      continue;
    }
    if (held.requestDigest !== requestDigest) return { kind: 'mismatch' };
    if (held.statusCode === null) return { kind: 'in_progress' };
    return { kind: 'replay', statusCode: held.statusCode, body: held.responseBody };
  }
  return { kind: 'in_progress' };
}

export async function completeIdempotencyKey(db: Database, orgId: string, key: string, statusCode: number, body: unknown): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ statusCode, responseBody: body })
    .where(and(eq(idempotencyKeys.orgId, orgId), eq(idempotencyKeys.key, key)));
}

/** Frees the key after a failure that a retry might not repeat (a 5xx). */
export async function releaseIdempotencyKey(db: Database, orgId: string, key: string): Promise<void> {
  await db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.orgId, orgId), eq(idempotencyKeys.key, key)));
}

export async function deleteExpiredIdempotencyKeys(db: Database): Promise<number> {
  const rows = await db.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, new Date())).returning({ key: idempotencyKeys.key });
  return rows.length;
}
