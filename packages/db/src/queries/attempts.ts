import type { ListPage } from '@herald/core';
import { and, arrayContains, eq, gte, inArray, isNull, lt, type SQL } from 'drizzle-orm';
import type { Database } from '../client';
import { attempts, deliveries, endpoints, messages } from '../schema';
import { type EndpointRow, endpointOut } from './endpoints';
import { messageOut } from './messages';
import { keyset, toPage } from './pagination';
import { timeWindow } from './time-window';

/** Svix's `MessageStatus` wire values. */
export const MESSAGE_STATUS = { success: 0, pending: 1, fail: 2, sending: 3, canceled: 4 } as const;
export type MessageStatusText = keyof typeof MESSAGE_STATUS;

/**
 * A delivery's state as Svix reports it: a failed delivery with a retry still
 * scheduled is "pending"; only a dead-lettered one is "fail".
 */
const DELIVERY_STATUS: Record<(typeof deliveries.$inferSelect)['status'], MessageStatusText> = {
  pending: 'pending',
  sending: 'sending',
  succeeded: 'success',
  failed: 'pending',
  dead: 'fail',
};

type AttemptRow = typeof attempts.$inferSelect;
type MessageRow = typeof messages.$inferSelect;

export function attemptOut(row: AttemptRow, message?: MessageRow) {
  const statusText: MessageStatusText = row.status === 'succeeded' ? 'success' : 'fail';
  return {
    id: row.id,
    msgId: row.messageId,
    endpointId: row.endpointId,
    url: row.url,
    response: row.response,
    responseStatusCode: row.responseStatusCode ?? 0,
    responseDurationMs: row.durationMs,
    status: MESSAGE_STATUS[statusText],
    statusText,
    triggerType: row.trigger === 'manual' ? 1 : 0,
    final: row.final,
    timestamp: row.createdAt.toISOString(),
    ...(message ? { msg: messageOut(message, false) } : {}),
  };
}

export interface AttemptFilter {
  limit: number;
  iterator?: string | undefined;
  status?: number | undefined;
  statusCodeClass?: number | undefined;
  channel?: string | undefined;
  tag?: string | undefined;
  eventTypes?: string[] | undefined;
  before?: Date | undefined;
  after?: Date | undefined;
  endpointId?: string | undefined;
  messageId?: string | undefined;
  withMessage?: boolean;
}

/** Conditions on the attempt row itself; undefined means "matches nothing". */
function attemptConditions(filter: AttemptFilter): SQL[] | undefined {
  const conditions: SQL[] = [];
  if (filter.status !== undefined) {
    // Attempts are finished by definition: only success and fail can match.
    if (filter.status === MESSAGE_STATUS.success) conditions.push(eq(attempts.status, 'succeeded'));
    else if (filter.status === MESSAGE_STATUS.fail) conditions.push(eq(attempts.status, 'failed'));
    else return undefined;
  }
  if (filter.statusCodeClass !== undefined) {
    if (filter.statusCodeClass === 0) conditions.push(isNull(attempts.responseStatusCode));
    else
      conditions.push(
        gte(attempts.responseStatusCode, filter.statusCodeClass),
        lt(attempts.responseStatusCode, filter.statusCodeClass + 100),
      );
  }
  if (filter.endpointId) conditions.push(eq(attempts.endpointId, filter.endpointId));
  if (filter.messageId) conditions.push(eq(attempts.messageId, filter.messageId));
  for (const condition of timeWindow(attempts.createdAt, filter)) if (condition) conditions.push(condition);
  if (filter.channel) conditions.push(arrayContains(messages.channels, [filter.channel]));
  if (filter.tag) conditions.push(arrayContains(messages.tags, [filter.tag]));
  if (filter.eventTypes?.length) conditions.push(inArray(messages.eventType, filter.eventTypes));
  return conditions;
}

/** Attempts of one application, newest first, by message or by endpoint. */
export async function listAttempts(db: Database, scope: { orgId: string; appId: string }, filter: AttemptFilter) {
  const conditions = attemptConditions(filter);
  const empty: ListPage<ReturnType<typeof attemptOut>> = { data: [], iterator: null, prevIterator: null, done: true };
  if (!conditions) return empty;
  const page = keyset(
    attempts.id,
    { ...filter, order: 'descending' },
    and(eq(attempts.orgId, scope.orgId), eq(attempts.appId, scope.appId), ...conditions),
  );
  const rows = await db
    .select({ attempt: attempts, message: messages })
    .from(attempts)
    .innerJoin(messages, eq(messages.id, attempts.messageId))
    .where(page.where)
    .orderBy(page.orderBy)
    .limit(page.limit);
  const flat = rows.map((r) => ({ ...r, id: r.attempt.id }));
  return toPage(flat, filter, (r) => attemptOut(r.attempt, filter.withMessage ? r.message : undefined));
}

export async function findAttempt(db: Database, scope: { orgId: string; appId: string; messageId: string }, id: string) {
  const [row] = await db
    .select()
    .from(attempts)
    .where(
      and(eq(attempts.orgId, scope.orgId), eq(attempts.appId, scope.appId), eq(attempts.messageId, scope.messageId), eq(attempts.id, id)),
    )
    .limit(1);
  return row;
}

function deliveryState(delivery: typeof deliveries.$inferSelect) {
  const statusText = DELIVERY_STATUS[delivery.status];
  return {
    status: MESSAGE_STATUS[statusText],
    statusText,
    nextAttempt: delivery.status === 'pending' || delivery.status === 'failed' ? (delivery.nextAttemptAt?.toISOString() ?? null) : null,
  };
}

/** Svix "attempted destinations": each endpoint a message goes to, with its delivery state. */
export async function listMessageDestinations(
  db: Database,
  scope: { orgId: string; appId: string; messageId: string },
  query: { limit: number; iterator?: string | undefined },
) {
  const page = keyset(
    endpoints.id,
    { ...query, order: 'ascending' },
    and(eq(deliveries.orgId, scope.orgId), eq(deliveries.appId, scope.appId), eq(deliveries.messageId, scope.messageId)),
  );
  const rows = await db
    .select({ endpoint: endpoints, delivery: deliveries })
    .from(deliveries)
    .innerJoin(endpoints, eq(endpoints.id, deliveries.endpointId))
    .where(page.where)
    .orderBy(page.orderBy)
    .limit(page.limit);
  const flat = rows.map((r) => ({ ...r, id: r.endpoint.id }));
  return toPage(flat, query, (r) => {
    const { metadata: _metadata, ...endpoint } = endpointOut(r.endpoint as EndpointRow);
    return { ...endpoint, ...deliveryState(r.delivery) };
  });
}

/** Svix "attempted messages": the messages that went to one endpoint, newest first, with their delivery state. */
export async function listEndpointMessages(
  db: Database,
  scope: { orgId: string; appId: string; endpointId: string },
  filter: Pick<AttemptFilter, 'limit' | 'iterator' | 'status' | 'channel' | 'tag' | 'eventTypes' | 'before' | 'after'> & {
    withContent?: boolean;
  },
) {
  const statusMatch =
    filter.status === undefined
      ? undefined
      : inArray(
          deliveries.status,
          (Object.keys(DELIVERY_STATUS) as (keyof typeof DELIVERY_STATUS)[]).filter(
            (s) => MESSAGE_STATUS[DELIVERY_STATUS[s]] === filter.status,
          ),
        );
  const page = keyset(
    messages.id,
    { ...filter, order: 'descending' },
    and(
      eq(deliveries.orgId, scope.orgId),
      eq(deliveries.appId, scope.appId),
      eq(deliveries.endpointId, scope.endpointId),
      statusMatch,
      filter.channel ? arrayContains(messages.channels, [filter.channel]) : undefined,
      filter.tag ? arrayContains(messages.tags, [filter.tag]) : undefined,
      filter.eventTypes?.length ? inArray(messages.eventType, filter.eventTypes) : undefined,
      ...timeWindow(messages.createdAt, filter),
    ),
  );
  const rows = await db
    .select({ message: messages, delivery: deliveries })
    .from(deliveries)
    .innerJoin(messages, eq(messages.id, deliveries.messageId))
    .where(page.where)
    .orderBy(page.orderBy)
    .limit(page.limit);
  const flat = rows.map((r) => ({ ...r, id: r.message.id }));
  return toPage(flat, filter, (r) => ({ ...messageOut(r.message, filter.withContent ?? true), ...deliveryState(r.delivery) }));
}
