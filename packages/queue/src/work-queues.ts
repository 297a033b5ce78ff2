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
export function createWorkQueuePublisher(
  settings: QueueSettings,
  options: {
    timeoutMs?: number;
    /**
     * The outbound policy for a Redis an endpoint names (never Herald's own):
     * the addresses its host may be reached at, or a rejection. The
     * connection goes to the first of them, so the name is not resolved again.
     */
    vetHost?: (hostname: string) => Promise<string[]>;
  } = {},
): WorkQueuePublisher {
  const queues = new Map<string, AnyQueue>();
  const connections = new Map<string, Redis>();
  const timeoutMs = options.timeoutMs ?? 15_000;

  // An endpoint's Redis never shares a connection with Herald's own, even under the same URL.
  const connectionKey = (url: string, external: boolean) => (external ? `endpoint ${url}` : url);

  const redis = async (url: string, external: boolean) => {
    const key = connectionKey(url, external);
    let connection = connections.get(key);
    if (!connection) {
      // An endpoint's Redis is reached at the address the policy approved, not by its name again.
      const target = external ? await pinnedRedisOptions(url, options.vetHost) : url;
      connection = connections.get(key);
      if (connection) return connection;
      const common = {
        maxRetriesPerRequest: 1,
        connectTimeout: timeoutMs,
        // A few quick reconnects, then the connection ends: an unreachable Redis must fail the
        // publish (BullMQ waits for a connection that is not ready yet, for ever if it keeps retrying).
        retryStrategy: (times: number) => (times > 3 ? null : 200 * times),
      };
      connection = typeof target === 'string' ? new Redis(target, common) : new Redis({ ...target, ...common });
      connection.on('error', () => {});
      connections.set(key, connection);
    }
    return connection;
  };

  /** Drops a queue (and its own Redis connection) after a failure, so the next publish starts afresh. */
  const evict = (key: string, redisUrl: string | undefined) => {
    const queue = queues.get(key);
    queues.delete(key);
    void queue?.close().catch(() => {});
    if (redisUrl) {
      const connection = connections.get(connectionKey(redisUrl, true));
      connections.delete(connectionKey(redisUrl, true));
      connection?.disconnect();
    }
  };

  const keyOf = (target: { queue: string; redisUrl?: string | undefined; prefix?: string | undefined }) =>
    JSON.stringify([target.redisUrl ?? '', target.prefix ?? 'bull', target.queue]);

  const queueFor = async (target: { queue: string; redisUrl?: string | undefined; prefix?: string | undefined }) => {
    const prefix = target.prefix ?? 'bull';
    const key = keyOf(target);
    let queue = queues.get(key);
    if (!queue) {
      const redisUrl = target.redisUrl ?? (settings.kind === 'redis' ? settings.redisUrl : undefined);
      const connection = redisUrl ? await redis(redisUrl, target.redisUrl !== undefined) : undefined;
      queue = queues.get(key);
      if (queue) return queue;
      queue = connection
        ? new Queue(target.queue, { connection, prefix })
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
          queueFor(target).then((queue) =>
            queue.add('message', data, {
              jobId,
              removeOnComplete: { age: 24 * 3600, count: 100_000 },
              removeOnFail: { age: 7 * 24 * 3600 },
            }),
          ),
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

/** ioredis options for a redis:// or rediss:// URL whose host is replaced by the address the policy approved. */
async function pinnedRedisOptions(url: string, vetHost: ((hostname: string) => Promise<string[]>) | undefined) {
  if (!vetHost) throw new Error('a Redis named by an endpoint needs the outbound guard');
  const parsed = new URL(url);
  const hostname = parsed.hostname.replace(/^\[|\]$/g, '');
  const [host] = await vetHost(hostname);
  const db = Number(parsed.pathname.slice(1) || '0');
  return {
    host: host!,
    port: Number(parsed.port || 6379),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(Number.isInteger(db) ? { db } : {}),
    // TLS still checks the certificate against the name in the URL.
    ...(parsed.protocol === 'rediss:' ? { tls: { servername: hostname } } : {}),
  };
}
