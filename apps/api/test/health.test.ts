import { type RunningApi, startApiServer } from '@herald/api';
import { freePort } from '@herald/db';
import { createQueueRuntime, type QueueRuntime } from '@herald/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, QUEUE_BACKENDS, startTestHerald, type TestHerald, testConfig, testDatabase } from '../../../test/support/harness';
import type { HealthOut } from '../src/routes/health';

describe.each(QUEUE_BACKENDS)('GET /api/v1/health with the %s queue', (backend) => {
  let herald: TestHerald;

  beforeAll(async () => {
    herald = await startTestHerald({ queue: backend });
  });
  afterAll(async () => {
    await herald?.close();
  });

  it('answers 200 ok without an API key when the database and the queue are up', async () => {
    const response = await call<HealthOut>(herald.url, 'GET', '/api/v1/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      status: 'ok',
      checks: {
        database: { status: 'up', latencyMs: expect.any(Number) },
        queue: { status: 'up', latencyMs: expect.any(Number), backend },
      },
    });
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });
});

describe('GET /api/v1/health with the queue unreachable', () => {
  let database: Awaited<ReturnType<typeof testDatabase>>;
  let queue: QueueRuntime;
  let api: RunningApi;

  beforeAll(async () => {
    database = await testDatabase();
    // A port that was free a moment ago: nothing listens there, so every connection is refused.
    const port = await freePort();
    queue = createQueueRuntime({ kind: 'redis', redisUrl: `redis://127.0.0.1:${port}`, prefix: 'health-down' });
    api = await startApiServer({ config: testConfig(), db: database.db, queue });
  });
  afterAll(async () => {
    await api?.close();
    await queue?.close();
    await database?.close();
  });

  it('answers 503 naming the queue as down and the database as up, promptly', async () => {
    const started = Date.now();
    const response = await call<HealthOut>(api.url, 'GET', '/api/v1/health');
    const elapsed = Date.now() - started;

    expect(response.status).toBe(503);
    expect(response.body.status).toBe('unavailable');
    expect(response.body.checks.database).toEqual({ status: 'up', latencyMs: expect.any(Number) });
    expect(response.body.checks.queue).toEqual({
      status: 'down',
      latencyMs: expect.any(Number),
      backend: 'redis',
      error: expect.any(String),
    });
    expect(elapsed).toBeLessThan(5_000);
  });
});
