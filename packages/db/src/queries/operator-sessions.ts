import { digestToken, newId, newSessionToken } from '@herald/core';
import { and, eq, lt } from 'drizzle-orm';
import type { Database } from '../client';
import { operatorSessions, operators } from '../schema';

/** Returns the token once; only its digest is stored. */
export async function createOperatorSession(db: Database, operator: { id: string; orgId: string }, ttlS: number) {
  const token = newSessionToken();
  const [session] = await db
    .insert(operatorSessions)
    .values({
      id: newId('operatorSession'),
      operatorId: operator.id,
      orgId: operator.orgId,
      digest: digestToken(token),
      expiresAt: new Date(Date.now() + ttlS * 1000),
    })
    .returning();
  return { session: session!, token };
}

/** The session and what the authenticator needs of its operator; expired sessions too, so the caller can say so. */
export async function findOperatorSessionByDigest(db: Database, digest: string) {
  const [row] = await db
    .select({
      id: operatorSessions.id,
      orgId: operatorSessions.orgId,
      expiresAt: operatorSessions.expiresAt,
      operatorId: operators.id,
      role: operators.role,
    })
    .from(operatorSessions)
    .innerJoin(operators, eq(operators.id, operatorSessions.operatorId))
    .where(eq(operatorSessions.digest, digest))
    .limit(1);
  return row;
}

export async function deleteOperatorSession(db: Database, id: string): Promise<void> {
  await db.delete(operatorSessions).where(eq(operatorSessions.id, id));
}

/** An operator's ended sessions; run at each sign-in, so rows do not pile up. */
export async function deleteExpiredOperatorSessions(db: Database, operatorId: string): Promise<void> {
  await db.delete(operatorSessions).where(and(eq(operatorSessions.operatorId, operatorId), lt(operatorSessions.expiresAt, new Date())));
}
