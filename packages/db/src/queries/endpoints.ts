import {
  DEFAULT_SECRET_GRACE_SECONDS,
  type EndpointHeadersOut,
  type EndpointIn,
  type EndpointOut,
  type EndpointPatch,
  type EndpointSecretRotateIn,
  type EndpointUpdate,
  endpointKindProblems,
  HeraldError,
  isSensitiveHeader,
  type ListPage,
  type ListQuery,
  newEndpointSecret,
  newId,
  normalizeEndpointSecret,
  type PayloadFilter,
  Uid,
} from '@herald/core';
import { and, desc, eq, or, type SQL, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { Database } from '../client';
import { endpoints } from '../schema';
import { deadLetterEndpointBacklog } from './circuit';
import { keyset, toPage } from './pagination';

export type EndpointRow = typeof endpoints.$inferSelect;

/** Every endpoint query runs inside one application of one organization. */
export interface EndpointScope {
  orgId: string;
  appId: string;
}

type Executor = Pick<Database, 'select' | 'update'>;

export function endpointOut(row: EndpointRow): EndpointOut {
  return {
    id: row.id,
    uid: row.uid,
    url: row.url,
    description: row.description,
    version: row.version,
    disabled: row.disabled,
    filterTypes: row.filterTypes,
    channels: row.channels,
    rateLimit: row.rateLimit,
    throttleRate: row.throttleRate,
    metadata: row.metadata,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    // Herald extensions; the filter lives in `payloadFilter`.
    filter: (row.payloadFilter ?? null) as PayloadFilter | null,
    retrySchedule: row.retrySchedule,
    fifo: row.fifo,
    type: row.type,
    settings: withoutSecrets(row.settings),
  };
}

/** Settings as shown: a SASL password is kept for the producer, never returned. */
function withoutSecrets(settings: Record<string, unknown>): Record<string, unknown> {
  const sasl = settings.sasl as Record<string, unknown> | undefined;
  if (!sasl || typeof sasl !== 'object') return settings;
  const { password: _password, ...shown } = sasl;
  return { ...settings, sasl: shown };
}

/** Sensitive headers are named in `sensitive` and their values left out. */
export function endpointHeadersOut(stored: Record<string, string>): EndpointHeadersOut {
  const headers: Record<string, string> = {};
  const sensitive: string[] = [];
  for (const [name, value] of Object.entries(stored)) {
    if (isSensitiveHeader(name)) sensitive.push(name);
    else headers[name] = value;
  }
  return { headers, sensitive };
}

export const endpointUidTaken = (uid: string | null | undefined) =>
  new HeraldError('conflict', `an endpoint with uid "${uid}" already exists in this application`);

/** postgres.js reports 23505; drizzle wraps it in `cause`. */
function isUniqueViolation(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
}

const inScope = (scope: EndpointScope, ...more: (SQL | undefined)[]) =>
  and(eq(endpoints.orgId, scope.orgId), eq(endpoints.appId, scope.appId), ...more);

/** The fields a PUT replaces (and a create sets), defaults filled in. */
/** Refuses an endpoint whose type, URL and settings do not fit together, naming the fields. */
function assertKind(endpoint: { type: EndpointRow['type']; url: string | null | undefined; settings: unknown }) {
  const problems = endpointKindProblems(endpoint);
  if (problems.length > 0) throw new HeraldError('validation', `${problems[0]!.path}: ${problems[0]!.message}`, problems);
}

function replaceable(input: EndpointUpdate) {
  assertKind({ type: input.type ?? 'webhook', url: input.url, settings: input.settings });
  return {
    url: input.url ?? '',
    settings: input.settings ?? {},
    uid: input.uid ?? null,
    description: input.description ?? '',
    version: input.version ?? 1,
    disabled: input.disabled ?? false,
    filterTypes: input.filterTypes ?? null,
    channels: input.channels ?? null,
    rateLimit: input.rateLimit ?? null,
    // `rateLimit` is Svix's deprecated name for the throttle.
    throttleRate: input.throttleRate ?? input.rateLimit ?? null,
    metadata: input.metadata ?? {},
    payloadFilter: input.filter ?? null,
    retrySchedule: input.retrySchedule ?? null,
    fifo: input.fifo ?? false,
    type: input.type ?? 'webhook',
  };
}

/** Inserts, or returns undefined when the `uid` is taken in this application. */
export async function insertEndpoint(db: Database, scope: EndpointScope, input: EndpointIn) {
  const [row] = await db
    .insert(endpoints)
    .values({
      id: newId('endpoint'),
      orgId: scope.orgId,
      appId: scope.appId,
      ...replaceable(input),
      headers: input.headers ?? {},
      secret: input.secret ? normalizeEndpointSecret(input.secret) : newEndpointSecret(),
    })
    .onConflictDoNothing({ target: [endpoints.appId, endpoints.uid] })
    .returning();
  return row;
}

/** Looks an endpoint up by id or uid inside one application; an id wins over a uid that spells it. */
export async function findEndpoint(db: Executor, scope: EndpointScope, idOrUid: string, options: { forUpdate?: boolean } = {}) {
  const query = db
    .select()
    .from(endpoints)
    .where(inScope(scope, or(eq(endpoints.id, idOrUid), eq(endpoints.uid, idOrUid))))
    .orderBy(desc(eq(endpoints.id, idOrUid)))
    .limit(1);
  const [row] = await (options.forUpdate ? query.for('update') : query);
  return row;
}

export async function listEndpoints(db: Database, scope: EndpointScope, query: ListQuery): Promise<ListPage<EndpointOut>> {
  const page = keyset(endpoints.id, query, inScope(scope));
  const rows = await db.select().from(endpoints).where(page.where).orderBy(page.orderBy).limit(page.limit);
  return toPage(rows, query, endpointOut);
}

/** Updates one row by id; a uid clash becomes 409. */
/**
 * Enabling a disabled endpoint starts its health afresh (otherwise its old
 * `failing_since` would disable it again at the first failure); disabling one
 * dead-letters what it still owed, which nothing would send any more.
 */
async function setById(db: Executor, scope: EndpointScope, id: string, set: PgUpdateSetSource<typeof endpoints>) {
  const health: PgUpdateSetSource<typeof endpoints> =
    set.disabled === false
      ? {
          consecutiveFailures: sql`case when ${endpoints.disabled} then 0 else ${endpoints.consecutiveFailures} end`,
          failingSince: sql`case when ${endpoints.disabled} then null else ${endpoints.failingSince} end`,
          circuitOpenUntil: sql`case when ${endpoints.disabled} then null else ${endpoints.circuitOpenUntil} end`,
          circuitTrips: sql`case when ${endpoints.disabled} then 0 else ${endpoints.circuitTrips} end`,
        }
      : {};
  try {
    const [row] = await db
      .update(endpoints)
      .set({ ...set, ...health, updatedAt: sql`now()` })
      .where(inScope(scope, eq(endpoints.id, id)))
      .returning();
    if (row && set.disabled === true) await deadLetterEndpointBacklog(db as Database, row.id, 'endpoint disabled');
    return row;
  } catch (error) {
    if (isUniqueViolation(error)) throw endpointUidTaken(set.uid as string | null | undefined);
    throw error;
  }
}

/**
 * PUT: replaces every updatable field of the endpoint named by `idOrUid`, or
 * creates it when it does not exist and `idOrUid` can be a uid (not an `ep_`
 * id). A uid left out of the body keeps the one the path named, so repeating
 * `PUT …/endpoint/{uid}` keeps updating one endpoint. Undefined: not found.
 */
export async function updateEndpoint(
  db: Database,
  scope: EndpointScope,
  idOrUid: string,
  input: EndpointUpdate,
): Promise<{ row: EndpointRow; created: boolean } | undefined> {
  // Two rounds: a concurrent PUT may create the endpoint between our lookup and insert.
  for (let round = 0; round < 2; round++) {
    const existing = await findEndpoint(db, scope, idOrUid);
    if (existing) {
      const pathUid = existing.id === idOrUid ? null : idOrUid;
      const row = await setById(db, scope, existing.id, { ...replaceable(input), uid: input.uid === undefined ? pathUid : input.uid });
      return row && { row, created: false };
    }
    if (idOrUid.startsWith('ep_') || !Uid.safeParse(idOrUid).success) return undefined;
    const uid = input.uid ?? idOrUid;
    const row = await insertEndpoint(db, scope, { ...input, uid });
    if (row) return { row, created: true };
    if (uid !== idOrUid) throw endpointUidTaken(uid);
  }
  throw endpointUidTaken(idOrUid);
}

/** PATCH: absent fields stay, `null` clears (a `null` secret is regenerated). Undefined: not found. */
export async function patchEndpoint(db: Database, scope: EndpointScope, idOrUid: string, input: EndpointPatch) {
  const existing = await findEndpoint(db, scope, idOrUid);
  if (!existing) return undefined;
  const set: PgUpdateSetSource<typeof endpoints> = {};
  if (input.url !== undefined) set.url = input.url;
  if (input.uid !== undefined) set.uid = input.uid;
  if (input.description !== undefined) set.description = input.description;
  if (input.version !== undefined) set.version = input.version;
  if (input.disabled !== undefined) set.disabled = input.disabled;
  if (input.filterTypes !== undefined) set.filterTypes = input.filterTypes;
  if (input.channels !== undefined) set.channels = input.channels;
  if (input.metadata !== undefined) set.metadata = input.metadata;
  if (input.rateLimit !== undefined) {
    set.rateLimit = input.rateLimit;
    // The deprecated alias moves the throttle too, unless the throttle is named as well.
    if (input.throttleRate === undefined) set.throttleRate = input.rateLimit;
  }
  if (input.throttleRate !== undefined) set.throttleRate = input.throttleRate;
  if (input.secret !== undefined) set.secret = input.secret === null ? newEndpointSecret() : normalizeEndpointSecret(input.secret);
  if (input.filter !== undefined) set.payloadFilter = input.filter;
  if (input.retrySchedule !== undefined) set.retrySchedule = input.retrySchedule;
  if (input.fifo !== undefined) set.fifo = input.fifo;
  if (input.type !== undefined) set.type = input.type;
  if (input.settings !== undefined) set.settings = input.settings ?? {};
  assertKind({
    type: input.type ?? existing.type,
    url: input.url ?? existing.url,
    settings: input.settings === undefined ? existing.settings : input.settings,
  });
  return await setById(db, scope, existing.id, set);
}

/** True when an endpoint was deleted. */
export async function deleteEndpoint(db: Database, scope: EndpointScope, idOrUid: string): Promise<boolean> {
  const existing = await findEndpoint(db, scope, idOrUid);
  if (!existing) return false;
  const deleted = await db
    .delete(endpoints)
    .where(inScope(scope, eq(endpoints.id, existing.id)))
    .returning({ id: endpoints.id });
  return deleted.length > 0;
}

export async function getEndpointHeaders(db: Database, scope: EndpointScope, idOrUid: string) {
  const row = await findEndpoint(db, scope, idOrUid);
  return row && endpointHeadersOut(row.headers);
}

/** PUT …/headers: replaces them all. Undefined: not found. */
export async function replaceEndpointHeaders(db: Database, scope: EndpointScope, idOrUid: string, headers: Record<string, string>) {
  const existing = await findEndpoint(db, scope, idOrUid);
  return existing && (await setById(db, scope, existing.id, { headers }));
}

/**
 * PATCH …/headers: sets `headers` and removes `deleteHeaders`, matching names
 * case-insensitively (a set header replaces any spelling of its name).
 * Undefined: not found.
 */
export async function patchEndpointHeaders(
  db: Database,
  scope: EndpointScope,
  idOrUid: string,
  headers: Record<string, string>,
  deleteHeaders: string[] = [],
) {
  // Read-modify-write under a row lock, so concurrent patches do not lose each other's headers.
  return await db.transaction(async (tx) => {
    const existing = await findEndpoint(tx, scope, idOrUid, { forUpdate: true });
    if (!existing) return undefined;
    const drop = new Set([...Object.keys(headers), ...deleteHeaders].map((name) => name.toLowerCase()));
    const kept = Object.entries(existing.headers).filter(([name]) => !drop.has(name.toLowerCase()));
    return await setById(tx, scope, existing.id, { headers: { ...Object.fromEntries(kept), ...headers } });
  });
}

export async function getEndpointSecret(db: Database, scope: EndpointScope, idOrUid: string) {
  const row = await findEndpoint(db, scope, idOrUid);
  return row && { key: row.secret };
}

/**
 * Rotates the signing secret: the current one becomes the previous one,
 * still valid for the grace period (default 24 h), and the new one is the
 * given key or a generated one. Undefined: not found.
 */
export async function rotateEndpointSecret(db: Database, scope: EndpointScope, idOrUid: string, input: EndpointSecretRotateIn) {
  const existing = await findEndpoint(db, scope, idOrUid);
  if (!existing) return undefined;
  const grace = input.gracePeriodSeconds ?? DEFAULT_SECRET_GRACE_SECONDS;
  return await setById(db, scope, existing.id, {
    // The right-hand side of SET reads the row as it was, so this is the old secret.
    previousSecret: sql`${endpoints.secret}`,
    previousSecretExpiresAt: sql`now() + make_interval(secs => ${grace})`,
    secret: input.key ? normalizeEndpointSecret(input.key) : newEndpointSecret(),
  });
}
