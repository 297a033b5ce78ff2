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
export function createWorkQueuePublisher(settings: QueueSettings): WorkQueuePublisher {
  const queues = new Map<string, AnyQueue>();
  const connections = new Map<string, Redis>();

  const redis = (url: string) => {
    let connection = connections.get(url);
    if (!connection) {
      connection = new Redis(url, { maxRetriesPerRequest: 1 });
      connection.on('error', () => {});
      connections.set(url, connection);
    }
    return connection;
  };

  const queueFor = (target: { queue: string; redisUrl?: string | undefined; prefix?: string | undefined }) => {
    const prefix = target.prefix ?? 'bull';
    const key = JSON.stringify([target.redisUrl ?? '', prefix, target.queue]);
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
      await queueFor(target).add('message', data, {
        jobId,
        removeOnComplete: { age: 24 * 3600, count: 100_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
    },
    async close() {
      await Promise.allSettled([...queues.values()].map((q) => q.close()));
      await Promise.allSettled([...connections.values()].map((c) => c.quit()));
    },
  };
}
