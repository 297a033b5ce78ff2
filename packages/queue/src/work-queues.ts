import { createPostgresBackend, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { AnyQueue, QueueSettings } from './runtime';

export interface WorkQueuePublisher {
  /**
   * Adds one job to the named work queue. The job id is the caller's (derived
   * from the message id), so publishing the same message again is a no-op
   * while that job exists.
   */
  publish(
    target: { queue: string; redisUrl?: string | undefined; prefix?: string | undefined },
    jobId: string,
    data: unknown,
  ): Promise<void>;
  close(): Promise<void>;
}

/**
 * Producers for work-queue endpoints: plain BullMQ queues that internal
 * services consume with an ordinary `Worker`. They live on Herald's own queue
 * store (same backend and connection) unless the endpoint names a Redis of its own.
 */
export function createWorkQueuePublisher(settings: QueueSettings, options: { timeoutMs?: number } = {}): WorkQueuePublisher {
  const queues = new Map<string, AnyQueue>();
  const connections = new Map<string, Redis>();
  const timeoutMs = options.timeoutMs ?? 15_000;

  const redis = (url: string) => {
    let connection = connections.get(url);
    if (!connection) {
      connection = new Redis(url, {
        maxRetriesPerRequest: 1,
        connectTimeout: timeoutMs,
        // A few quick reconnects, then the connection ends: an unreachable Redis must fail the
        // publish (BullMQ waits for a connection that is not ready yet, for ever if it keeps retrying).
        retryStrategy: (times) => (times > 3 ? null : 200 * times),
      });
      connection.on('error', () => {});
      connections.set(url, connection);
    }
    return connection;
  };

  /** Drops a queue (and its own Redis connection) after a failure, so the next publish starts afresh. */
  const evict = (key: string, redisUrl: string | undefined) => {
    const queue = queues.get(key);
    queues.delete(key);
    void queue?.close().catch(() => {});
    if (redisUrl) {
      const connection = connections.get(redisUrl);
      connections.delete(redisUrl);
      connection?.disconnect();
    }
  };

  const keyOf = (target: { queue: string; redisUrl?: string | undefined; prefix?: string | undefined }) =>
    JSON.stringify([target.redisUrl ?? '', target.prefix ?? 'bull', target.queue]);

  const queueFor = (target: { queue: string; redisUrl?: string | undefined; prefix?: string | undefined }) => {
    const prefix = target.prefix ?? 'bull';
    const key = keyOf(target);
    let queue = queues.get(key);
    if (!queue) {
      const redisUrl = target.redisUrl ?? (settings.kind === 'redis' ? settings.redisUrl : undefined);
      queue = redisUrl
        ? new Queue(target.queue, { connection: redis(redisUrl), prefix })
        : new Queue(target.queue, { connection: { connectionString: settings.databaseUrl ?? '', max: 3 }, prefix }, createPostgresBackend);
      queue.on('error', () => {});
      queues.set(key, queue);
    }
    return queue;
  };

  return {
    async publish(target, jobId, data) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from the queue store within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([
          queueFor(target).add('message', data, {
            jobId,
            removeOnComplete: { age: 24 * 3600, count: 100_000 },
            removeOnFail: { age: 7 * 24 * 3600 },
          }),
          deadline,
        ]);
      } catch (error) {
        // Only an endpoint's own Redis is dropped; Herald's own store reconnects by itself.
        if (target.redisUrl) evict(keyOf(target), target.redisUrl);
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await Promise.allSettled([...queues.values()].map((q) => q.close()));
      await Promise.allSettled([...connections.values()].map((c) => c.quit()));
    },
  };
}
