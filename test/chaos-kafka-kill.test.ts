import { randomBytes } from 'node:crypto';
import { startApiServer } from '@herald/api';
import { newApiToken } from '@herald/core';
import { bootstrap, schema } from '@herald/db';
import { createQueueRuntime } from '@herald/queue';
import { and, eq } from 'drizzle-orm';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { sleep, spawnWorker } from './support/chaos';
import { call, testConfig, testDatabase } from './support/harness';

/**
 * Chaos for Kafka endpoints: kill -9 the worker process while it drains a
 * topic endpoint, start another, and count what a consumer group reads. The
 * design allows duplicates here: a batch the broker acknowledged but the dead
 * worker never recorded is sent again once its drain lease (30 s) expires.
 * They are counted and printed; nothing may be missing, and the first
 * occurrences keep per-key order.
 */
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

describe('chaos: kill -9 the worker mid-stream to Kafka', () => {
  it('loses no message; duplicates are counted; first occurrences stay in per-key order', async () => {
    const brokers = inject('kafkaBrokers');
    const kafka = new Kafka({ clientId: 'herald-chaos', brokers, logLevel: logLevel.NOTHING });
    const name = `herald-chaos-${randomBytes(3).toString('hex')}`;

    const database = await testDatabase();
    cleanups.push(() => database.close());
    const prefix = `chaos_kafka_${randomBytes(4).toString('hex')}`;
    const redisUrl = inject('redisUrl');
    const queue = createQueueRuntime({ kind: 'redis', redisUrl, databaseUrl: database.url, prefix });
    cleanups.push(() => queue.close());
    const token = newApiToken();
    const { orgId } = await bootstrap(database.db, { adminToken: token });
    // On Herald's own cluster the endpoint's topic belongs to its organization.
    const topic = `${orgId}.${name}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const api = await startApiServer({ config: testConfig({ KAFKA_BROKERS: brokers.join(',') }), db: database.db, queue });
    cleanups.push(() => api.close());
    const app = await call<{ id: string }>(api.url, 'POST', '/api/v1/app', { token, json: { name: 'kafka-chaos' } });
    const endpoint = await call<{ id: string }>(api.url, 'POST', `/api/v1/app/${app.body.id}/endpoint`, {
      token,
      json: { type: 'kafka', settings: { topic: name, key: 'customer' } },
    });
    expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);

    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      HERALD_QUEUE_BACKEND: 'redis',
      HERALD_QUEUE_PREFIX: prefix,
      KAFKA_BROKERS: brokers.join(','),
      LOG_LEVEL: 'warn',
    };
    const first = spawnWorker(env, 'first kafka worker');
    cleanups.push(() => first.stop(2000));

    const consumed: { id: string; key: string }[] = [];
    const consumer = kafka.consumer({ groupId: `g-${topic}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    cleanups.push(() => consumer.disconnect());
    await consumer.run({
      eachMessage: async ({ message }) => {
        consumed.push({ id: message.headers!['webhook-id']!.toString(), key: message.key!.toString() });
      },
    });

    // Ten publishers, one per key, each waiting for its 202: that is the order to keep.
    const keys = 10;
    const perKey = 200;
    let second: ReturnType<typeof spawnWorker> | undefined;
    let killedAfter = 0;
    const publishing = Promise.all(
      Array.from({ length: keys }, async (_, k) => {
        const sent: string[] = [];
        for (let n = 0; n < perKey; n++) {
          const response = await call<{ id: string }>(api.url, 'POST', `/api/v1/app/${app.body.id}/msg`, {
            token,
            json: { eventType: 'chaos.kafka', payload: { customer: `c${k}`, n } },
          });
          expect(response.status).toBe(202);
          sent.push(response.body.id);
        }
        return sent;
      }),
    );
    // Kill mid-stream: once some records are on the topic and more keep coming.
    const deadline = Date.now() + 60_000;
    while (consumed.length < 200 && Date.now() < deadline) await sleep(50);
    expect(consumed.length, `the first worker streamed nothing:\n${first.output()}`).toBeGreaterThan(0);
    await first.kill9();
    killedAfter = consumed.length;
    second = spawnWorker(env, 'second kafka worker');
    cleanups.push(() => second!.stop(2000));

    const publishedByKey = await publishing;
    const all = publishedByKey.flat();
    const until = Date.now() + 120_000;
    while (new Set(consumed.map((c) => c.id)).size < all.length && Date.now() < until) await sleep(250);
    // The consumer can read a batch before anyone records it: a batch the dead
    // worker sent is recorded only when the next worker re-drains it after the
    // lease expires. Wait for the records too, not just the topic.
    const succeededDeliveries = async () => {
      const rows = await database.db
        .selectDistinct({ deliveryId: schema.attempts.deliveryId })
        .from(schema.attempts)
        .where(and(eq(schema.attempts.endpointId, endpoint.body.id), eq(schema.attempts.status, 'succeeded')));
      return rows.length;
    };
    while ((await succeededDeliveries()) < all.length && Date.now() < until + 60_000) await sleep(500);

    const counts = new Map<string, number>();
    for (const { id } of consumed) counts.set(id, (counts.get(id) ?? 0) + 1);
    const missing = all.filter((id) => !counts.has(id));
    const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    let outOfOrder = 0;
    publishedByKey.forEach((sent, k) => {
      const rank = new Map(sent.map((id, i) => [id, i]));
      const firsts: string[] = [];
      const seen = new Set<string>();
      for (const c of consumed) {
        if (c.key !== `c${k}` || seen.has(c.id)) continue;
        seen.add(c.id);
        firsts.push(c.id);
      }
      for (let i = 1; i < firsts.length; i++) if (rank.get(firsts[i]!)! < rank.get(firsts[i - 1]!)!) outOfOrder++;
    });
    const attempts = await database.db.select().from(schema.attempts).where(eq(schema.attempts.endpointId, endpoint.body.id));
    const successesPerDelivery = new Map<string, number>();
    for (const a of attempts)
      if (a.status === 'succeeded') successesPerDelivery.set(a.deliveryId, (successesPerDelivery.get(a.deliveryId) ?? 0) + 1);
    console.log(
      `[chaos kafka kill -9] ${all.length} messages, killed after ${killedAfter} consumed; consumer read ${consumed.length} records: ` +
        `${missing.length} missing, ${duplicates} duplicate(s), ${outOfOrder} out of per-key order`,
    );

    expect(missing, 'every message reached the topic').toEqual([]);
    expect(outOfOrder).toBe(0);
    // A duplicate is a batch the dead worker sent but never recorded: at most one batch.
    expect(duplicates).toBeLessThanOrEqual(1000);
    expect(
      [...successesPerDelivery.values()].filter((n) => n > 1),
      'no delivery recorded twice as succeeded',
    ).toEqual([]);
    expect(successesPerDelivery.size).toBe(all.length);
  }, 300_000);
});
