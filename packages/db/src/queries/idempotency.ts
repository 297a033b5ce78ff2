import { and, eq, lt } from 'drizzle-orm';
import type { Database } from '../client';
import { idempotencyKeys } from '../schema';
import { createMicroBatcher, perDatabase, runPrepared } from './batching';

/** How long a first response is replayed for the same key. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;

export type IdempotencyClaim =
  | { kind: 'claimed' }
  | { kind: 'replay'; statusCode: number; body: unknown }
  | { kind: 'in_progress' }
  | { kind: 'mismatch' };

/**
 * Claims `key` for this request, or says what already holds it. Expired
 * entries are taken over as if absent. The claims of concurrent requests
 * share one INSERT (see {@link keyClaims}); only a key that is already held
 * costs a second statement.
 */
export async function claimIdempotencyKey(db: Database, orgId: string, key: string, requestDigest: string): Promise<IdempotencyClaim> {
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await keyClaims(db).add({ org_id: orgId, key, request_digest: requestDigest, expires_at: Date.now() + IDEMPOTENCY_WINDOW_MS })) {
      return { kind: 'claimed' };
    }

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

interface KeyClaim extends Record<string, unknown> {
  org_id: string;
  key: string;
  request_digest: string;
  /** ms since epoch */
  expires_at: number;
}

/** Whether each claim got its key; a key claimed twice in one batch goes to the first. */
const keyClaims = perDatabase((db) =>
  createMicroBatcher<KeyClaim, boolean>({
    maxBatch: 500,
    async run(batch) {
      const rows = await runPrepared<{ org_id: string; key: string }>(db, CLAIM_KEYS, [JSON.stringify(batch)]);
      const claimed = new Set(rows.map((r) => `${r.org_id}\u0000${r.key}`));
      const seen = new Set<string>();
      return batch.map((c) => {
        const id = `${c.org_id}\u0000${c.key}`;
        const first = !seen.has(id);
        seen.add(id);
        return first && claimed.has(id);
      });
    },
  }),
);

const CLAIM_KEYS = `
  insert into idempotency_keys (org_id, key, request_digest, expires_at)
  select r.org_id, r.key, r.request_digest, to_timestamp(r.expires_at / 1000.0)
  from json_to_recordset($1::json) as r(org_id text, key text, request_digest text, expires_at double precision)
  on conflict do nothing
  returning org_id, key`;

/** Stores the first response for the key; the responses of concurrent requests are stored by one UPDATE. */
export async function completeIdempotencyKey(db: Database, orgId: string, key: string, statusCode: number, body: unknown): Promise<void> {
  await keyCompletions(db).add({ org_id: orgId, key, status_code: statusCode, response_body: body ?? null });
}

const keyCompletions = perDatabase((db) =>
  createMicroBatcher<{ org_id: string; key: string; status_code: number; response_body: unknown }, void>({
    maxBatch: 500,
    async run(batch) {
      await runPrepared(db, COMPLETE_KEYS, [JSON.stringify(batch), batch.length]);
      return batch.map(() => undefined);
    },
  }),
);

// The LIMIT tells the planner how few rows there are (it assumes 100 from a function): primary-key lookups.
const COMPLETE_KEYS = `
  update idempotency_keys k set status_code = v.status_code, response_body = v.response_body
  from (
    select * from json_to_recordset($1::json) as v(org_id text, key text, status_code integer, response_body json) limit $2
  ) v
  where k.org_id = v.org_id and k.key = v.key`;

/** Frees the key after a failure that a retry might not repeat (a 5xx). */
export async function releaseIdempotencyKey(db: Database, orgId: string, key: string): Promise<void> {
  await db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.orgId, orgId), eq(idempotencyKeys.key, key)));
}

export async function deleteExpiredIdempotencyKeys(db: Database): Promise<number> {
  const rows = await db.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, new Date())).returning({ key: idempotencyKeys.key });
  return rows.length;
}
