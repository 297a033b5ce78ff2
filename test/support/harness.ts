import { randomBytes } from 'node:crypto';
import { type ApiDeps, type RunningApi, startApiServer } from '@herald/api';
import { type HeraldConfig, loadConfig, newApiToken, type QueueBackendKind } from '@herald/core';
import { bootstrap, connectDatabase, type DatabaseHandle } from '@herald/db';
import { createQueueRuntime, type QueueRuntime } from '@herald/queue';
import { type RunningWorker, startWorker, type WorkerDeps } from '@herald/worker';
import { inject } from 'vitest';
import { createDatabaseFromTemplate } from '../services/postgres';
import { testSender } from './outbound';
import './provided';

export const QUEUE_BACKENDS: QueueBackendKind[] = ['redis', 'postgres'];

const uniqueName = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

/** A database of its own, migrated (cloned from the run's template). */
export async function testDatabase(): Promise<DatabaseHandle & { url: string }> {
  const url = await createDatabaseFromTemplate(inject('postgresServerUrl'), uniqueName('test'));
  return { ...connectDatabase(url, { max: 5 }), url };
}

export function testConfig(overrides: Record<string, string> = {}): HeraldConfig {
  return loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error', ...overrides });
}

/** A queue runtime on the chosen backend, isolated from other files by its prefix (Redis) or database (PostgreSQL). */
export function testQueue(kind: QueueBackendKind, databaseUrl: string, prefix = uniqueName('q')): QueueRuntime {
  return createQueueRuntime({ kind, redisUrl: inject('redisUrl'), databaseUrl, prefix });
}

export interface TestHerald {
  url: string;
  rootToken: string;
  orgId: string;
  database: DatabaseHandle & { url: string };
  queue: QueueRuntime;
  config: HeraldConfig;
  /** What a worker process (`spawnWorker`) needs to join this Herald: its database, queue backend and prefix. */
  workerEnv: Record<string, string>;
  close(): Promise<void>;
}

/** The API on a free loopback port over a fresh database, with a root key. */
export async function startTestHerald(
  options: { queue?: QueueBackendKind; config?: Record<string, string>; deps?: Partial<ApiDeps> } = {},
): Promise<TestHerald> {
  const database = await testDatabase();
  const backend = options.queue ?? 'postgres';
  const prefix = uniqueName('q');
  const queue = testQueue(backend, database.url, prefix);
  const config = testConfig(options.config);
  const rootToken = newApiToken();
  // Operators only when the test configures HERALD_ADMIN_EMAIL/PASSWORD: hashing a password costs tens of milliseconds.
  const admin = config.operators.admin;
  const { orgId } = await bootstrap(database.db, { adminToken: rootToken, ...(admin ? { operators: { admin } } : {}) });
  let api: RunningApi;
  try {
    api = await startApiServer({ config, db: database.db, queue, ...options.deps });
  } catch (error) {
    await queue.close();
    await database.close();
    throw error;
  }
  return {
    url: api.url,
    rootToken,
    orgId,
    database,
    queue,
    config,
    workerEnv: {
      DATABASE_URL: database.url,
      HERALD_QUEUE_BACKEND: backend,
      HERALD_QUEUE_PREFIX: prefix,
      HERALD_OUTBOUND_ALLOWLIST: '127.0.0.0/8',
      ...(backend === 'redis' ? { REDIS_URL: inject('redisUrl') } : {}),
    },
    async close() {
      await api.close();
      await queue.close();
      await database.close();
    },
  };
}

/**
 * A worker in this process joined to a test Herald (its config, database and queue), sending
 * through the test sender (loopback receivers allowed, no real DNS) with `timeoutMs`; the rest
 * (sweeper timings, work-queue store, breaker policy) as the test needs.
 */
export function startTestWorker(
  herald: Pick<TestHerald, 'config' | 'database' | 'queue'>,
  options: Omit<WorkerDeps, 'config' | 'db' | 'queue' | 'sender'> & { timeoutMs?: number } = {},
): RunningWorker {
  const { timeoutMs, ...deps } = options;
  return startWorker({
    config: herald.config,
    db: herald.database.db,
    queue: herald.queue,
    sender: testSender(timeoutMs === undefined ? {} : { timeoutMs }),
    ...deps,
  });
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** Plain HTTP against a running Herald; raw bodies pass through untouched. */
export async function call<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: leave the text for the assertion to show
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}
