import { startApiServer } from '@herald/api';
import { newApiToken, newEndpointSecret, newId } from '@herald/core';
import { bootstrap, schema } from '@herald/db';
import { createQueueRuntime } from '@herald/queue';
import { startWorker } from '@herald/worker';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestRedis } from './services/redis';
import { call, testConfig, testDatabase } from './support/harness';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

const waitFor = async <T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe('transactional outbox', () => {
  it('accepts messages while the queue is down and dispatches them once it is back', async () => {
    // A Redis of this test's own, so stopping it disturbs no other test file.
    let redis = await startTestRedis();
    cleanups.push(() => redis.stop());
    const database = await testDatabase();
    cleanups.push(() => database.close());
    const queue = createQueueRuntime({ kind: 'redis', redisUrl: redis.url, prefix: 'outbox', databaseUrl: database.url });
    cleanups.push(() => queue.close());
    const token = newApiToken();
    const { orgId } = await bootstrap(database.db, { adminToken: token });
    const config = testConfig();
    const api = await startApiServer({ config, db: database.db, queue });
    cleanups.push(() => api.close());

    const app = await call<{ id: string }>(api.url, 'POST', '/api/v1/app', { token, json: { name: 'a' } });
    await database.db
      .insert(schema.endpoints)
      .values({ id: newId('endpoint'), orgId, appId: app.body.id, url: 'http://127.0.0.1:9/x', secret: newEndpointSecret() });

    await redis.stop();
    const started = Date.now();
    const published = await call<{ id: string }>(api.url, 'POST', `/api/v1/app/${app.body.id}/msg`, {
      token,
      json: { eventType: 'while.down', payload: { n: 1 } },
    });
    expect(published.status).toBe(202);
    expect(Date.now() - started, 'the answer does not wait on the queue').toBeLessThan(2000);

    const row = async () => (await database.db.select().from(schema.messages).where(eq(schema.messages.id, published.body.id)))[0];
    expect(await row(), 'not dispatched right after the commit').toMatchObject({ dispatchedAt: null });
    // The API's own hand-over gives up (2 s timeout) and leaves the message undispatched.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await row(), 'still undispatched once the hand-over gave up').toMatchObject({ dispatchedAt: null });

    redis = await startTestRedis({ port: redis.port });
    const worker = startWorker({ config, db: database.db, queue, sweeper: { intervalMs: 200, graceMs: 0, deliveryGraceMs: 30_000 } });
    cleanups.push(() => worker.close());

    const deliveries = await waitFor(async () => {
      const rows = await database.db.select().from(schema.deliveries).where(eq(schema.deliveries.messageId, published.body.id));
      return rows.length > 0 ? rows : undefined;
    }, 20_000);
    expect(deliveries).toHaveLength(1);
    expect((await row())?.dispatchedAt).toBeInstanceOf(Date);
  });
});
