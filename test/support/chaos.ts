import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Database, schema } from '@herald/db';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { call } from './harness';
import type { Receiver } from './receiver';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something truthy; past `timeoutMs` fails with `what` and the last state `describe` gives. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false | null>,
  options: { timeoutMs: number; intervalMs?: number; describe?: () => Promise<string> | string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const state = options.describe ? await Promise.resolve(options.describe()).catch((e) => `(state unavailable: ${e})`) : '';
      const last = lastError ? `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}` : '';
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${last}${state ? `\n${state}` : ''}`);
    }
    await sleep(options.intervalMs ?? 200);
  }
}

export interface WorkerProcess {
  readonly pid: number;
  child: ChildProcess;
  output(): string;
  /** SIGKILL to the whole process group: tsx runs the worker in a child node process, both must die at once. */
  kill9(): Promise<void>;
  /**
   * SIGTERM to the tsx launcher, as a supervisor stopping `npm run start:worker`
   * does (tsx forwards it to the worker), then SIGKILL to the group if anything
   * is still there after `graceMs`.
   */
  stop(graceMs?: number): Promise<void>;
}

/**
 * `tsx apps/worker/src/main.ts` as an operator runs it, in a process group of
 * its own so that a kill -9 reaches the real worker (tsx's child node process)
 * and not only the tsx launcher.
 */
export function spawnWorker(env: Record<string, string>, label = 'worker'): WorkerProcess {
  const child = spawn(TSX, ['apps/worker/src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`${label}: spawn failed`);
  const pid = child.pid;
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = once(child, 'exit');
  exited.catch(() => {});
  const alive = () => child.exitCode === null && child.signalCode === null;
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is gone already
    }
  };
  return {
    pid,
    child,
    output: () => output,
    async kill9() {
      killGroup('SIGKILL');
      if (alive()) await exited;
    },
    async stop(graceMs = 15_000) {
      if (alive()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => killGroup('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      // Whatever tsx left behind in the group (it should be nothing) goes too.
      killGroup('SIGKILL');
    },
  };
}

/** Publishes `count` messages, one request each (one after the other, or all at once), and returns the ids of those answered 202. */
export async function publishMany(
  baseUrl: string,
  token: string,
  appId: string,
  count: number,
  tag: string,
  options: { parallel?: boolean } = {},
): Promise<{ committed: string[]; refused: { status: number; body: unknown; ms: number }[]; latenciesMs: number[] }> {
  const committed: string[] = [];
  const refused: { status: number; body: unknown; ms: number }[] = [];
  const latenciesMs: number[] = [];
  const publish = async (i: number) => {
    const started = Date.now();
    const response = await call<{ id: string }>(baseUrl, 'POST', `/api/v1/app/${appId}/msg`, {
      token,
      json: { eventType: 'chaos.test', payload: { tag, i } },
    });
    const ms = Date.now() - started;
    latenciesMs.push(ms);
    if (response.status === 202) committed.push(response.body.id);
    else refused.push({ status: response.status, body: response.body, ms });
  };
  const indexes = Array.from({ length: count }, (_, i) => i);
  if (options.parallel) await Promise.all(indexes.map(publish));
  else for (const i of indexes) await publish(i);
  return { committed, refused, latenciesMs };
}

export interface DeliveryReport {
  /** Messages without exactly one delivery row. */
  rowCounts: Record<string, number>;
  byStatus: Record<string, number>;
  notSucceeded: { messageId: string; status: string; attemptCount: number; lastError: string | null }[];
  /** Deliveries with more than one succeeded attempt in the attempts table. */
  doubleSuccesses: { deliveryId: string; successes: number }[];
  attempts: number;
}

/** What the database says about the deliveries of these messages. */
export async function deliveryReport(db: Database, messageIds: string[]): Promise<DeliveryReport> {
  const rows = messageIds.length ? await db.select().from(schema.deliveries).where(inArray(schema.deliveries.messageId, messageIds)) : [];
  const rowCounts: Record<string, number> = {};
  for (const id of messageIds) rowCounts[id] = 0;
  const byStatus: Record<string, number> = {};
  for (const row of rows) {
    rowCounts[row.messageId] = (rowCounts[row.messageId] ?? 0) + 1;
    byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
  }
  const successes = messageIds.length
    ? await db
        .select({ deliveryId: schema.attempts.deliveryId, successes: sql<number>`count(*)::int` })
        .from(schema.attempts)
        .where(and(inArray(schema.attempts.messageId, messageIds), eq(schema.attempts.status, 'succeeded')))
        .groupBy(schema.attempts.deliveryId)
    : [];
  const [attempts] = messageIds.length
    ? await db.select({ n: sql<number>`count(*)::int` }).from(schema.attempts).where(inArray(schema.attempts.messageId, messageIds))
    : [{ n: 0 }];
  return {
    rowCounts: Object.fromEntries(Object.entries(rowCounts).filter(([, n]) => n !== 1)),
    byStatus,
    notSucceeded: rows
      .filter((row) => row.status !== 'succeeded')
      .map((row) => ({ messageId: row.messageId, status: row.status, attemptCount: row.attemptCount, lastError: row.lastError })),
    doubleSuccesses: successes.filter((s) => s.successes > 1),
    attempts: attempts?.n ?? 0,
  };
}

/** True once every message has exactly one delivery row and it succeeded. */
export async function allSucceeded(db: Database, messageIds: string[]): Promise<boolean> {
  const report = await deliveryReport(db, messageIds);
  return Object.keys(report.rowCounts).length === 0 && report.notSucceeded.length === 0;
}

/** How the receiver saw the messages: which were never received, and how many requests were repeats. */
export function receiverReport(receiver: Receiver, messageIds: string[]) {
  const seen = new Map<string, number>();
  for (const request of receiver.requests) {
    const id = String(request.headers['webhook-id']);
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  const missing = messageIds.filter((id) => !seen.has(id));
  const duplicates = [...seen.values()].reduce((sum, n) => sum + (n - 1), 0);
  const repeated = [...seen.entries()].filter(([, n]) => n > 1).length;
  return { requests: receiver.requests.length, distinct: seen.size, missing, duplicates, repeated };
}
