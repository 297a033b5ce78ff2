import { randomBytes } from 'node:crypto';
import { matchesPayloadFilter, newId, type PayloadFilter } from '@herald/core';
import { type ClaimedDelivery, type Database, rowFromJson, runPrepared, schema } from '@herald/db';

const { deliveries, endpoints, messages } = schema;

type EndpointRow = typeof endpoints.$inferSelect;

export interface CreatedDelivery {
  id: string;
  endpointId: string;
  /** Kafka endpoints are drained as a stream rather than sent one delivery at a time. */
  streamed: boolean;
  /** Created held behind the endpoint's open circuit: no job; the breaker's probe releases it. */
  held: boolean;
}

export interface FanOutResult {
  created: number;
  /** Created deliveries that still need a deliver job (FIFO, throttled, no sending slot free), a drain (Kafka), or are held. */
  deliveries: CreatedDelivery[];
  /** Created deliveries that were claimed as they were created (also handed to `onClaimed`, chunk by chunk). */
  claimed: ClaimedDelivery[];
  /** When the claims were made (the lease runs from here). */
  claimedAt: number;
}

/** The worker process's send capacity, which fan-out claims deliveries into (see engine/capacity.ts). */
export interface SendingSlots {
  /** How many more deliveries the endpoint takes now, sending or waiting in its line. */
  room(endpointId: string): number;
}

/**
 * Only the first attempt of a delivery to an endpoint with nothing to wait
 * for (no FIFO order, no throttle, not a Kafka stream) may skip the deliver
 * job: fan-out creates it already claimed, as far as the endpoint's share of
 * the send capacity has room. Whether the endpoint's circuit is open is
 * decided by the INSERT itself, at the moment the delivery is created.
 */
function sendsDirectly(endpoint: EndpointRow): boolean {
  const rate = endpoint.throttleRate ?? endpoint.rateLimit;
  return (endpoint.type === 'webhook' || endpoint.type === 'queue') && !endpoint.fifo && !(rate && rate > 0);
}

interface MessageToFanOut {
  id: string;
  org_id: string;
  app_id: string;
  event_type: string;
  channels: string[] | null;
  created_at: string;
  body: string;
}

/**
 * The endpoints a message goes to: same application, enabled (the query's
 * part), event type in the endpoint's filter (or no filter), a shared channel
 * (or no channel filter; a message without channels only reaches endpoints
 * without one), and a payload filter the payload passes (or none).
 */
function matches(endpoint: EndpointRow, message: MessageToFanOut, payload: () => unknown): boolean {
  if (endpoint.appId !== message.app_id) return false;
  if (endpoint.filterTypes !== null && !endpoint.filterTypes.includes(message.event_type)) return false;
  const channels = message.channels ?? [];
  if (channels.length > 0) {
    if (endpoint.channels !== null && !endpoint.channels.some((c) => channels.includes(c))) return false;
  } else if (endpoint.channels !== null) return false;
  // Payload filters are evaluated here, in JS: bounded by their schema and never throwing.
  return endpoint.payloadFilter == null || matchesPayloadFilter(endpoint.payloadFilter as PayloadFilter, payload());
}

/**
 * Creates one delivery per (message, matching endpoint). Runs any number of
 * times with the same outcome: the (message, endpoint) unique key absorbs
 * repeats. Returns the deliveries this run created; deliveries created by an
 * earlier run that died before sending or queuing them are found by the sweeper.
 *
 * With `claimLeaseMs`, deliveries to endpoints that have nothing to wait for
 * are created already claimed under that lease (status `sending`) and returned
 * in `claimed` for the caller to send: no deliver job, no separate claim. If
 * the caller dies first, the lease runs out and the sweeper queues them again.
 *
 * A batch of messages costs two statements, up to {@link INSERT_CHUNK}
 * deliveries: the messages with the enabled endpoints of their applications,
 * then the deliveries inserted and the messages marked fanned out together.
 */
export async function fanOutMessages(
  db: Database,
  messageIds: string[],
  options: {
    claimLeaseMs?: number;
    slots?: SendingSlots;
    /** Called with the deliveries each chunk created claimed, as soon as it committed (so none is left unsent if a later chunk fails): admit them to the send capacity. */
    onClaimed?: (claims: ClaimedDelivery[], claimedAt: number) => void;
  } = {},
): Promise<FanOutResult> {
  const result: FanOutResult = { created: 0, deliveries: [], claimed: [], claimedAt: Date.now() };
  if (messageIds.length === 0) return result;
  const [loaded] = await runPrepared<{ messages: MessageToFanOut[] | null; endpoints: Record<string, unknown>[] | null }>(
    db,
    SELECT_MESSAGES_AND_ENDPOINTS,
    [JSON.stringify(messageIds), messageIds.length],
  );
  // Deleted with their application in the meantime: nothing left to deliver.
  const found = loaded?.messages ?? [];
  if (found.length === 0) return result;
  const candidates = (loaded?.endpoints ?? []).map((json) => rowFromJson(endpoints, json));
  const byApp = new Map<string, EndpointRow[]>();
  for (const endpoint of candidates) {
    const list = byApp.get(endpoint.appId);
    if (list) list.push(endpoint);
    else byApp.set(endpoint.appId, [endpoint]);
  }

  const leaseMs = options.claimLeaseMs;
  const rows: DeliveryToInsert[] = [];
  const messageOf = new Map<string, ClaimedDelivery['message']>();
  const endpointById = new Map(candidates.map((endpoint) => [endpoint.id, endpoint]));
  for (const message of found) {
    let payload: unknown;
    const parsed = () => {
      payload ??= JSON.parse(message.body);
      return payload;
    };
    messageOf.set(message.id, {
      id: message.id,
      orgId: message.org_id,
      appId: message.app_id,
      eventType: message.event_type,
      createdAt: messages.createdAt.mapFromDriverValue(message.created_at) as Date,
      body: message.body,
    });
    for (const endpoint of byApp.get(message.app_id) ?? []) {
      if (!matches(endpoint, message, parsed)) continue;
      rows.push({
        id: newId('delivery'),
        message_id: message.id,
        endpoint_id: endpoint.id,
        org_id: message.org_id,
        app_id: message.app_id,
        claimed: leaseMs !== undefined && sendsDirectly(endpoint),
      });
    }
  }
  // Claim only as many as the endpoint's share in this process takes now (sending or in its line);
  // the rest take deliver jobs.
  if (options.slots) {
    const room = new Map<string, number>();
    for (const row of rows) {
      if (!row.claimed) continue;
      const left = room.get(row.endpoint_id) ?? options.slots.room(row.endpoint_id);
      row.claimed = left > 0;
      room.set(row.endpoint_id, left - 1);
    }
  }
  await insertDeliveries(db, rows, found, leaseMs, messageOf, endpointById, result, options.onClaimed);
  return result;
}

type DeliveryToInsert = { id: string; message_id: string; endpoint_id: string; org_id: string; app_id: string; claimed: boolean };

async function insertDeliveries(
  db: Database,
  rows: DeliveryToInsert[],
  found: MessageToFanOut[],
  leaseMs: number | undefined,
  messageOf: Map<string, ClaimedDelivery['message']>,
  endpointById: Map<string, EndpointRow>,
  result: FanOutResult,
  onClaimed: ((claims: ClaimedDelivery[], claimedAt: number) => void) | undefined,
): Promise<void> {
  const leaseToken = randomBytes(12).toString('base64url');

  // Large fan-outs go in chunks, each statement bounded; the last one marks the messages
  // fanned out, so ordered (Kafka) endpoints never see one as done while deliveries are missing.
  const fannedOut = JSON.stringify(found.map((m) => m.id));
  let start = 0;
  do {
    const chunk = rows.slice(start, start + INSERT_CHUNK);
    start += INSERT_CHUNK;
    const last = start >= rows.length;
    const inserted = await runPrepared<{ delivery: Record<string, unknown> }>(db, INSERT_DELIVERIES, [
      JSON.stringify(chunk),
      leaseToken,
      (leaseMs ?? 0) / 1000,
      last ? fannedOut : '[]',
      last ? found.length : 0,
    ]);
    const claimedHere: ClaimedDelivery[] = [];
    for (const { delivery: json } of inserted) {
      const delivery = rowFromJson(deliveries, json);
      const endpoint = endpointById.get(delivery.endpointId)!;
      result.created++;
      if (delivery.status === 'sending') {
        claimedHere.push({ delivery, leaseToken, endpoint, message: messageOf.get(delivery.messageId)! });
      } else {
        result.deliveries.push({
          id: delivery.id,
          endpointId: endpoint.id,
          streamed: endpoint.type === 'kafka',
          held: delivery.nextAttemptAt === null,
        });
      }
    }
    result.claimed.push(...claimedHere);
    if (claimedHere.length > 0) onClaimed?.(claimedHere, result.claimedAt);
  } while (start < rows.length);
}

/** {@link fanOutMessages} for one message. */
export function fanOutMessage(
  db: Database,
  messageId: string,
  options: { claimLeaseMs?: number; slots?: SendingSlots } = {},
): Promise<FanOutResult> {
  return fanOutMessages(db, [messageId], options);
}

const INSERT_CHUNK = 5000;

/**
 * The messages (with their stored JSON text) and, once per application, its
 * enabled endpoints. The LIMIT tells the planner how few ids there are (it
 * assumes 100 from a function), so it looks them up by primary key.
 */
const SELECT_MESSAGES_AND_ENDPOINTS = `
  with m as (
    select id, org_id, app_id, event_type, channels, created_at, payload::text as body
    from messages
    where id in (select json_array_elements_text($1::json) limit $2)
  )
  select
    (select json_agg(m order by m.created_at, m.id) from m) as messages,
    (select json_agg(e) from endpoints e where e.app_id in (select distinct app_id from m) and not e.disabled) as endpoints`;

/**
 * One chunk of deliveries (claimed, pending, or held behind an open circuit:
 * read from the endpoint row as the delivery is created, so a circuit opened
 * since fan-out read its endpoints is respected); with the last chunk, the
 * messages are marked fanned out in the same statement.
 */
const INSERT_DELIVERIES = `
  with inserted as (
    insert into deliveries (id, org_id, app_id, message_id, endpoint_id, status, next_attempt_at, lease_token, lease_expires_at)
    select r.id, r.org_id, r.app_id, r.message_id, r.endpoint_id,
      (case when r.claimed and not e.held then 'sending' else 'pending' end)::delivery_status,
      case when e.held then null else now() end,
      case when r.claimed and not e.held then $2 end,
      case when r.claimed and not e.held then now() + make_interval(secs => $3) end
    from json_to_recordset($1::json) as r(id text, message_id text, endpoint_id text, org_id text, app_id text, claimed boolean)
    cross join lateral (
      select (circuit_open_until is not null and type <> 'kafka' and not disabled) as held from endpoints where id = r.endpoint_id
    ) e
    on conflict (message_id, endpoint_id) do nothing
    returning *
  ),
  fanned_out as (
    -- Rows locked in id order, as the API's dispatch marking locks them: the two cannot deadlock.
    -- A message being fanned out was handed over: mark it dispatched too, if the API has not yet
    -- (it marks in batches, a moment later, and then finds nothing left to write).
    update messages set fanned_out_at = now(), dispatched_at = coalesce(dispatched_at, now())
    where id in (
      select id from messages
      where id in (select json_array_elements_text($4::json) limit $5) and fanned_out_at is null
      order by id
      for no key update
    )
  )
  select to_json(inserted) as delivery from inserted`;
