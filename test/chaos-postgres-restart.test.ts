import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer } from '@herald/api';
import { newApiToken } from '@herald/core';
import { bootstrap, connectDatabase, type Database, type EmbeddedPostgresHandle, migrateDatabase, startEmbeddedPostgres } from '@herald/db';
import { createQueueRuntime } from '@herald/queue';
import { startWorker } from '@herald/worker';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { allSucceeded, deliveryReport, publishMany, receiverReport, sleep, until } from './support/chaos';
import { call, testConfig } from './support/harness';
import { testSender } from './support/outbound';
import { startReceiver } from './support/receiver';

/**
 * Chaos: the PostgreSQL cluster (a dedicated embedded one) stops with a fast
 * shutdown while deliveries are in flight and comes back on the same port with
 * the same data directory. The queue is Redis (the run's shared one, under a
 * prefix of this file's own). While the database is down, publishing must fail
 * with an error in the API's error shape, in bounded time; every message
 * answered 202 must be delivered, and no delivery may record two successes.
 * Herald's processes have no uncaughtException handler, so an exception thrown
 * outside any request or job while the database goes away would kill them:
 * none may happen in this process either.
 *
 * Timing: a send that was in flight when the database went away cannot record
 * its attempt; the delivery keeps its lease (HERALD_DELIVERY_TIMEOUT_MS + 30 s)
 * and the sweeper queues it again once the lease has run out, so recovery takes
 * about 35 s.
 */

const TIMEOUT_MS = 2000;
const DATABASE = 'herald_chaos';
const cleanups: (() => Promise<unknown>)[] = [];
/** Runs (and forgets) the cleanups registered since `mark`, newest first: one test's services stop before the next test starts. */
async function cleanupSince(mark: number) {
  for (const cleanup of cleanups.splice(mark).reverse()) await cleanup().catch(() => {});
}
let dir: string;
let cluster: EmbeddedPostgresHandle;
let port: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herald-chaos-pg-'));
  await chmod(dir, 0o755); // the cluster runs as the postgres user, which must reach its directory
  cluster = await startEmbeddedPostgres({ dataDir: dir, database: DATABASE });
  port = Number(new URL(cluster.url).port);
  await migrateDatabase(cluster.url);
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await cluster?.stop().catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true });
});

let down = false;
/** Stops the cluster (pg_ctl stop -m fast) and returns a function that starts it again, same data directory, same port. */
async function stopPostgres(): Promise<() => Promise<number>> {
  await cluster.stop();
  down = true;
  return startPostgresAgain;
}
async function startPostgresAgain(): Promise<number> {
  if (!down) return 0;
  const started = Date.now();
  cluster = await startEmbeddedPostgres({ dataDir: dir, port, database: DATABASE });
  down = false;
  expect(new URL(cluster.url).port, 'back on the same port').toBe(String(port));
  return Date.now() - started;
}

/** Collects what would have reached process.on('uncaughtException') — in a Herald process, a crash. */
function recordUncaught() {
  const errors: Error[] = [];
  const listener = (error: Error) => errors.push(error);
  process.on('uncaughtException', listener);
  cleanups.push(async () => process.off('uncaughtException', listener));
  return {
    errors,
    describe: () => errors.map((e) => `${e.stack?.split('\n').slice(0, 3).join(' | ')}`).join('\n'),
    stop: () => process.off('uncaughtException', listener),
  };
}

/** Five concurrent `select 1` on a pool: 'ok' or the driver's own error (drizzle wraps it as `cause`), with the time taken. */
async function probePool(db: Database): Promise<string[]> {
  return await Promise.all(
    [1, 2, 3, 4, 5].map(async () => {
      const started = Date.now();
      try {
        await db.execute(sql`select 1`);
        return `ok in ${Date.now() - started} ms`;
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        return `failed in ${Date.now() - started} ms: ${cause?.code ?? ''} ${cause?.message ?? String(error).split('\n')[0]}`.trim();
      }
    }),
  );
}

interface ErrorBody {
  code: string;
  detail: string;
  requestId: string;
}

describe('chaos: PostgreSQL restarts mid-run', () => {
  it('fails requests while it is down, then delivers every committed message, no success recorded twice', async () => {
    const mark = cleanups.length;
    try {
      await restartDuringDeliveries();
    } finally {
      await cleanupSince(mark);
      await startPostgresAgain(); // for the next test, if this one failed while the cluster was down
    }
  }, 150_000);

  async function restartDuringDeliveries() {
    const uncaught = recordUncaught();
    const database = connectDatabase(cluster.url, { max: 10 });
    cleanups.push(() => database.close());
    const queue = createQueueRuntime({
      kind: 'redis',
      redisUrl: inject('redisUrl'),
      databaseUrl: cluster.url,
      prefix: `chaos_pg_${randomBytes(4).toString('hex')}`,
    });
    cleanups.push(() => queue.close());
    const token = newApiToken();
    await bootstrap(database.db, { adminToken: token });
    const config = testConfig({
      HERALD_RETRY_SCHEDULE: '1,1,1,1,1',
      HERALD_DELIVERY_TIMEOUT_MS: String(TIMEOUT_MS),
      HERALD_WORKER_CONCURRENCY: '5',
    });
    const api = await startApiServer({ config, db: database.db, queue });
    cleanups.push(() => api.close());
    const worker = startWorker({
      config,
      db: database.db,
      queue,
      sender: testSender({ timeoutMs: TIMEOUT_MS }),
      sweeper: { intervalMs: 500, graceMs: 1000, deliveryGraceMs: 2000 },
    });
    cleanups.push(() => worker.close());

    const receiver = await startReceiver(async () => {
      await sleep(1000);
      return { status: 200, body: 'ok' };
    });
    cleanups.push(() => receiver.close());
    const app = await call<{ id: string }>(api.url, 'POST', '/api/v1/app', { token, json: { name: 'pg-restart' } });
    expect(app.status).toBe(201);
    const endpoint = await call(api.url, 'POST', `/api/v1/app/${app.body.id}/endpoint`, { token, json: { url: `${receiver.url}/hook` } });
    expect(endpoint.status).toBe(201);

    const before = await publishMany(api.url, token, app.body.id, 20, 'before');
    expect(before.refused).toEqual([]);
    // Five sends in flight (the worker's concurrency), the rest waiting in the queue.
    await receiver.waitFor(3, 20_000);
    await sleep(300);
    const receivedAtStop = receiver.requests.length;
    const atStop = (await deliveryReport(database.db, before.committed)).byStatus;

    const stoppedAt = Date.now();
    const restart = await stopPostgres();

    // While it is down: an answer in the error shape, in bounded time; no 202 that is not backed by a commit.
    const t = Date.now();
    const [during, health, read] = await Promise.all([
      publishMany(api.url, token, app.body.id, 3, 'during', { parallel: true }),
      call<{ status: string; checks: { database: { status: string } } }>(api.url, 'GET', '/api/v1/health').then((r) => ({
        ...r,
        ms: Date.now() - t,
      })),
      call<ErrorBody>(api.url, 'GET', `/api/v1/app/${app.body.id}/msg`, { token }).then((r) => ({ ...r, ms: Date.now() - t })),
    ]);
    for (const refusal of during.refused) {
      expect(refusal.status, JSON.stringify(refusal)).toBe(503);
      expect((refusal.body as ErrorBody).code).toBe('service_unavailable');
      expect(refusal.ms, 'the refusal does not hang').toBeLessThan(30_000);
      const body = refusal.body as ErrorBody;
      expect(body, JSON.stringify(refusal)).toMatchObject({
        code: expect.any(String),
        detail: expect.any(String),
        requestId: expect.any(String),
      });
      expect(JSON.stringify(body), 'nothing internal echoed').not.toMatch(/ECONNREFUSED|postgres:\/\/|127\.0\.0\.1/);
    }
    expect(during.committed, 'nothing can be committed while PostgreSQL is down').toEqual([]);
    expect(health.status).toBe(503);
    expect(health.body.checks.database.status).toBe('down');
    expect(read.status).toBe(503);
    expect(read.ms, 'the refusal does not hang').toBeLessThan(30_000);
    expect(read.body).toMatchObject({ code: expect.any(String), detail: expect.any(String), requestId: expect.any(String) });
    await sleep(Math.max(0, 3000 - (Date.now() - stoppedAt)));

    const restartMs = await restart();
    const downMs = Date.now() - stoppedAt;

    // The API's pool reconnects on its own: the next publishes are committed (asserted below, after the root causes).
    const after = await publishMany(api.url, token, app.body.id, 5, 'after');
    // The same pool, queried directly, says why a request after the restart failed (the API logs only drizzle's wrapper).
    const poolAfterRestart = await probePool(database.db);
    const all = [...before.committed, ...during.committed, ...after.committed];

    await until('every committed message to be delivered after the PostgreSQL restart', () => allSucceeded(database.db, all), {
      timeoutMs: 80_000,
      intervalMs: 500,
      describe: async () =>
        `deliveries: ${JSON.stringify(await deliveryReport(database.db, all))}\nreceiver: ${JSON.stringify(receiverReport(receiver, all))}`,
    });
    const recoveredMs = Date.now() - stoppedAt;
    await sleep(1000);
    uncaught.stop();

    const seen = receiverReport(receiver, all);
    const report = await deliveryReport(database.db, all);
    const refusals = during.refused.map((r) => `${r.status} ${(r.body as ErrorBody).code} in ${r.ms} ms`);
    console.log(
      `[chaos postgres restart] ${all.length} committed messages (20 before, ${during.committed.length} of 3 during the outage, 5 after); ` +
        `${receivedAtStop} requests received at the stop, deliveries then ${JSON.stringify(atStop)}; ` +
        `PostgreSQL down ${downMs} ms (restart took ${restartMs} ms); publishes while down: ${refusals.join(', ')}; ` +
        `GET while down: ${read.status} ${read.body.code} in ${read.ms} ms; health while down: ${health.status} in ${health.ms} ms; ` +
        `publishes after the restart: ${after.latenciesMs.join(', ')} ms; all delivered ${Math.round(recoveredMs / 1000)} s after the stop; ` +
        `receiver saw ${seen.requests} requests for ${seen.distinct} messages: ${seen.duplicates} duplicate(s) over ${seen.repeated} message(s); ` +
        `attempts recorded: ${report.attempts}; pool right after the restart: ${poolAfterRestart.join(', ')}; ` +
        `uncaught exceptions: ${uncaught.errors.length}`,
    );

    expect(
      uncaught.errors.map(String),
      `uncaught exceptions while PostgreSQL restarted (each would have killed a Herald process):\n${uncaught.describe()}`,
    ).toEqual([]);
    expect(after.refused, 'publishing works again once PostgreSQL is back').toEqual([]);
    expect(seen.missing, 'every committed message reached the receiver').toEqual([]);
    // Only a send in flight when PostgreSQL stopped (at most the worker's concurrency, 5) goes twice:
    // the claims waiting in the endpoint's line wait for the database instead of being sent unrecorded.
    expect(seen.duplicates, 'only the sends in flight at the stop are sent again').toBeLessThanOrEqual(5);
    expect(report.rowCounts, 'exactly one delivery row per message').toEqual({});
    expect(report.notSucceeded).toEqual([]);
    expect(report.doubleSuccesses, 'no delivery has two succeeded attempts').toEqual([]);
  }

  it('a transaction open when PostgreSQL stops fails with an error, not an uncaught exception that kills the process', async () => {
    // Herald's own client settings (packages/db/src/client.ts). Herald opens transactions
    // in recordAttempt, both sweeps, bootstrap, endpoint updates and streamed deliveries.
    const database = connectDatabase(cluster.url, { max: 5 });
    cleanups.push(() => database.close());
    // The cluster may still be coming back from the previous test's restart.
    await until('the database to answer', () => database.db.execute(sql`select 1`).then(() => true), { timeoutMs: 30_000 });
    const uncaught = recordUncaught();

    const open = [1, 2, 3].map(() =>
      database.db
        .transaction(async (tx) => {
          await tx.execute(sql`select pg_sleep(2)`);
        })
        .then(
          () => 'committed',
          (error: Error) => `rejected: ${error.message.split('\n')[0]}`,
        ),
    );
    await sleep(300);
    const restart = await stopPostgres();
    const outcomes = await Promise.all(open);
    // The driver's deferred writes run on the next turns of the event loop.
    await sleep(500);
    await restart();
    const poolAfterRestart = await probePool(database.db);
    uncaught.stop();
    console.log(
      `[chaos postgres stop during a transaction] outcomes: ${outcomes.join('; ')}; the same pool after the restart: ${poolAfterRestart.join(', ')}; ` +
        `uncaught exceptions: ${uncaught.errors.length}` +
        (uncaught.errors.length ? `\n${uncaught.describe()}` : ''),
    );

    expect(
      outcomes.every((o) => o.startsWith('rejected')),
      outcomes.join('; '),
    ).toBe(true);
    expect(
      uncaught.errors.map(String),
      `uncaught exceptions (each would have killed a Herald API or worker process):\n${uncaught.describe()}`,
    ).toEqual([]);
    // Each connection that lost a statement to the stop must not replay that statement's 57P01
    // onto the first query after the restart (scripts/patch-dependencies.mjs, upstream #1223).
    expect(
      poolAfterRestart.filter((probe) => !probe.startsWith('ok')),
      'the pool answers every query once PostgreSQL is back',
    ).toEqual([]);
  }, 60_000);
});
