import { randomBytes } from 'node:crypto';
import { startApiServer } from '@herald/api';
import { newApiToken } from '@herald/core';
import { bootstrap, schema } from '@herald/db';
import { createQueueRuntime } from '@herald/queue';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { allSucceeded, deliveryReport, publishMany, receiverReport, sleep, spawnWorker, until } from './support/chaos';
import { call, QUEUE_BACKENDS, testConfig, testDatabase } from './support/harness';
import { startReceiver } from './support/receiver';

/**
 * Chaos: the worker process dies with kill -9 while it holds deliveries (the
 * receiver keeps their requests open), and a new worker process takes over.
 * At-least-once: every message arrives, duplicates at the receiver are allowed
 * (and counted), but the database never records two successes for one delivery.
 *
 * Timing: the killed worker's lease is HERALD_DELIVERY_TIMEOUT_MS + 30 s, and
 * the worker process has no environment variable for its sweeper (defaults:
 * every 5 s, re-queues leases expired for more than 30 s). The deliveries held
 * at the kill come back either through BullMQ's stalled-job check (~30 s after
 * the kill, if the lease has run out by then) or through the sweeper (lease +
 * 30 s grace + up to 5 s), so each backend budgets up to ~70 s for recovery.
 * The two backends run concurrently.
 */

const MESSAGES = 20;
const TIMEOUT_MS = 3000;
const RECOVERY_BUDGET_MS = 110_000;

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

describe.concurrent('chaos: kill -9 the worker process mid-delivery', () => {
  it.each(QUEUE_BACKENDS)(
    'on the %s queue backend, a new worker delivers everything, with no success recorded twice',
    async (backend) => {
      const database = await testDatabase();
      cleanups.push(() => database.close());
      const prefix = `chaos_kill_${backend}_${randomBytes(4).toString('hex')}`;
      const redisUrl = inject('redisUrl');
      const queue = createQueueRuntime({ kind: backend, redisUrl, databaseUrl: database.url, prefix });
      cleanups.push(() => queue.close());
      const token = newApiToken();
      await bootstrap(database.db, { adminToken: token });
      const api = await startApiServer({ config: testConfig(), db: database.db, queue });
      cleanups.push(() => api.close());

      // Held open until the kill; answered 200 from then on.
      let killed = false;
      const receiver = await startReceiver(() => (killed ? { status: 200, body: 'ok' } : { hang: true }));
      cleanups.push(() => receiver.close());

      const app = await call<{ id: string }>(api.url, 'POST', '/api/v1/app', { token, json: { name: `kill-${backend}` } });
      expect(app.status, JSON.stringify(app.body)).toBe(201);
      const endpoint = await call<{ id: string }>(api.url, 'POST', `/api/v1/app/${app.body.id}/endpoint`, {
        token,
        json: { url: `${receiver.url}/hook` },
      });
      expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);

      const env: Record<string, string> = {
        DATABASE_URL: database.url,
        HERALD_QUEUE_BACKEND: backend,
        HERALD_QUEUE_PREFIX: prefix,
        HERALD_OUTBOUND_ALLOWLIST: '127.0.0.0/8',
        HERALD_DELIVERY_TIMEOUT_MS: String(TIMEOUT_MS),
        HERALD_RETRY_SCHEDULE: '1,1,1,1,1',
        LOG_LEVEL: 'warn',
        ...(backend === 'redis' ? { REDIS_URL: redisUrl } : {}),
      };
      const first = spawnWorker(env, `first ${backend} worker`);
      cleanups.push(() => first.stop(2000));

      const { committed, refused } = await publishMany(api.url, token, app.body.id, MESSAGES, `kill-${backend}`);
      expect(refused, 'every publish is committed').toEqual([]);

      await receiver.waitFor(1, 60_000).catch((error: Error) => {
        throw new Error(`${error.message}; first worker output:\n${first.output()}`);
      });
      // Let more of the batch reach the receiver, well inside the first request's delivery timeout.
      const firstHeldAt = receiver.requests[0]!.at;
      while (receiver.requests.length < MESSAGES && Date.now() - firstHeldAt < 1500) await sleep(50);
      await first.kill9();
      const killedAt = Date.now();
      killed = true;
      const heldAtKill = receiver.requests.length;
      expect(first.child.signalCode, 'the first worker died of SIGKILL').toBe('SIGKILL');

      const atKill = await database.db
        .select({ status: schema.deliveries.status })
        .from(schema.deliveries)
        .where(inArray(schema.deliveries.messageId, committed));
      const sendingAtKill = atKill.filter((row) => row.status === 'sending').length;
      expect(sendingAtKill, 'the kill hit deliveries in flight').toBeGreaterThan(0);

      const second = spawnWorker(env, `second ${backend} worker`);
      cleanups.push(() => second.stop(2000));

      await until('every delivery to succeed after the kill', () => allSucceeded(database.db, committed), {
        timeoutMs: RECOVERY_BUDGET_MS,
        intervalMs: 500,
        describe: async () =>
          `deliveries: ${JSON.stringify(await deliveryReport(database.db, committed))}\nreceiver: ${JSON.stringify(
            receiverReport(receiver, committed),
          )}\nsecond worker output:\n${second.output()}`,
      });
      const recoveredMs = Date.now() - killedAt;
      // Anything still on its way shows up in the counts below.
      await sleep(1000);

      const seen = receiverReport(receiver, committed);
      const report = await deliveryReport(database.db, committed);
      const attemptsByStatus = await database.db
        .select({ status: schema.attempts.status })
        .from(schema.attempts)
        .where(eq(schema.attempts.endpointId, endpoint.body.id));
      console.log(
        `[chaos kill -9 / ${backend}] ${committed.length} messages; ${heldAtKill} requests held at the kill, ${sendingAtKill} deliveries 'sending'; ` +
          `all succeeded ${Math.round(recoveredMs / 1000)} s after the kill; receiver saw ${seen.requests} requests for ${seen.distinct} messages: ` +
          `${seen.duplicates} duplicate(s) over ${seen.repeated} message(s); attempts recorded: ${attemptsByStatus.length} ` +
          `(${attemptsByStatus.filter((a) => a.status === 'succeeded').length} succeeded)`,
      );

      expect(seen.missing, 'every message reached the receiver').toEqual([]);
      expect(report.rowCounts, 'exactly one delivery row per message').toEqual({});
      expect(report.notSucceeded, 'every delivery succeeded').toEqual([]);
      expect(report.doubleSuccesses, 'no delivery has two succeeded attempts').toEqual([]);
      expect(attemptsByStatus.filter((a) => a.status === 'succeeded')).toHaveLength(committed.length);
      // Had the kill missed the real worker (tsx's child node process), its held sends would have timed out and been recorded.
      expect(
        attemptsByStatus.filter((a) => a.status === 'failed'),
        'the killed worker recorded nothing',
      ).toEqual([]);

      await second.stop();
      console.log(
        `[chaos kill -9 / ${backend}] second worker stopped with SIGTERM: exit code ${second.child.exitCode}, signal ${second.child.signalCode}`,
      );
    },
    RECOVERY_BUDGET_MS + 60_000,
  );
});
