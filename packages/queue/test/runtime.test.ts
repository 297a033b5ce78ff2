import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_BACKENDS, testDatabase, testQueue } from '../../../test/support/harness';
import type { QueueRuntime } from '../src';

describe.each(QUEUE_BACKENDS)('queue runtime on %s', (backend) => {
  let database: Awaited<ReturnType<typeof testDatabase>>;
  let queue: QueueRuntime;

  beforeAll(async () => {
    database = await testDatabase();
    queue = testQueue(backend, database.url);
  });
  afterAll(async () => {
    await queue?.close();
    await database?.close();
  });

  it('reports which backend it runs on and answers a ping', async () => {
    expect(queue.kind).toBe(backend);
    await expect(queue.ping()).resolves.toBeUndefined();
  });

  it('delivers an enqueued job to a worker, once, even when enqueued twice', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Enqueue twice before any worker exists: the deterministic job id makes the second a no-op.
    await queue.enqueue('fanout', { messageId: 'msg_same' });
    await queue.enqueue('fanout', { messageId: 'msg_same' });
    await queue.enqueueMany('fanout', [
      { payload: { messageId: 'msg_a' } },
      { payload: { messageId: 'msg_b' } },
      { payload: { messageId: 'msg_a' } },
    ]);
    const worker = queue.work('fanout', async (payload) => {
      seen.push('messageId' in payload ? payload.messageId : payload.messageIds.join());
      if (seen.length === 3) release();
    });
    await gate;
    // Give a duplicate, if there were one, the time to show up.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await worker.close();
    expect(seen.sort()).toEqual(['msg_a', 'msg_b', 'msg_same']);
  });

  it('starts each job as soon as it is fetched, not once it has fetched as many as it may run', async () => {
    // Queued before the worker exists, so its main loop finds them all waiting. Unpatched, bullmq
    // fetched all 40 (one transaction each on PostgreSQL) before starting the first.
    const count = 40;
    await queue.enqueueMany(
      'fanout',
      Array.from({ length: count }, (_, i) => ({ payload: { messageId: `msg_fetch_${i}` } })),
    );
    const started: number[] = [];
    const fetched: number[] = [];
    let release!: () => void;
    const all = new Promise<void>((resolve) => {
      release = resolve;
    });
    const worker = queue.work(
      'fanout',
      async (_payload, job) => {
        started.push(Date.now());
        fetched.push(job.processedOn ?? Number.NaN);
        if (started.length === count) release();
      },
      { concurrency: count },
    );
    await all;
    await worker.close();
    expect(Math.min(...started), 'the first job started before the last one was fetched').toBeLessThan(Math.max(...fetched));
  });

  it('refuses a malformed payload before it reaches the queue', async () => {
    await expect(queue.enqueue('fanout', { messageId: '' })).rejects.toThrow();
    await expect(queue.enqueue('fanout', {} as never)).rejects.toThrow();
  });
});
