import { newEndpointSecret } from '@herald/core';
import { freePort, schema } from '@herald/db';
import { eq } from 'drizzle-orm';
import { Kafka, logLevel } from 'kafkajs';
import { Webhook as SvixWebhook } from 'svix';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { until } from './support/chaos';
import { call, startTestHerald, startTestWorker, type TestHerald } from './support/harness';
import { type Receiver, startReceiver } from './support/receiver';

/**
 * One engine records every destination's outcomes: Kafka topics and work
 * queues produce the same attempts, metrics and operational webhooks as
 * webhooks do, when they succeed and when their broker or Redis is down.
 */
let herald: TestHerald;
let worker: { close(): Promise<void> };
let operator: Receiver;
const operatorSecret = newEndpointSecret();
const TOPIC = `outcomes-${Date.now().toString(36)}`;

beforeAll(async () => {
  operator = await startReceiver();
  herald = await startTestHerald({
    queue: 'redis',
    config: {
      KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      HERALD_RETRY_SCHEDULE: '1,1,1,1',
      HERALD_DELIVERY_TIMEOUT_MS: '1500',
      HERALD_OPERATIONAL_WEBHOOK_URL: `${operator.url}/ops`,
      HERALD_OPERATIONAL_WEBHOOK_SECRET: operatorSecret,
      // The brokers and Redis these endpoints name are on loopback: allowed here, as on a developer machine.
      HERALD_OUTBOUND_ALLOWLIST: '127.0.0.0/8',
    },
  });
  // On Herald's own cluster a topic belongs to the endpoint's organization.
  const admin = new Kafka({ clientId: 'herald-test', brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: `${herald.orgId}.${TOPIC}`, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  worker = startTestWorker(herald, {
    timeoutMs: 1500,
    workQueueStore: { kind: 'redis', redisUrl: inject('redisUrl'), prefix: `outcomes_${Date.now().toString(36)}` },
  });
  await call(herald.url, 'POST', '/api/v1/app', { token: herald.rootToken, json: { name: 'Outcomes', uid: 'outcomes' } });
});
afterAll(async () => {
  await worker?.close();
  await herald?.close();
  await operator?.close();
});

const api = <T = Record<string, unknown>>(method: string, path: string, json?: unknown) =>
  call<T>(herald.url, method, `/api/v1/app/outcomes${path}`, { token: herald.rootToken, json });

const scrape = async () => (await fetch(`${herald.url}/metrics`)).text();
const counter = (text: string, destination: string, outcome: string) =>
  Number(new RegExp(`^herald_deliveries_total\\{destination="${destination}",outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);

async function endpoint(type: 'kafka' | 'queue', settings: Record<string, unknown>, eventType: string) {
  const created = await api<{ id: string }>('POST', '/endpoint', { type, settings, filterTypes: [eventType] });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

const operational = (type: string, endpointId: string) =>
  operator.requests.filter((q) => {
    const body = JSON.parse(q.body) as { type: string; data: { endpointId: string } };
    return body.type === type && body.data.endpointId === endpointId;
  });

describe('Kafka and work-queue endpoints', () => {
  it('count their successes in the same metrics as webhooks', async () => {
    const before = await scrape();
    const kafka = await endpoint('kafka', { topic: TOPIC }, 'up');
    const queue = await endpoint('queue', { queue: 'outcomes-up' }, 'up');
    const published = await api<{ id: string }>('POST', '/msg', { eventType: 'up', payload: { n: 1 } });
    expect(published.status).toBe(202);
    for (const endpointId of [kafka, queue]) {
      await until(
        `the delivery to ${endpointId} to succeed`,
        async () => {
          const [row] = await herald.database.db.select().from(schema.deliveries).where(eq(schema.deliveries.endpointId, endpointId));
          return row?.status === 'succeeded';
        },
        { timeoutMs: 20_000 },
      );
    }
    const after = await scrape();
    expect(counter(after, 'kafka', 'succeeded') - counter(before, 'kafka', 'succeeded')).toBe(1);
    expect(counter(after, 'queue', 'succeeded') - counter(before, 'queue', 'succeeded')).toBe(1);
    expect(after).toMatch(/^herald_delivery_duration_seconds_count\{destination="kafka"\} \d+$/m);
  });

  it('record failures, retries, dead letters and the operator webhooks like webhooks do when their broker or Redis is down', async () => {
    const before = await scrape();
    const closed = await freePort(); // nothing listens here
    const kafka = await endpoint('kafka', { topic: TOPIC, brokers: [`127.0.0.1:${closed}`] }, 'down');
    const queue = await endpoint('queue', { queue: 'outcomes-down', redisUrl: `redis://127.0.0.1:${closed}` }, 'down');
    const published = await api<{ id: string }>('POST', '/msg', { eventType: 'down', payload: { n: 2 } });
    expect(published.status).toBe(202);

    for (const endpointId of [kafka, queue]) {
      // Five attempts (1 + the four retries of the schedule), then dead-lettered.
      const row = await until(
        `the delivery to ${endpointId} to be dead-lettered`,
        async () => {
          const [found] = await herald.database.db.select().from(schema.deliveries).where(eq(schema.deliveries.endpointId, endpointId));
          return found?.status === 'dead' && found;
        },
        { timeoutMs: 45_000 },
      );
      expect(row.attemptCount).toBe(5);
      const attempts = await api<{ data: { status: number; response: string }[] }>('GET', `/attempt/endpoint/${endpointId}`);
      expect(attempts.body.data).toHaveLength(5);
      expect(attempts.body.data.every((a) => a.status === 2)).toBe(true);

      // The operator hears of it as for a webhook: failing on the fourth attempt, then exhausted, signed.
      const exhausted = await until('message.attempt.exhausted', async () => operational('message.attempt.exhausted', endpointId)[0], {
        timeoutMs: 10_000,
      });
      const headers = Object.fromEntries(
        ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(exhausted.headers[h])]),
      );
      expect(new SvixWebhook(operatorSecret).verify(exhausted.body, headers)).toMatchObject({ data: { msgId: published.body.id } });
      expect(operational('message.attempt.failing', endpointId)).toHaveLength(1);
    }

    const after = await scrape();
    for (const destination of ['kafka', 'queue']) {
      expect(counter(after, destination, 'failed') - counter(before, destination, 'failed'), `${destination} failed attempts`).toBe(4);
      expect(counter(after, destination, 'dead') - counter(before, destination, 'dead'), `${destination} dead letters`).toBe(1);
    }
    // The failing streak is the endpoint's health, whatever carries its messages (written within a moment).
    for (const endpointId of [kafka, queue]) {
      const health = await until(
        `the failure streak of ${endpointId}`,
        async () => {
          const stats = await api<{
            endpoints: { endpointId: string; health: { consecutiveFailures: number; failingSince: string | null } }[];
          }>('GET', '/stats');
          const found = stats.body.endpoints.find((e) => e.endpointId === endpointId)!.health;
          return found.consecutiveFailures === 5 && found;
        },
        { timeoutMs: 5000 },
      );
      expect(health.failingSince).not.toBeNull();
    }
  }, 90_000);
});
