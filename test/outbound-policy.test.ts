import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import { schema } from '@herald/db';
import { createAddressPolicy, createAddressVetter, createKafkaPublisher, isRefusal } from '@herald/delivery';
import type { startWorker } from '@herald/worker';
import { Queue } from 'bullmq';
import { eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { until } from './support/chaos';
import { call, startTestHerald, startTestWorker, type TestHerald } from './support/harness';

/**
 * One outbound policy for every connection an endpoint's settings can make.
 * Kafka brokers and Redis URLs that a tenant names are checked like webhook
 * URLs, at connect time, on every resolved address: a refused one is a final
 * failed attempt that never opened a socket, and a failure to connect to an
 * allowed one does not say what answered. Names on Herald's own cluster and
 * store belong to the organization, so tenants cannot reach each other's
 * queues or Herald's own.
 */
let herald: TestHerald;
let worker: ReturnType<typeof startWorker>;
/** A TCP listener standing for an internal service: it counts who connects. */
let internal: Server;
let internalPort = 0;
let connections = 0;
const STORE_PREFIX = `outbound_${Date.now().toString(36)}`;

beforeAll(async () => {
  internal = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
  internalPort = (internal.address() as AddressInfo).port;
  // The production default: no allowlist, so loopback, private and metadata addresses are refused.
  herald = await startTestHerald({
    queue: 'redis',
    config: { HERALD_RETRY_SCHEDULE: '1,1', KAFKA_BROKERS: inject('kafkaBrokers').join(',') },
  });
  worker = startTestWorker(herald, {
    workQueueStore: { kind: 'redis', redisUrl: inject('redisUrl'), prefix: STORE_PREFIX },
  });
  await call(herald.url, 'POST', '/api/v1/app', { token: herald.rootToken, json: { name: 'Outbound', uid: 'outbound' } });
});
afterAll(async () => {
  await worker?.close();
  await herald?.close();
  await new Promise((resolve) => internal?.close(resolve));
});

async function deliverTo(type: 'kafka' | 'queue', settings: Record<string, unknown>, eventType: string) {
  const endpoint = await call<{ id: string }>(herald.url, 'POST', '/api/v1/app/outbound/endpoint', {
    token: herald.rootToken,
    json: { type, settings, filterTypes: [eventType] },
  });
  expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);
  const published = await call(herald.url, 'POST', '/api/v1/app/outbound/msg', {
    token: herald.rootToken,
    json: { eventType, payload: {} },
  });
  expect(published.status).toBe(202);
  const delivery = await until(
    `the delivery to ${type} to end`,
    async () => {
      const [row] = await herald.database.db.select().from(schema.deliveries).where(eq(schema.deliveries.endpointId, endpoint.body.id));
      return row && (row.status === 'dead' || row.status === 'succeeded') && row;
    },
    { timeoutMs: 30_000 },
  );
  const attempts = await herald.database.db.select().from(schema.attempts).where(eq(schema.attempts.deliveryId, delivery.id));
  return { delivery, attempts };
}

describe('brokers and Redis URLs an endpoint names', () => {
  it.each([
    ['kafka', { topic: 'orders', brokers: ['127.0.0.1:{port}'] }, 'address 127.0.0.1 is in the loopback range'],
    ['kafka', { topic: 'orders', brokers: ['localhost:{port}'] }, 'localhost resolves to'],
    ['kafka', { topic: 'orders', brokers: ['169.254.169.254:9092'] }, 'a cloud metadata service address'],
    ['kafka', { topic: 'orders', brokers: ['10.1.2.3:9092'] }, 'in a private range'],
    ['queue', { queue: 'jobs', redisUrl: 'redis://127.0.0.1:{port}' }, 'address 127.0.0.1 is in the loopback range'],
    ['queue', { queue: 'jobs', redisUrl: 'redis://localhost:{port}/2' }, 'localhost resolves to'],
    ['queue', { queue: 'jobs', redisUrl: 'rediss://[::ffff:169.254.169.254]:6379' }, 'a cloud metadata service address'],
  ] as const)('%s %j is refused once, finally, without a connection', async (type, settings, reason) => {
    const before = connections;
    const concrete = JSON.parse(JSON.stringify(settings).replaceAll('{port}', String(internalPort)));
    const { delivery, attempts } = await deliverTo(type, concrete, `refused.${type}.${Math.random().toString(36).slice(2, 8)}`);
    expect(delivery.status).toBe('dead');
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.response).toContain('refused by the outbound policy');
    expect(attempts[0]!.response).toContain(reason);
    expect(connections - before).toBe(0);
  });

  it('guards every broker kafkajs dials, not only the seeds checked before it', async () => {
    const policy = createAddressPolicy();
    // A seed check that passes (as when DNS answered otherwise a moment before): the dial itself must be refused.
    const lenient = createAddressVetter(createAddressPolicy({ allowlist: ['127.0.0.0/8'] }), { timeoutMs: 1000 });
    const kafka = createKafkaPublisher({ clientId: 'outbound-test', guard: { policy, vet: lenient } });
    const before = connections;
    try {
      const failure = await kafka
        .publish({ brokers: [`127.0.0.1:${internalPort}`], external: true }, { topic: 't', key: 'k', value: '{}', headers: {} })
        .then(
          () => null,
          (error: unknown) => error,
        );
      expect(isRefusal(failure)).toBe(true);
      expect(connections - before).toBe(0);
    } finally {
      await kafka.close();
    }
  });
});

describe('names on Herald’s own cluster and store', () => {
  it('belong to the organization: two tenants’ "jobs" are two queues, and Herald’s own queues are out of reach', async () => {
    const other = await call<{ id: string }>(herald.url, 'POST', '/api/v1/organization', {
      token: herald.rootToken,
      json: { name: 'Other' },
    });
    expect(other.status, JSON.stringify(other.body)).toBe(201);
    const { delivery } = await deliverTo('queue', { queue: 'jobs' }, 'owned.jobs');
    expect(delivery.status).toBe('succeeded');
    // A tenant naming Herald's own prefix and queue lands in its own namespace under that prefix.
    const { delivery: sneaky, attempts } = await deliverTo('queue', { queue: 'deliver', prefix: 'herald' }, 'owned.sneaky');
    expect(sneaky.status).toBe('succeeded');
    expect(attempts[0]!.response).toBe(`queued on ${herald.orgId}.deliver`);

    const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    const queues = {
      own: new Queue(`${herald.orgId}.jobs`, { connection, prefix: 'bull' }),
      unscoped: new Queue('jobs', { connection, prefix: 'bull' }),
      otherOrg: new Queue(`${other.body.id}.jobs`, { connection, prefix: 'bull' }),
      heraldDeliver: new Queue('deliver', { connection, prefix: 'herald' }),
      sneaky: new Queue(`${herald.orgId}.deliver`, { connection, prefix: 'herald' }),
    };
    try {
      const count = async (queue: Queue) =>
        (await queue.getJobs(['waiting', 'delayed', 'active', 'completed'])).filter((j) => j.name === 'message').length;
      expect(await count(queues.own)).toBe(1);
      expect(await count(queues.sneaky)).toBe(1);
      expect(await count(queues.unscoped)).toBe(0);
      expect(await count(queues.otherOrg)).toBe(0);
      expect(await count(queues.heraldDeliver)).toBe(0);
    } finally {
      await Promise.all(Object.values(queues).map((q) => q.close()));
      connection.disconnect();
    }
  });
});
