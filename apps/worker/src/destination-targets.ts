import { type HeraldConfig, KafkaEndpointSettings, QueueEndpointSettings, valueAtPath } from '@herald/core';
import type { ClaimedDelivery } from '@herald/db';
import { isRefusal, type KafkaClusterSettings, type SendFailure } from '@herald/delivery';

type EndpointRow = ClaimedDelivery['endpoint'];

/**
 * Where a Kafka or queue endpoint's messages go, worked out in one place for
 * single sends and Kafka batches alike.
 *
 * Names on Herald's own cluster and queue store belong to the endpoint's
 * organization: topic `orders` is written to `<org_id>.orders`, queue `jobs`
 * is the BullMQ queue `<org_id>.jobs`. One organization cannot write into
 * another's topics or queues, nor into Herald's own queues (whose names have
 * no organization in front). On a cluster or Redis the endpoint names itself,
 * the names are used as given: those belong to the tenant.
 */
export const ownedName = (orgId: string, name: string) => `${orgId}.${name}`;

export interface KafkaTarget {
  cluster: KafkaClusterSettings;
  topic: string;
  /** The record key: the value at the endpoint's `key` path, or the application id. */
  keyOf(body: string, appId: string): string;
}

export type TargetProblem = { failure: Extract<SendFailure, 'invalid_settings'>; reason: string };

export function kafkaTarget(endpoint: EndpointRow, config: HeraldConfig): KafkaTarget | TargetProblem {
  const settings = KafkaEndpointSettings.safeParse(endpoint.settings);
  if (!settings.success) return { failure: 'invalid_settings', reason: `invalid kafka settings: ${settings.error.issues[0]?.message}` };
  const { topic, key, brokers, ssl, sasl } = settings.data;
  const external = brokers !== undefined;
  const clusterBrokers = brokers ?? config.kafkaBrokers;
  if (!clusterBrokers) return { failure: 'invalid_settings', reason: 'no Kafka brokers: set KAFKA_BROKERS or the endpoint’s brokers' };
  return {
    cluster: { brokers: clusterBrokers, external, ...(ssl ? { ssl: true } : {}), ...(sasl ? { sasl } : {}) },
    topic: external ? topic : ownedName(endpoint.orgId, topic),
    keyOf(body, appId) {
      const value = key ? valueAtPath(JSON.parse(body), key) : undefined;
      if (value === undefined || value === null) return appId;
      return typeof value === 'string' ? value : JSON.stringify(value);
    },
  };
}

export interface QueueTarget {
  queue: string;
  prefix?: string;
  redisUrl?: string;
}

export function queueTarget(endpoint: EndpointRow): QueueTarget | TargetProblem {
  const settings = QueueEndpointSettings.safeParse(endpoint.settings);
  if (!settings.success) return { failure: 'invalid_settings', reason: `invalid queue settings: ${settings.error.issues[0]?.message}` };
  const { queue, prefix, redisUrl } = settings.data;
  return {
    queue: redisUrl ? queue : ownedName(endpoint.orgId, queue),
    ...(prefix ? { prefix } : {}),
    ...(redisUrl ? { redisUrl } : {}),
  };
}

/** kafkajs errors about the connection itself, as opposed to a broker's answer. */
const CONNECTION_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNumberOfRetriesExceeded',
]);

/**
 * The attempt's reason for a failed publish. A refusal of the outbound policy
 * is final and says why. For a cluster or Redis the tenant named, a failure
 * to connect says only that: whether a port was closed, reset or silent would
 * tell a port scan what is there. Herald's own cluster and store are the
 * operator's, and their errors are shown in full.
 */
export function publishFailure(kind: 'kafka' | 'queue', error: unknown, external: boolean): { failure: SendFailure; reason: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (isRefusal(error)) return { failure: 'refused_address', reason: `${kind}: ${refusalText(error)}` };
  if (!external) return { failure: 'connection', reason: `${kind}: ${message}` };
  if (kind === 'kafka' && !isConnectionError(error)) return { failure: 'connection', reason: `kafka: ${message}` };
  return {
    failure: 'connection',
    reason: kind === 'kafka' ? 'kafka: could not reach the endpoint’s brokers' : 'queue: could not reach the endpoint’s Redis',
  };
}

function isConnectionError(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (CONNECTION_ERRORS.has(current.name) || (current as NodeJS.ErrnoException).code?.startsWith('E')) return true;
    current = (current as { originalError?: unknown }).originalError ?? (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The policy's own words, without what a client library wrapped around them. */
function refusalText(error: Error): string {
  const match = /refused by the outbound policy: [^\n]*/.exec(error.message);
  if (match) return match[0];
  const inner = (error as { originalError?: unknown }).originalError ?? (error as { cause?: unknown }).cause;
  return inner instanceof Error ? refusalText(inner) : error.message;
}
