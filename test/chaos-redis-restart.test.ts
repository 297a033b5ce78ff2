import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer } from '@herald/api';
import { newApiToken } from '@herald/core';
import { bootstrap } from '@herald/db';
import { createQueueRuntime } from '@herald/queue';
import { startWorker } from '@herald/worker';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestRedis } from './services/redis';
import { allSucceeded, deliveryReport, publishMany, receiverReport, sleep, until } from './support/chaos';
import { call, testConfig, testDatabase } from './support/harness';
import { testSender } from './support/outbound';
import { startReceiver } from './support/receiver';

/**
 * Chaos: the queue's Redis (append-only file, fsync on every write) crashes
 * with kill -9 while deliveries are in flight and jobs wait in the queue, then
 * comes back on the same port with the same data directory. Messages published
 * during the outage are committed (outbox) and dispatched by the sweeper once
 * Redis is back. Every message must arrive; no delivery may record two successes.
 */

const PREFIX = 'chaos_redis';
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

describe('chaos: Redis restarts mid-run', () => {
  it('delivers every message across a Redis crash and restart (AOF on), no success recorded twice', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-chaos-redis-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await chmod(dir, 0o755);
    let redis = await startTestRedis({ persistDir: dir });
    cleanups.push(() => redis.stop('SIGKILL'));

    const database = await testDatabase();
    cleanups.push(() => database.close());
    const queue = createQueueRuntime({ kind: 'redis', redisUrl: redis.url, databaseUrl: database.url, prefix: PREFIX });
    cleanups.push(() => queue.close());
    const token = newApiToken();
    await bootstrap(database.db, { adminToken: token });
    // Few slots and a slow receiver: at the crash some jobs are active, more are waiting in Redis.
    const config = testConfig({ HERALD_RETRY_SCHEDULE: '1,1,1,1,1', HERALD_DELIVERY_TIMEOUT_MS: '5000', HERALD_WORKER_CONCURRENCY: '4' });
    const api = await startApiServer({ config, db: database.db, queue });
    cleanups.push(() => api.close());
    const worker = startWorker({
      config,
      db: database.db,
      queue,
      sender: testSender({ timeoutMs: 5000 }),
      sweeper: { intervalMs: 500, graceMs: 1000, deliveryGraceMs: 5000 },
    });
    cleanups.push(() => worker.close());

    const receiver = await startReceiver(async () => {
      await sleep(700);
      return { status: 200, body: 'ok' };
    });
    cleanups.push(() => receiver.close());
    const app = await call<{ id: string }>(api.url, 'POST', '/api/v1/app', { token, json: { name: 'redis-restart' } });
    expect(app.status).toBe(201);
    const endpoint = await call(api.url, 'POST', `/api/v1/app/${app.body.id}/endpoint`, { token, json: { url: `${receiver.url}/hook` } });
    expect(endpoint.status).toBe(201);

    const before = await publishMany(api.url, token, app.body.id, 20, 'before');
    expect(before.refused).toEqual([]);
    await receiver.waitFor(3, 20_000);
    const receivedAtCrash = receiver.requests.length;
    const deliveredAtCrash = (await deliveryReport(database.db, before.committed)).byStatus;

    await redis.stop('SIGKILL');
    const crashedAt = Date.now();

    // The outbox answers while the queue is down; the hand-over is left to the sweeper.
    const during = await publishMany(api.url, token, app.body.id, 5, 'during');
    const duringMs = Date.now() - crashedAt;
    expect(during.refused, 'publishing needs PostgreSQL only').toEqual([]);
    const health = await call<{ status: string; checks: { queue: { status: string } } }>(api.url, 'GET', '/api/v1/health');
    expect(health.status).toBe(503);
    expect(health.body.checks.queue.status).toBe('down');
    await sleep(Math.max(0, 3000 - (Date.now() - crashedAt)));

    redis = await startTestRedis({ port: redis.port, persistDir: dir });
    const downMs = Date.now() - crashedAt;
    // What came back from the append-only file: the queue's keys, not an empty Redis.
    const probe = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    const restoredKeys = (await probe.keys(`${PREFIX}:*`)).length;
    probe.disconnect();
    expect(restoredKeys, 'the queue came back from the append-only file').toBeGreaterThan(0);

    const after = await publishMany(api.url, token, app.body.id, 5, 'after');
    expect(after.refused).toEqual([]);
    const all = [...before.committed, ...during.committed, ...after.committed];

    await until('every delivery to succeed after the Redis restart', () => allSucceeded(database.db, all), {
      timeoutMs: 60_000,
      intervalMs: 500,
      describe: async () =>
        `deliveries: ${JSON.stringify(await deliveryReport(database.db, all))}\nreceiver: ${JSON.stringify(receiverReport(receiver, all))}`,
    });
    const recoveredMs = Date.now() - crashedAt;
    await sleep(1000);

    const seen = receiverReport(receiver, all);
    const report = await deliveryReport(database.db, all);
    const aof = await readdir(join(dir, 'appendonlydir')).catch(() => []);
    console.log(
      `[chaos redis restart] ${all.length} messages (20 before, 5 during the outage in ${duringMs} ms, 5 after); ` +
        `${receivedAtCrash} requests received at the crash, deliveries then ${JSON.stringify(deliveredAtCrash)}; ` +
        `Redis down ${downMs} ms, ${restoredKeys} queue keys restored (${aof.join(', ')}); all succeeded ${Math.round(recoveredMs / 1000)} s after the crash; ` +
        `receiver saw ${seen.requests} requests for ${seen.distinct} messages: ${seen.duplicates} duplicate(s); attempts recorded: ${report.attempts}`,
    );

    expect(seen.missing, 'every message reached the receiver').toEqual([]);
    expect(report.rowCounts, 'exactly one delivery row per message').toEqual({});
    expect(report.notSucceeded).toEqual([]);
    expect(report.doubleSuccesses, 'no delivery has two succeeded attempts').toEqual([]);
  }, 120_000);
});
