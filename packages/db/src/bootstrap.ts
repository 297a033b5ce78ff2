import { digestToken } from '@herald/core';
import { eq, sql } from 'drizzle-orm';
import type { Database } from './client';
import { generatePassword } from './passwords';
import { issueApiKey } from './queries/api-keys';
import { countOperators, createOperator, findOperatorByEmail } from './queries/operators';
import { createOrganization } from './queries/organizations';
import { apiKeys, organizations } from './schema';

const BOOTSTRAP_LOCK = 7_307_002;

/** The dashboard admin created on first start when HERALD_ADMIN_EMAIL is not set. */
export const GENERATED_ADMIN_EMAIL = 'admin@herald.local';

export interface BootstrapOptions {
  adminToken?: string | undefined;
  /**
   * Dashboard operators. Absent: operators are left alone (the test harness
   * opts out, since hashing a password costs tens of milliseconds). Present:
   * `admin` (HERALD_ADMIN_EMAIL/PASSWORD) is created as an admin of the first
   * organization if no operator has that email; without one, an organization
   * that has no operator at all gets `admin@herald.local` with a generated password.
   */
  operators?: { admin: { email: string; password: string } | undefined };
}

export interface BootstrapResult {
  orgId: string;
  /** Set only when this call generated a root key: print it once, it is not stored. */
  generatedRootToken?: string;
  /** Set only when this call generated the dashboard admin's password: print it once, only its hash is stored. */
  generatedAdmin?: { email: string; password: string };
}

/**
 * First start: one organization and one root key. With HERALD_ADMIN_TOKEN the
 * root key is that token (registered if its digest is unknown), so a
 * deployment can know its key in advance. Then the dashboard admin (above).
 */
export async function bootstrap(db: Database, options: BootstrapOptions): Promise<BootstrapResult> {
  return await db.transaction(async (tx) => {
    const txDb = tx as unknown as Database;
    await tx.execute(sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`);
    let [org] = await tx.select({ id: organizations.id }).from(organizations).orderBy(organizations.id).limit(1);
    const firstStart = org === undefined;
    org ??= await createOrganization(txDb, { name: 'Default organization' });

    const result: BootstrapResult = { orgId: org.id };
    if (options.adminToken) {
      const [known] = await tx
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .where(eq(apiKeys.digest, digestToken(options.adminToken)))
        .limit(1);
      if (!known) {
        await issueApiKey(txDb, { orgId: org.id, scope: 'root', name: 'HERALD_ADMIN_TOKEN', token: options.adminToken });
      }
    } else if (firstStart) {
      const { token } = await issueApiKey(txDb, { orgId: org.id, scope: 'root', name: 'root key (first start)' });
      result.generatedRootToken = token;
    }

    if (options.operators) {
      const { admin } = options.operators;
      if (admin) {
        // The password counts only when the operator is created: changing the variable later changes nothing.
        if (!(await findOperatorByEmail(txDb, admin.email))) {
          await createOperator(txDb, { orgId: org.id, email: admin.email, password: admin.password, role: 'admin' });
        }
      } else if ((await countOperators(txDb, org.id)) === 0) {
        const password = generatePassword();
        const created = await createOperator(txDb, { orgId: org.id, email: GENERATED_ADMIN_EMAIL, password, role: 'admin' });
        if (created) result.generatedAdmin = { email: created.email, password };
      }
    }
    return result;
  });
}
