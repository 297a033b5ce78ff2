import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

/** The harness's broker is a real Apache Kafka (KRaft); this proves the suite can reach it with kafkajs. */
describe('kafka broker', () => {
  const kafka = new Kafka({ clientId: 'herald-test', brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING });
  const topic = `herald-test-${randomBytes(4).toString('hex')}`;
  const admin = kafka.admin();

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it('round-trips keyed messages with headers through a consumer group', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = Array.from({ length: 20 }, (_, i) => ({
      key: `k${i % 3}`,
      value: JSON.stringify({ i }),
      headers: { 'webhook-id': `msg_${i}` },
    }));
    await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `g-${topic}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { key: string; i: number; id: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received.length} of 20 consumed`)), 30_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            received.push({
              key: message.key!.toString(),
              i: JSON.parse(message.value!.toString()).i,
              id: message.headers!['webhook-id']!.toString(),
            });
            if (received.length === sent.length) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();

    expect(received.map((r) => r.i).sort((a, b) => a - b)).toEqual(sent.map((_, i) => i));
    expect(received.every((r) => r.id === `msg_${r.i}`)).toBe(true);
    // Same key, same partition: each key's messages arrive in the order sent.
    for (const key of ['k0', 'k1', 'k2']) {
      const order = received.filter((r) => r.key === key).map((r) => r.i);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  });
});
