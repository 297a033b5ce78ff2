import { digestToken } from '@herald/core';
import { eq, sql } from 'drizzle-orm';
import type { Database } from './client';
import { issueApiKey } from './queries/api-keys';
import { createOrganization } from './queries/organizations';
import { apiKeys, organizations } from './schema';

const BOOTSTRAP_LOCK = 7_307_002;

export interface BootstrapResult {
  orgId: string;
  /** Set only when this call generated a root key: print it once, it is not stored. */
  generatedRootToken?: string;
}

/**
 * First start: one organization and one root key. With HERALD_ADMIN_TOKEN the
 * root key is that token (registered if its digest is unknown), so a
 * deployment can know its key in advance.
 */
export async function bootstrap(db: Database, options: { adminToken?: string | undefined }): Promise<BootstrapResult> {
  return await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`);
    let [org] = await tx.select({ id: organizations.id }).from(organizations).orderBy(organizations.id).limit(1);
    const firstStart = org === undefined;
    org ??= await createOrganization(tx as unknown as Database, { name: 'Default organization' });

    if (options.adminToken) {
      const [known] = await tx
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .where(eq(apiKeys.digest, digestToken(options.adminToken)))
        .limit(1);
      if (!known) {
        await issueApiKey(tx as unknown as Database, {
          orgId: org.id,
          scope: 'root',
          name: 'HERALD_ADMIN_TOKEN',
          token: options.adminToken,
        });
      }
      return { orgId: org.id };
    }
    if (!firstStart) return { orgId: org.id };
    const { token } = await issueApiKey(tx as unknown as Database, { orgId: org.id, scope: 'root', name: 'root key (first start)' });
    return { orgId: org.id, generatedRootToken: token };
  });
}
