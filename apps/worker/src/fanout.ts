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
}

export interface FanOutResult {
  created: number;
  /** Created deliveries that still need a deliver job (FIFO, throttled, failing endpoint) or a drain (Kafka). */
  deliveries: CreatedDelivery[];
  /** Created deliveries that were claimed as they were created: the caller sends their first attempt now. */
  claimed: ClaimedDelivery[];
}

/**
 * Only the first attempt of a delivery to a healthy endpoint with nothing to
 * wait for (no FIFO order, no throttle, not a Kafka stream, no failure since
 * its last success) may skip the deliver job: fan-out creates it already
 * claimed and sends it at once. Everything else takes the deliver job, whose
 * claim reads the endpoint again just before sending: a failing endpoint's
 * circuit may be about to open.
 */
function sendsDirectly(endpoint: EndpointRow): boolean {
  const rate = endpoint.throttleRate ?? endpoint.rateLimit;
  return (
    (endpoint.type === 'webhook' || endpoint.type === 'queue') &&
    !endpoint.fifo &&
    !(rate && rate > 0) &&
    endpoint.consecutiveFailures === 0 &&
    endpoint.failingSince === null &&
    endpoint.circuitOpenUntil === null
  );
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
export async function fanOutMessages(db: Database, messageIds: string[], options: { claimLeaseMs?: number } = {}): Promise<FanOutResult> {
  const result: FanOutResult = { created: 0, deliveries: [], claimed: [] };
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
  const leaseToken = randomBytes(12).toString('base64url');
  const rows: { id: string; message_id: string; endpoint_id: string; org_id: string; app_id: string; claimed: boolean }[] = [];
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
    for (const { delivery: json } of inserted) {
      const delivery = rowFromJson(deliveries, json);
      const endpoint = endpointById.get(delivery.endpointId)!;
      result.created++;
      if (delivery.status === 'sending') {
        result.claimed.push({ delivery, leaseToken, endpoint, message: messageOf.get(delivery.messageId)! });
      } else result.deliveries.push({ id: delivery.id, endpointId: endpoint.id, streamed: endpoint.type === 'kafka' });
    }
  } while (start < rows.length);
  return result;
}

/** {@link fanOutMessages} for one message. */
export function fanOutMessage(db: Database, messageId: string, options: { claimLeaseMs?: number } = {}): Promise<FanOutResult> {
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

/** One chunk of deliveries (claimed or pending); with the last chunk, the messages are marked fanned out in the same statement. */
const INSERT_DELIVERIES = `
  with inserted as (
    insert into deliveries (id, org_id, app_id, message_id, endpoint_id, status, next_attempt_at, lease_token, lease_expires_at)
    select r.id, r.org_id, r.app_id, r.message_id, r.endpoint_id,
      (case when r.claimed then 'sending' else 'pending' end)::delivery_status,
      now(),
      case when r.claimed then $2 end,
      case when r.claimed then now() + make_interval(secs => $3) end
    from json_to_recordset($1::json) as r(id text, message_id text, endpoint_id text, org_id text, app_id text, claimed boolean)
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
