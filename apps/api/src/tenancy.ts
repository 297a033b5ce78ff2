import { HeraldError, notFound } from '@herald/core';
import { type Database, findApplication } from '@herald/db';
import type { Principal } from './context';

/** Organization-wide routes: an app-scoped key may not use them. */
export function requireOrgScope(principal: Principal): void {
  if (principal.scope === 'app') throw new HeraldError('forbidden', 'this route needs an organization API key, not an app-scoped one');
}

/**
 * Organization administration (API keys, operators): organization and root
 * keys, and admin operators. A member must not reach it, or it could issue
 * itself an organization key and with that key make itself an admin.
 */
export function requireOrgAdmin(principal: Principal): void {
  requireOrgScope(principal);
  if (principal.operator && principal.operator.role !== 'admin') {
    throw new HeraldError('forbidden', 'this route needs an admin operator (or an organization API key)');
  }
}

export function requireRootScope(principal: Principal): void {
  if (principal.scope !== 'root') throw new HeraldError('forbidden', 'this route needs the root API key');
}

/**
 * The application a route acts on, by id or uid, as this key may see it:
 * another organization's, or another application for an app-scoped key,
 * is "not found" (never "forbidden"), so ids cannot be probed.
 */
export async function resolveApplication(db: Database, principal: Principal, idOrUid: string) {
  const row = await findApplication(db, principal.orgId, idOrUid);
  if (!row || !mayUseApplication(principal, row.id)) throw notFound('application');
  return row;
}

/** An app-scoped key may use its own application only; organization keys any of theirs. */
export function mayUseApplication(principal: Principal, appId: string): boolean {
  return principal.appId === null || principal.appId === appId;
}

/**
 * A read-only app-portal token reads and nothing else: every write is refused
 * here, once, before any route (the secret route refuses it too).
 */
export function requireWritable(principal: Principal | undefined, method: string): void {
  if (!principal?.readOnly || method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return;
  throw new HeraldError('forbidden', 'this app-portal token is read-only: it cannot create, change or delete anything');
}

/** Endpoint settings that make the worker connect somewhere other than Herald's own Kafka and queue store. */
const CONNECTION_SETTINGS = ['brokers', 'redisUrl'] as const;

/**
 * Who may point an endpoint at a Kafka cluster or Redis of its own: the
 * organization (its keys and operators), not an app-scoped credential such as
 * an app-portal token, which is handed to a subscriber. Every address is
 * still checked by the outbound policy when the worker connects.
 */
export function requireConnectionSettingsAllowed(principal: Principal, settings: Record<string, unknown> | null | undefined): void {
  if (principal.scope !== 'app' || !settings) return;
  const named = CONNECTION_SETTINGS.filter((key) => settings[key] !== undefined);
  if (named.length === 0) return;
  throw new HeraldError(
    'forbidden',
    `an app-scoped key or portal token cannot set ${named.join(' or ')}; an organization key or operator can`,
    named.map((key) => ({ path: `body.settings.${key}`, message: 'needs an organization key or operator' })),
  );
}
