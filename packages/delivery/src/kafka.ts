import { connect as connectTcp, isIP } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { describeConnectError, StartupError } from '@herald/core';
import { CompressionTypes, type IHeaders, type ISocketFactory, Kafka, type KafkaConfig, logLevel, type Producer } from 'kafkajs';
import { type AddressVetter, guardedLookup, RefusedAddressError, refusedSocket } from './outbound';
import type { AddressPolicy } from './ssrf';

export interface KafkaRecord {
  topic: string;
  key: string;
  value: string;
  headers: IHeaders;
}

export interface KafkaClusterSettings {
  brokers: string[];
  /**
   * Brokers a tenant named (an endpoint's `brokers`), as opposed to Herald's own
   * KAFKA_BROKERS: every connection to them, the seeds and every broker the
   * cluster's metadata names, goes through the outbound policy.
   */
  external?: boolean;
  ssl?: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

export interface KafkaPublisher {
  /** Resolves once the broker acknowledged the record (acks=all); rejects with the reason otherwise. */
  publish(cluster: KafkaClusterSettings, record: KafkaRecord): Promise<void>;
  /** Many records in one broker request, in order: all acknowledged, or the whole call rejects. */
  publishBatch(cluster: KafkaClusterSettings, records: KafkaRecord[]): Promise<void>;
  close(): Promise<void>;
}

interface Pending {
  record: KafkaRecord;
  resolve(): void;
  reject(error: Error): void;
}

/** How long a record may wait for others to share its request, and how many share one. */
const LINGER_MS = 2;
const MAX_BATCH = 1000;
const SEND_TIMEOUT_MS = 10_000;

/**
 * One idempotent producer per cluster, shared by every delivery job, with
 * micro-batching: records published within a couple of milliseconds go to the
 * broker in one `sendBatch` (the idempotent producer allows one request in
 * flight, so batching is what keeps throughput up under load).
 */
export function createKafkaPublisher(
  options: { clientId: string; guard?: { policy: AddressPolicy; vet: AddressVetter } } = { clientId: 'herald' },
): KafkaPublisher {
  const guardedSockets = options.guard ? guardedSocketFactory(options.guard.policy, options.guard.vet) : undefined;
  const clusters = new Map<
    string,
    { producer: Producer; connected: Promise<void>; pending: Pending[]; flushing: Promise<void>; timer?: NodeJS.Timeout }
  >();

  const clusterKey = (c: KafkaClusterSettings) =>
    JSON.stringify([c.brokers.slice().sort(), c.external ?? false, c.ssl ?? false, c.sasl?.username ?? '', c.sasl?.mechanism ?? '']);

  const get = (settings: KafkaClusterSettings) => {
    const key = clusterKey(settings);
    let cluster = clusters.get(key);
    if (!cluster) {
      if (settings.external && !guardedSockets) throw new Error('brokers named by an endpoint need the outbound guard');
      const config: KafkaConfig = {
        clientId: options.clientId,
        brokers: settings.brokers,
        logLevel: logLevel.NOTHING,
        connectionTimeout: 3000,
        requestTimeout: SEND_TIMEOUT_MS,
        // Failures become attempts, retried on Herald's own schedule; kafkajs should not hold a job for minutes.
        retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
        ...(settings.ssl ? { ssl: true } : {}),
        ...(settings.sasl ? { sasl: settings.sasl as KafkaConfig['sasl'] } : {}),
        ...(settings.external ? { socketFactory: guardedSockets } : {}),
      };
      const producer = new Kafka(config).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      // Brokers an endpoint names are checked once, before kafkajs dials any, so a refused address fails
      // with the policy's reason; the socket factory then guards every broker the cluster's metadata names.
      const connected =
        settings.external && options.guard
          ? vetSeeds(options.guard.vet, settings.brokers).then(() => producer.connect())
          : producer.connect();
      const created = { producer, connected, pending: [] as Pending[], flushing: Promise.resolve() };
      // A failed connect is retried by the next publish, not cached forever.
      created.connected.catch(() => clusters.delete(key));
      clusters.set(key, created);
      cluster = created;
    }
    return cluster;
  };

  const flush = (cluster: NonNullable<ReturnType<typeof clusters.get>>) => {
    cluster.timer = undefined;
    const batch = cluster.pending.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    cluster.flushing = cluster.flushing.then(async () => {
      try {
        await cluster.connected;
        const byTopic = groupByTopic(batch.map((p) => p.record));
        await cluster.producer.sendBatch({
          acks: -1,
          timeout: SEND_TIMEOUT_MS,
          compression: CompressionTypes.None,
          topicMessages: [...byTopic].map(([topic, records]) => ({
            topic,
            messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
          })),
        });
        for (const p of batch) p.resolve();
      } catch (error) {
        const reason = error instanceof Error ? error : new Error(String(error));
        for (const p of batch) p.reject(reason);
      }
    });
    if (cluster.pending.length > 0) flush(cluster);
  };

  return {
    publish(settings, record) {
      const cluster = get(settings);
      return new Promise<void>((resolve, reject) => {
        cluster.pending.push({ record, resolve, reject });
        if (cluster.pending.length >= MAX_BATCH) flush(cluster);
        else cluster.timer ??= setTimeout(() => flush(cluster), LINGER_MS);
      });
    },
    publishBatch(settings, records) {
      const cluster = get(settings);
      const sent = cluster.flushing.then(async () => {
        await cluster.connected;
        const byTopic = groupByTopic(records);
        await cluster.producer.sendBatch({
          acks: -1,
          timeout: SEND_TIMEOUT_MS,
          topicMessages: [...byTopic].map(([topic, list]) => ({
            topic,
            messages: list.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
          })),
        });
      });
      cluster.flushing = sent.catch(() => {});
      return sent;
    },
    async close() {
      for (const cluster of clusters.values()) {
        if (cluster.timer) clearTimeout(cluster.timer);
        flush(cluster);
        await cluster.flushing;
        await cluster.producer.disconnect().catch(() => {});
      }
      clusters.clear();
    },
  };
}

/** Records by topic, in order (one array per topic, appended to: a batch of a thousand is not copied a thousand times). */
function groupByTopic(records: KafkaRecord[]): Map<string, KafkaRecord[]> {
  const byTopic = new Map<string, KafkaRecord[]>();
  for (const record of records) {
    const list = byTopic.get(record.topic);
    if (list) list.push(record);
    else byTopic.set(record.topic, [record]);
  }
  return byTopic;
}

/**
 * kafkajs's socket factory with the outbound policy in it: host names resolve
 * through the vetter (only allowed addresses, connected to as resolved), and
 * IP literals, which Node connects to without a lookup, are checked here.
 */
function guardedSocketFactory(policy: AddressPolicy, vet: AddressVetter): ISocketFactory {
  const lookup = guardedLookup(vet);
  return ({ host, port, ssl, onConnect }) => {
    if (isIP(host)) {
      const refusal = policy.checkAddress(host);
      if (refusal) return refusedSocket(new RefusedAddressError(`broker ${host}:${port}: ${refusal}`));
    }
    if (ssl)
      return connectTls(
        { host, port, ...(isIP(host) ? {} : { servername: host }), ...(typeof ssl === 'object' ? ssl : {}), lookup },
        onConnect,
      );
    return connectTcp({ host, port, lookup }, onConnect);
  };
}

/**
 * At start, with KAFKA_BROKERS set: one metadata round trip, few retries. A broker
 * list that answers nothing is reported once, by name, instead of turning every
 * Kafka delivery into a failed attempt.
 */
export async function assertKafkaReachable(brokers: string[]): Promise<void> {
  const admin = new Kafka({
    clientId: 'herald-start',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 1000 },
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (error) {
    throw new StartupError('KAFKA_BROKERS', `cannot reach a Kafka broker at ${brokers.join(',')}: ${describeConnectError(error)}`);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function vetSeeds(vet: AddressVetter, brokers: string[]): Promise<void> {
  for (const broker of brokers) await vet(broker.slice(0, broker.lastIndexOf(':')));
}
