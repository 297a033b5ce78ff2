import { describeConnectError, describeServiceUrl, type QueueBackendKind, StartupError } from '@herald/core';
import { createPostgresBackend, type Job, Queue, runMigrations, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { JOBS, type JobName, type JobPayload } from './catalog';

export interface QueueSettings {
  kind: QueueBackendKind;
  /** Required for the redis backend. */
  redisUrl?: string | undefined;
  /** Required for the postgres backend: BullMQ keeps its tables in the `bullmq` schema of this database. */
  databaseUrl?: string | undefined;
  /** Namespaces queues, so several Herald installations (or test files) can share one Redis. */
  prefix: string;
}

// The two backends give Queue and Worker different type parameters; code above
// the runtime must not care which, so it sees them erased.
// biome-ignore lint/suspicious/noExplicitAny: see above
export type AnyQueue = Queue<any, any, string, any, any, string, any, any>;
// biome-ignore lint/suspicious/noExplicitAny: see above
export type AnyWorker = Worker<any, any, string, any, any, any>;

export interface ScheduledJob<N extends JobName> {
  payload: JobPayload<N>;
  /** Run no earlier than this many milliseconds from now. */
  delayMs?: number;
}

export type JobHandler<N extends JobName> = (payload: JobPayload<N>, job: Job) => Promise<void>;

/**
 * The one place that knows which BullMQ backend is in use. Everything above
 * asks it for queues and workers by job name and never sees Redis or pg.
 */
export interface QueueRuntime {
  readonly kind: QueueBackendKind;
  enqueue<N extends JobName>(name: N, payload: JobPayload<N>, options?: { delayMs?: number }): Promise<void>;
  /** One round trip for many jobs (BullMQ `addBulk`). */
  enqueueMany<N extends JobName>(name: N, jobs: ScheduledJob<N>[]): Promise<void>;
  work<N extends JobName>(name: N, handler: JobHandler<N>, options?: { concurrency?: number }): AnyWorker;
  /** Resolves when the queue store answers; used by the health check. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Creates BullMQ's tables when the postgres backend is chosen; idempotent and lock-protected by BullMQ. */
export async function prepareQueueStore(settings: QueueSettings): Promise<void> {
  if (settings.kind === 'redis') return await assertRedisReachable(requireUrl(settings.redisUrl, 'REDIS_URL'));
  const client = new pg.Client({ connectionString: requireUrl(settings.databaseUrl, 'DATABASE_URL') });
  await client.connect();
  try {
    await runMigrations(client);
  } finally {
    await client.end();
  }
}

/**
 * One connection attempt, no retries: at start an unreachable Redis is a
 * configuration problem to report once, not an outage to ride out (the runtime's
 * own connections reconnect, with back-off, once Herald is running).
 */
async function assertRedisReachable(url: string): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // connect() rejects with "Connection is closed"; the socket's own error says why.
  let cause: unknown;
  probe.on('error', (error) => {
    cause ??= error;
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new StartupError('REDIS_URL', `cannot reach Redis at ${describeServiceUrl(url)}: ${describeConnectError(cause ?? error)}`);
  } finally {
    probe.disconnect();
  }
}

export function createQueueRuntime(settings: QueueSettings): QueueRuntime {
  const queues = new Map<JobName, AnyQueue>();
  const workers = new Set<AnyWorker>();
  const connections = new Set<Redis>();

  const redisConnection = (forWorker: boolean) => {
    const connection = new Redis(requireUrl(settings.redisUrl, 'REDIS_URL'), {
      // Workers block and must never give up on a command (BullMQ's rule);
      // producers fail fast so a Redis outage surfaces instead of hanging a request.
      maxRetriesPerRequest: forWorker ? null : 1,
      lazyConnect: false,
    });
    connection.on('error', () => {}); // reconnects on its own; failures surface through commands
    connections.add(connection);
    return connection;
  };

  const producerConnection = settings.kind === 'redis' ? redisConnection(false) : undefined;

  const queue = (name: JobName): AnyQueue => {
    let q = queues.get(name);
    if (!q) {
      const created: AnyQueue =
        settings.kind === 'redis'
          ? new Queue(JOBS[name].queue, { connection: producerConnection!, prefix: settings.prefix })
          : new Queue(
              JOBS[name].queue,
              { connection: { connectionString: requireUrl(settings.databaseUrl, 'DATABASE_URL'), max: 5 }, prefix: settings.prefix },
              createPostgresBackend,
            );
      created.on('error', () => {});
      queues.set(name, created);
      q = created;
    }
    return q;
  };

  const enqueue = async <N extends JobName>(name: N, payload: JobPayload<N>, options: { delayMs?: number } = {}) => {
    const spec = JOBS[name];
    const data = spec.payload.parse(payload) as JobPayload<N>;
    await queue(name).add(name, data, { ...spec.options, jobId: jobIdOf(name, data), delay: Math.max(0, options.delayMs ?? 0) });
  };

  return {
    kind: settings.kind,

    enqueue,

    async enqueueMany<N extends JobName>(name: N, jobs: ScheduledJob<N>[]) {
      if (jobs.length === 0) return;
      const spec = JOBS[name];
      // BullMQ's PostgreSQL backend adds a bulk through temporary tables: ~10 ms however few jobs it
      // holds, against ~1 ms a single add. A few jobs go one by one (concurrently) instead.
      if (jobs.length === 1 || (settings.kind === 'postgres' && jobs.length <= SMALL_BULK)) {
        await Promise.all(jobs.map((job) => enqueue(name, job.payload, job.delayMs === undefined ? {} : { delayMs: job.delayMs })));
        return;
      }
      await queue(name).addBulk(
        jobs.map((job) => {
          const data = spec.payload.parse(job.payload) as JobPayload<N>;
          return { name, data, opts: { ...spec.options, jobId: jobIdOf(name, data), delay: Math.max(0, job.delayMs ?? 0) } };
        }),
      );
    },

    work<N extends JobName>(name: N, handler: JobHandler<N>, options: { concurrency?: number } = {}) {
      const spec = JOBS[name];
      const processor = async (job: Job) => {
        const parsed = spec.payload.safeParse(job.data);
        // A malformed payload will not get better by retrying.
        if (!parsed.success) throw new UnrecoverableError(`malformed ${name} payload: ${parsed.error.message}`);
        await handler(parsed.data as JobPayload<N>, job);
      };
      const concurrency = options.concurrency ?? 10;
      const worker: AnyWorker =
        settings.kind === 'redis'
          ? new Worker(spec.queue, processor, { connection: redisConnection(true), prefix: settings.prefix, concurrency })
          : new Worker(
              spec.queue,
              processor,
              {
                // A job holds no connection while it runs, only while it is fetched and finished:
                // a small pool serves any concurrency without exhausting the server's connections.
                connection: {
                  connectionString: requireUrl(settings.databaseUrl, 'DATABASE_URL'),
                  max: Math.min(concurrency, PG_WORKER_POOL) + 2,
                },
                prefix: settings.prefix,
                concurrency,
              },
              createPostgresBackend,
            );
      workers.add(worker);
      return worker;
    },

    async ping(timeoutMs = 2000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([queue('fanout').getJobCounts('waiting'), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },

    async close() {
      // Workers first, so in-flight jobs finish or are released before their connections go.
      await Promise.allSettled([...workers].map((w) => w.close()));
      await Promise.allSettled([...queues.values()].map((q) => q.close()));
      await Promise.allSettled([...connections].map((c) => c.quit()));
    },
  };
}

/** Bulks of at most this many jobs are added one by one on the PostgreSQL backend (see enqueueMany). */
const SMALL_BULK = 16;

/** Most pooled connections a PostgreSQL-backend worker uses for its fetches and finishes (plus its LISTEN client). */
const PG_WORKER_POOL = 8;

/** The catalog's job id for a payload (each job's `jobId` takes its own payload type). */
function jobIdOf<N extends JobName>(name: N, payload: JobPayload<N>): string {
  return (JOBS[name].jobId as (p: JobPayload<N>) => string)(payload);
}

function requireUrl(url: string | undefined, variable: string): string {
  if (!url) throw new Error(`${variable} is required for this queue backend`);
  return url;
}
