import { type ListQuery, newId } from '@herald/core';
import { and, eq, lt, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { hashPassword } from '../passwords';
import { loginFailures, operators } from '../schema';
import { keyset, toPage } from './pagination';

export type OperatorRow = typeof operators.$inferSelect;
export type OperatorRole = OperatorRow['role'];

export interface OperatorOut {
  id: string;
  email: string;
  role: OperatorRole;
  orgId: string;
  createdAt: string;
  lastLoginAt: string | null;
}

/** What the API shows of an operator: never the password hash. */
export function operatorOut(row: OperatorRow): OperatorOut {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    orgId: row.orgId,
    createdAt: row.createdAt.toISOString(),
    lastLoginAt: row.lastLoginAt?.toISOString() ?? null,
  };
}

/** Emails are stored and compared lower-cased and trimmed, so sign-in does not depend on how they were typed. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** Hashes the password (argon2id); undefined when the email is already taken, in any organization. */
export async function createOperator(
  db: Database,
  input: { orgId: string; email: string; password: string; role: OperatorRole },
): Promise<OperatorRow | undefined> {
  const passwordHash = await hashPassword(input.password);
  const [row] = await db
    .insert(operators)
    .values({ id: newId('operator'), orgId: input.orgId, email: normalizeEmail(input.email), passwordHash, role: input.role })
    .onConflictDoNothing({ target: operators.email })
    .returning();
  return row;
}

/** Sign-in looks the email up across organizations: an email belongs to one operator in one organization. */
export async function findOperatorByEmail(db: Database, email: string) {
  const [row] = await db
    .select()
    .from(operators)
    .where(eq(operators.email, normalizeEmail(email)))
    .limit(1);
  return row;
}

export async function findOperator(db: Database, orgId: string, id: string) {
  const [row] = await db
    .select()
    .from(operators)
    .where(and(eq(operators.orgId, orgId), eq(operators.id, id)))
    .limit(1);
  return row;
}

export async function listOperators(db: Database, orgId: string, query: ListQuery) {
  const page = keyset(operators.id, query, eq(operators.orgId, orgId));
  const rows = await db.select().from(operators).where(page.where).orderBy(page.orderBy).limit(page.limit);
  return toPage(rows, query, operatorOut);
}

export async function countOperators(db: Database, orgId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(operators).where(eq(operators.orgId, orgId));
  return row?.n ?? 0;
}

export type DeleteOperatorResult = 'deleted' | 'not_found' | 'last_admin';

/**
 * Deletes an operator (its sessions go with it, by cascade), unless it is the
 * organization's last admin. The organization's admin rows are locked first,
 * so two API processes deleting the last two admins at once cannot both win.
 */
export async function deleteOperator(db: Database, orgId: string, id: string): Promise<DeleteOperatorResult> {
  return await db.transaction(async (tx) => {
    const admins = await tx
      .select({ id: operators.id })
      .from(operators)
      .where(and(eq(operators.orgId, orgId), eq(operators.role, 'admin')))
      .for('update');
    const [target] = await tx
      .select({ id: operators.id, role: operators.role })
      .from(operators)
      .where(and(eq(operators.orgId, orgId), eq(operators.id, id)))
      .limit(1);
    if (!target) return 'not_found';
    if (target.role === 'admin' && admins.length <= 1) return 'last_admin';
    await tx.delete(operators).where(and(eq(operators.orgId, orgId), eq(operators.id, id)));
    return 'deleted';
  });
}

/** Undefined when the operator was removed while signing in. */
export async function recordSignIn(db: Database, operatorId: string): Promise<OperatorRow | undefined> {
  const [row] = await db
    .update(operators)
    .set({ lastLoginAt: sql`now()`, updatedAt: sql`now()` })
    .where(eq(operators.id, operatorId))
    .returning();
  return row;
}

/** The window failed sign-ins are counted in. */
export const LOGIN_WINDOW_S = 15 * 60;

export type LoginAttempt = { allowed: true } | { allowed: false; retryAfterS: number };

/**
 * Counts a sign-in attempt for an email before its password is checked, in
 * one statement, so concurrent attempts on several API processes cannot
 * overshoot the limit. The count starts at the first attempt of a fixed
 * window; a successful sign-in clears it (`clearLoginFailures`), so what
 * stays counted are failures. Beyond `maxFailures` the email is refused until
 * the window ends, whatever the password.
 *
 * Counted per (email, client address): failures from one address lock that
 * address out of that account, never the account itself, so a stranger
 * cannot lock the admin out by guessing wrong on purpose.
 */
export async function registerLoginAttempt(db: Database, email: string, client: string, maxFailures: number): Promise<LoginAttempt> {
  const expired = sql`${loginFailures.windowStart} <= now() - make_interval(secs => ${LOGIN_WINDOW_S})`;
  const [row] = await db
    .insert(loginFailures)
    .values({ email: normalizeEmail(email), client, failures: 1, windowStart: sql`now()` })
    .onConflictDoUpdate({
      target: [loginFailures.email, loginFailures.client],
      set: {
        failures: sql`case when ${expired} then 1 else ${loginFailures.failures} + 1 end`,
        windowStart: sql`case when ${expired} then now() else ${loginFailures.windowStart} end`,
      },
    })
    .returning({
      failures: loginFailures.failures,
      // Computed by the database, so API clocks do not matter.
      retryAfterS: sql<number>`ceil(extract(epoch from ${loginFailures.windowStart} + make_interval(secs => ${LOGIN_WINDOW_S}) - now()))::int`,
    });
  if (!row || row.failures <= maxFailures) return { allowed: true };
  return { allowed: false, retryAfterS: Math.max(1, row.retryAfterS) };
}

export async function clearLoginFailures(db: Database, email: string, client: string): Promise<void> {
  await db.delete(loginFailures).where(and(eq(loginFailures.email, normalizeEmail(email)), eq(loginFailures.client, client)));
}

/** Rows of ended windows, including those of emails nobody has; called now and then by the sign-in route. */
export async function purgeLoginFailures(db: Database): Promise<void> {
  await db.delete(loginFailures).where(lt(loginFailures.windowStart, sql`now() - make_interval(secs => ${LOGIN_WINDOW_S})`));
}
