import { freePort } from '@herald/db';
import { renderMetrics } from '@herald/runtime';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHerald, testDatabase } from './support/harness';
import { baseEnv, TSX, watch } from './support/herald-process';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('/metrics', () => {
  it('a scrape runs no query: queue depth is read in the background, not per scrape', async () => {
    const database = await testDatabase();
    cleanups.push(() => database.close());
    // The same database through a client that counts the statements it sends.
    const statements: string[] = [];
    const sql = postgres(database.url, { max: 1, onnotice: () => {}, debug: (_connection, query) => statements.push(query) });
    cleanups.push(() => sql.end({ timeout: 5 }));
    const db = drizzle(sql) as unknown as Parameters<typeof renderMetrics>[0];

    const first = await renderMetrics(db);
    expect(first).toMatch(/herald_queue_depth\{queue="deliveries_pending"\} 0/);
    const afterFirst = statements.length;
    expect(afterFirst).toBeGreaterThan(0);

    for (let scrape = 0; scrape < 50; scrape++) await renderMetrics(db);
    // 50 more scrapes, well within one refresh interval: not one more statement.
    expect(statements.length).toBe(afterFirst);
    // How stale the gauges are is itself exported.
    expect(first).toMatch(/herald_queue_depth_refreshed_timestamp_seconds \d/);
  });

  it('the standalone worker serves /metrics on HERALD_METRICS_PORT', async () => {
    const herald = await startTestHerald();
    cleanups.push(() => herald.close());
    const port = await freePort();
    const worker = watch(TSX, ['apps/worker/src/main.ts'], {
      env: baseEnv({ ...herald.workerEnv, HERALD_METRICS_PORT: String(port) }),
      detached: true,
    });
    cleanups.push(async () => {
      if (worker.child.exitCode === null) {
        process.kill(-worker.child.pid!, 'SIGKILL');
        await worker.exited();
      }
    });
    await worker.waitFor(/"msg":"worker started"/);
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const body = await response.text();
    expect(body).toMatch(/herald_queue_depth\{queue="messages_undispatched"\} \d+/);
    expect(body).toMatch(/# TYPE herald_deliveries_total counter/);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);

    process.kill(-worker.child.pid!, 'SIGTERM');
    expect((await worker.exited()).code, worker.output()).toBe(0);
  });

  it('a worker whose HERALD_METRICS_PORT is taken stops at once, naming it', async () => {
    const herald = await startTestHerald();
    cleanups.push(() => herald.close());
    const port = await freePort();
    const taken = (await import('node:net')).createServer();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const worker = watch(TSX, ['apps/worker/src/main.ts'], { env: baseEnv({ ...herald.workerEnv, HERALD_METRICS_PORT: String(port) }) });
    const { code } = await worker.exited();
    expect(code, worker.output()).toBe(1);
    expect(worker.output()).toMatch(/"level":"fatal".*"msg":"HERALD_METRICS_PORT: 127\.0\.0\.1:\d+ is already in use/);
    expect(worker.output()).not.toMatch(/worker started/);
  });
});
