import { randomBytes } from 'node:crypto';
import { newEndpointSecret, newId } from '@herald/core';
import { freePort, schema } from '@herald/db';
import { createQueueRuntime, probeJob } from '@herald/queue';
import { Worker as BullWorker } from 'bullmq';
import { eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { Webhook as SvixWebhook } from 'svix';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestKafka } from './services/kafka';
import { until } from './support/chaos';
import { call, startTestHerald, startTestWorker, type TestHerald } from './support/harness';
import { type Receiver, startReceiver } from './support/receiver';

/**
 * Kafka topics, work queues and FIFO ordering as endpoint types, against the
 * run's real Kafka broker and Redis. Endpoints are written to the database
 * directly here; their API fields are tested with the endpoints resource.
 */
let herald: TestHerald;
let worker: { close(): Promise<void> };
let appId: string;
const kafka = new Kafka({ clientId: 'herald-test', brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING });

beforeAll(async () => {
  herald = await startTestHerald({
    queue: 'redis',
    config: {
      KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      HERALD_RETRY_SCHEDULE: '1,1,1,1,1,1,1,1,1,1',
      HERALD_DELIVERY_TIMEOUT_MS: '2000',
      // A broker an endpoint names on loopback: allowed here, as on a developer machine.
      HERALD_OUTBOUND_ALLOWLIST: '127.0.0.0/8',
    },
  });
  worker = startTestWorker(herald, {
    timeoutMs: 2000,
    workQueueStore: { kind: 'redis', redisUrl: inject('redisUrl'), prefix: 'unused' },
  });
  const app = await call<{ id: string }>(herald.url, 'POST', '/api/v1/app', {
    token: herald.rootToken,
    json: { name: 'Streams', uid: 'streams' },
  });
  appId = app.body.id;
});
afterAll(async () => {
  await worker?.close();
  await herald?.close();
});

async function insertEndpoint(values: Partial<typeof schema.endpoints.$inferInsert>) {
  const [row] = await herald.database.db
    .insert(schema.endpoints)
    .values({ id: newId('endpoint'), orgId: herald.orgId, appId, secret: newEndpointSecret(), ...values })
    .returning();
  return row!;
}

async function publishMany(eventType: string, payloads: unknown[], concurrency = 50) {
  const ids: string[] = [];
  for (let i = 0; i < payloads.length; i += concurrency) {
    const batch = await Promise.all(
      payloads
        .slice(i, i + concurrency)
        .map((payload) =>
          call<{ id: string }>(herald.url, 'POST', '/api/v1/app/streams/msg', { token: herald.rootToken, json: { eventType, payload } }),
        ),
    );
    for (const response of batch) {
      expect(response.status).toBe(202);
      ids.push(response.body.id);
    }
  }
  return ids;
}

describe('kafka endpoints', () => {
  it('writes 10,000 published messages to the topic once each, ordered per key, with signed headers', async () => {
    // On Herald's own cluster the endpoint's topic is its organization's: `<org_id>.<topic>`.
    const name = `herald-orders-${randomBytes(3).toString('hex')}`;
    const topic = `${herald.orgId}.${name}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
    await admin.disconnect();
    const endpoint = await insertEndpoint({ type: 'kafka', settings: { topic: name, key: 'customer' }, filterTypes: ['order.placed'] });

    // Twenty publishers, one per key, each waiting for its 202 before the next: per-key order is
    // the order each publisher's messages were accepted in (concurrent publishes have no order).
    const total = 10_000;
    const keys = 20;
    const publishStarted = Date.now();
    const publishedByKey = await Promise.all(
      Array.from({ length: keys }, async (_, k) => {
        const sent: string[] = [];
        for (let n = 0; n < total / keys; n++) {
          const response = await call<{ id: string }>(herald.url, 'POST', '/api/v1/app/streams/msg', {
            token: herald.rootToken,
            json: { eventType: 'order.placed', payload: { customer: `c${k}`, n } },
          });
          expect(response.status).toBe(202);
          sent.push(response.body.id);
        }
        return sent;
      }),
    );
    const ids = publishedByKey.flat();
    const publishedInMs = Date.now() - publishStarted;
    const consumer = kafka.consumer({ groupId: `g-${topic}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Map<string, number>();
    const consumedByKey = new Map<string, string[]>();
    let sample: { body: string; headers: Record<string, string> } | undefined;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${seen.size} of ${total}`)), 120_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            const id = message.headers!['webhook-id']!.toString();
            seen.set(id, (seen.get(id) ?? 0) + 1);
            const body = message.value!.toString();
            const { customer } = JSON.parse(body) as { customer: string };
            expect(message.key!.toString()).toBe(customer);
            consumedByKey.set(customer, [...(consumedByKey.get(customer) ?? []), id]);
            sample ??= {
              body,
              headers: Object.fromEntries(Object.entries(message.headers!).map(([k, v]) => [k, String(v)])),
            };
            if (seen.size === total) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();

    let outOfOrder = 0;
    publishedByKey.forEach((sent, k) => {
      const rank = new Map(sent.map((id, i) => [id, i]));
      const consumed = consumedByKey.get(`c${k}`) ?? [];
      for (let i = 1; i < consumed.length; i++) if (rank.get(consumed[i]!)! < rank.get(consumed[i - 1]!)!) outOfOrder++;
    });
    const duplicates = [...seen.values()].filter((count) => count > 1).length;
    console.log(
      `kafka: ${seen.size} distinct messages, ${duplicates} duplicates, ${outOfOrder} out of per-key order; published in ${publishedInMs} ms, all consumed ${Date.now() - publishStarted} ms after the first publish`,
    );
    expect(new Set(ids)).toEqual(new Set(seen.keys()));
    expect(duplicates).toBe(0);
    expect(outOfOrder).toBe(0);
    expect(sample!.headers['herald-event-type']).toBe('order.placed');
    expect(new SvixWebhook(endpoint.secret).verify(sample!.body, sample!.headers)).toEqual(JSON.parse(sample!.body));
  }, 180_000);

  it('retries while the broker is down and succeeds once it is back', async () => {
    const port = await freePort();
    const topic = `herald-late-${randomBytes(3).toString('hex')}`;
    const endpoint = await insertEndpoint({
      type: 'kafka',
      settings: { topic, brokers: [`127.0.0.1:${port}`] },
      filterTypes: ['late.event'],
    });
    const [messageId] = await publishMany('late.event', [{ when: 'broker down' }]);
    const attemptsOf = () =>
      herald.database.db.select().from(schema.attempts).where(eq(schema.attempts.messageId, messageId!)).orderBy(schema.attempts.seq);
    const deadline = Date.now() + 20_000;
    while ((await attemptsOf()).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const failures = await attemptsOf();
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures.every((a) => a.status === 'failed' && a.response.startsWith('kafka:'))).toBe(true);

    const broker = await startTestKafka({ port });
    try {
      const admin = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
      await admin.disconnect();
      const until = Date.now() + 40_000;
      let status = '';
      while (status !== 'succeeded' && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 250));
        const [delivery] = await herald.database.db.select().from(schema.deliveries).where(eq(schema.deliveries.endpointId, endpoint.id));
        status = delivery?.status ?? '';
      }
      expect(status).toBe('succeeded');
    } finally {
      await broker.stop();
    }
  }, 120_000);
});

describe('work-queue endpoints', () => {
  it('gives every message to exactly one of two ordinary BullMQ workers', async () => {
    const queueName = `herald-jobs-${randomBytes(3).toString('hex')}`;
    await insertEndpoint({ type: 'queue', settings: { queue: queueName }, filterTypes: ['job.requested'] });
    const received: { consumer: string; id: string }[] = [];
    const consumers = ['a', 'b'].map(
      (name) =>
        new BullWorker(
          // On Herald's own store the queue belongs to the endpoint's organization.
          `${herald.orgId}.${queueName}`,
          async (job) => {
            received.push({ consumer: name, id: job.data.id });
            await new Promise((r) => setTimeout(r, 5));
          },
          { connection: new Redis(inject('redisUrl'), { maxRetriesPerRequest: null }), concurrency: 2 },
        ),
    );
    try {
      const ids = await publishMany(
        'job.requested',
        Array.from({ length: 200 }, (_, n) => ({ n })),
      );
      const deadline = Date.now() + 30_000;
      while (received.length < ids.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(received.map((r) => r.id).sort()).toEqual([...ids].sort());
      const byConsumer = (name: string) => received.filter((r) => r.consumer === name).length;
      expect(byConsumer('a')).toBeGreaterThan(0);
      expect(byConsumer('b')).toBeGreaterThan(0);
    } finally {
      await Promise.all(consumers.map((c) => c.close()));
    }
  }, 60_000);
});

describe('FIFO endpoints', () => {
  it('deliver strictly in message order, even when the third message fails twice', async () => {
    const failuresLeft = new Map<number, number>([[2, 2]]);
    const receiver = await startReceiver((request) => {
      const { n } = JSON.parse(request.body) as { n: number };
      const left = failuresLeft.get(n) ?? 0;
      if (left > 0) {
        failuresLeft.set(n, left - 1);
        return { status: 500, body: 'not yet' };
      }
      return { status: 200, body: 'ok' };
    });
    try {
      await insertEndpoint({ url: `${receiver.url}/fifo`, fifo: true, filterTypes: ['fifo.event'] });
      const count = 12;
      for (let n = 0; n < count; n++) await publishMany('fifo.event', [{ n }]);
      const requests = await receiver.waitFor(count + 2, 60_000);
      const order = requests.map((r) => (JSON.parse(r.body) as { n: number }).n);
      // Message 2 is tried three times in a row, and nothing after it is sent before it succeeds.
      expect(order).toEqual([0, 1, 2, 2, 2, ...Array.from({ length: count - 3 }, (_, i) => i + 3)]);
    } finally {
      await receiver.close();
    }
  }, 90_000);
});

describe('FIFO endpoints and fan-out', () => {
  /** A message committed half a second ago and handed to fan-out, which has not created its deliveries yet. */
  async function insertMessageNotFannedOut(eventType: string, payload: Record<string, unknown>): Promise<string> {
    const id = newId('message');
    await herald.database.db
      .insert(schema.messages)
      .values({ id, orgId: herald.orgId, appId, eventType, payload, createdAt: new Date(Date.now() - 500), dispatchedAt: new Date() });
    return id;
  }

  async function expectNothingSentFor(receiver: Receiver, ms: number) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    expect(receiver.requests).toHaveLength(0);
  }

  /** Once the earlier message is fanned out, both go to the FIFO endpoint, the earlier one first. */
  async function expectSentInOrderOnceFannedOut(receiver: Receiver, earlier: string) {
    await herald.queue.enqueue('fanout', { messageId: earlier });
    const requests = await receiver.waitFor(2, 15_000);
    expect(requests.map((r) => (JSON.parse(r.body) as { n: number }).n)).toEqual([0, 1]);
  }

  it('do not let a message overtake an earlier one whose fan-out has not finished', async () => {
    const receiver = await startReceiver();
    try {
      await insertEndpoint({ url: `${receiver.url}/fifo-race`, fifo: true, filterTypes: ['fifo.race'] });
      // The earlier message: committed and handed to fan-out, which has not created its deliveries yet
      // (fan-outs of two messages published back to back may finish in either order).
      const earlier = await insertMessageNotFannedOut('fifo.race', { n: 0 });
      const [later] = await publishMany('fifo.race', [{ n: 1 }]);
      // The later message's delivery exists and is the oldest the endpoint has: it must still wait.
      await expectNothingSentFor(receiver, 1500);
      const [delivery] = await herald.database.db.select().from(schema.deliveries).where(eq(schema.deliveries.messageId, later!));
      // Waiting, not attempted: it is claimed and given back every 250 ms while it looks, so it may be
      // caught as `sending` for an instant, but it has no attempt.
      expect(delivery?.attemptCount).toBe(0);
      expect(['pending', 'sending']).toContain(delivery?.status);
      await expectSentInOrderOnceFannedOut(receiver, earlier);
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it('do not let the circuit probe send a head whose earlier message has not been fanned out', async () => {
    const receiver = await startReceiver();
    try {
      // Half-open: the circuit's wait is over and the next probe tests the endpoint; until then
      // every delivery is held.
      const endpoint = await insertEndpoint({
        url: `${receiver.url}/fifo-probe`,
        fifo: true,
        filterTypes: ['fifo.probe'],
        circuitOpenUntil: new Date(Date.now() - 1000),
        circuitTrips: 1,
      });
      const earlier = await insertMessageNotFannedOut('fifo.probe', { n: 0 });
      const [later] = await publishMany('fifo.probe', [{ n: 1 }]);
      await until(
        'the later message to be held behind the circuit',
        async () => {
          const [delivery] = await herald.database.db.select().from(schema.deliveries).where(eq(schema.deliveries.messageId, later!));
          return delivery?.status === 'pending' && delivery.nextAttemptAt === null;
        },
        { timeoutMs: 15_000 },
      );

      // The probe finds the later message's delivery first in line, but its application's earlier
      // message is still being fanned out: it must not be the test.
      await herald.queue.enqueue('deliver', probeJob(endpoint.id, Date.now()));
      await expectNothingSentFor(receiver, 1500);
      await expectSentInOrderOnceFannedOut(receiver, earlier);
    } finally {
      await receiver.close();
    }
  }, 60_000);
});

describe('work queues on the PostgreSQL backend', () => {
  it('publishes to a BullMQ queue in the same database when Herald runs without Redis', async () => {
    const pgHerald = await startTestHerald({ queue: 'postgres' });
    const pgWorker = startTestWorker(pgHerald, {
      workQueueStore: { kind: 'postgres', databaseUrl: pgHerald.database.url, prefix: 'unused' },
    });
    const queueName = `pg-jobs-${randomBytes(3).toString('hex')}`;
    try {
      const app = await call<{ id: string }>(pgHerald.url, 'POST', '/api/v1/app', { token: pgHerald.rootToken, json: { name: 'pg' } });
      await pgHerald.database.db.insert(schema.endpoints).values({
        id: newId('endpoint'),
        orgId: pgHerald.orgId,
        appId: app.body.id,
        secret: newEndpointSecret(),
        type: 'queue',
        settings: { queue: queueName },
      });
      const sent = await call<{ id: string }>(pgHerald.url, 'POST', `/api/v1/app/${app.body.id}/msg`, {
        token: pgHerald.rootToken,
        json: { eventType: 'pg.job', payload: { hello: 'pg' } },
      });
      const consumerRuntime = createQueueRuntime({ kind: 'postgres', databaseUrl: pgHerald.database.url, prefix: 'unused' });
      const { createPostgresBackend } = await import('bullmq');
      const got = await new Promise<{ id: string; payload: unknown }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no job')), 20_000);
        const consumer = new BullWorker(
          `${pgHerald.orgId}.${queueName}`,
          async (job) => {
            clearTimeout(timer);
            resolve(job.data);
          },
          { connection: { connectionString: pgHerald.database.url, max: 2 } } as never,
          createPostgresBackend as never,
        );
        consumer.on('error', () => {});
        setTimeout(() => void consumer.close(), 20_500);
      });
      await consumerRuntime.close();
      expect(got).toMatchObject({ id: sent.body.id, payload: { hello: 'pg' } });
    } finally {
      await pgWorker.close();
      await pgHerald.close();
    }
  }, 60_000);
});
