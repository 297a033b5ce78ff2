/**
 * `npm run bench`: Herald's performance figures (DESIGN.md, "Performance targets").
 *
 * Starts its own PostgreSQL (PostgreSQL's default durability: fsync on), redis-server and a
 * Kafka broker on free loopback ports, runs the API and the worker as separate
 * `node --import tsx` processes (so their RSS is their own), and drives them
 * from this process with undici. Every scenario is bounded; one that fails or
 * times out records `null` and the run goes on. Results: bench/results/latest.json.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { newApiToken } from '@herald/core';
import { createDatabaseIfMissing, freePort, migrateDatabase, startEmbeddedPostgres } from '@herald/db';
import { Kafka, logLevel } from 'kafkajs';
import postgres from 'postgres';
import { Pool } from 'undici';
import { startTestKafka } from '../test/services/kafka';
import { createDatabaseFromTemplate, startTestPostgres } from '../test/services/postgres';
import { startTestRedis } from '../test/services/redis';
import { MIX_ENV, mixFigures, runReceiverMix } from './receiver-mix';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = join(ROOT, 'bench/results');
const now = () => performance.timeOrigin + performance.now(); // ms, sub-ms resolution, shared by sender and receiver (same process)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const unique = (p: string) => `${p}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const log = (...a: unknown[]) => console.log(`[bench ${((performance.now() - START) / 1000).toFixed(1)}s]`, ...a);
const START = performance.now();
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF;
/** BENCH_ONLY=ingest,e2e,latency,kafka,fanout,pg,idem,fsync,mix runs only those scenarios (for iterating on one hot path). */
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : undefined;
const wanted = (key: string) => !ONLY || ONLY.has(key);

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// ---------- resources that must be stopped at the end ----------
const cleanups: (() => Promise<unknown>)[] = [];
const children = new Set<ChildProcess>();

// ---------- Herald processes ----------
interface HeraldProc {
  name: string;
  child: ChildProcess;
  peakRssMb(): number;
  /** CPU time (user + system) the process has used so far, ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

const peak = { api: 0, worker: 0 };

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime of a process, ms. */
function processCpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
  } catch {
    return 0;
  }
}

/** Busy (non-idle) CPU time of the whole machine, ms summed over cores: what everyone on it used. */
function machineBusyMs(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = ticks.map(Number);
  const idle = (n[3] ?? 0) + (n[4] ?? 0);
  return (n.reduce((a, b) => a + b, 0) - idle) * CLOCK_TICK_MS;
}

/** The bench's own PostgreSQL cluster (postmaster and every backend) and redis-server, for CPU accounting. */
const servicePids = { postmaster: 0, redis: 0 };

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * CPU used between this call and the returned function's call: the API, the
 * worker, PostgreSQL (backends that exit meanwhile are missed), Redis, this
 * process (load generator and receiver), and the whole machine, which other
 * people's work shares.
 */
function cpuMeter(procs: HeraldProc[]) {
  const pg = () => [servicePids.postmaster, ...childrenOf(servicePids.postmaster)].reduce((a, pid) => a + processCpuMs(pid), 0);
  const self = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const others: [string, () => number][] = [
    ['postgres', pg],
    ['redis', () => processCpuMs(servicePids.redis)],
    ['bench', self],
  ];
  const before = procs.map((p) => p.cpuMs());
  const othersBefore = new Map(others.map(([name, f]) => [name, f()]));
  const machineBefore = machineBusyMs();
  const t0 = performance.now();
  return () => {
    const wallS = (performance.now() - t0) / 1000;
    const used = [
      ...procs.map((p, i) => `${p.name} ${((p.cpuMs() - before[i]!) / 1000).toFixed(1)} s`),
      ...others.map(([name, f]) => `${name} ${((f() - othersBefore.get(name)!) / 1000).toFixed(1)} s`),
    ];
    return `CPU over ${wallS.toFixed(1)} s: ${used.join(', ')}; whole machine ${((machineBusyMs() - machineBefore) / 1000).toFixed(1)} s of ${(wallS * cpus().length).toFixed(1)} s`;
  };
}

function vmHwmMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function spawnHerald(kind: 'api' | 'worker', env: Record<string, string>): HeraldProc {
  const entry = join(ROOT, `apps/${kind}/src/main.ts`);
  // node --import tsx: one process (the `tsx` CLI would add a wrapper process whose RSS is not Herald's)
  // BENCH_CPU_PROF=<dir>: each Herald process writes V8 CPU profiles under <dir>/<kind>-<time>/ when it exits, one per
  // thread (tsx's loader runs in a worker thread; the main thread's file is the `.0.001.` one). bench/profile-summary.ts reads them.
  const profile = CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${join(CPU_PROF_DIR, `${kind}-${Date.now()}`)}`] : [];
  // BENCH_NODE_FLAGS="--max-old-space-size=160 …": extra V8/Node flags for the Herald processes (to try heap limits).
  const flags = process.env.BENCH_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...profile, ...flags, '--import', 'tsx', entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const tail: string[] = [];
  const keep = (c: Buffer) => {
    tail.push(c.toString());
    if (tail.length > 40) tail.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let lastHwm = 0;
  const poll = setInterval(() => {
    lastHwm = Math.max(lastHwm, vmHwmMb(child.pid));
  }, 500);
  child.once('exit', (code, signal) => {
    clearInterval(poll);
    children.delete(child);
    if (!stopping) log(`${kind} process exited unexpectedly (code ${code}, signal ${signal}):\n${tail.join('').slice(-2000)}`);
  });
  let stopping = false;
  return {
    name: kind,
    child,
    peakRssMb: () => Math.max(lastHwm, vmHwmMb(child.pid)),
    cpuMs: () => processCpuMs(child.pid),
    async stop() {
      lastHwm = Math.max(lastHwm, vmHwmMb(child.pid));
      peak[kind] = Math.max(peak[kind], lastHwm);
      clearInterval(poll);
      log(`   ${kind} peak RSS ${lastHwm.toFixed(0)} MB`);
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopping = true;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        log(
          `${kind} did not stop within 10 s of SIGTERM: killing it (no CPU profile from a killed process)\n${tail.join('').slice(-2000)}`,
        );
        child.kill('SIGKILL');
      }, 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

interface Stack {
  url: string;
  token: string;
  databaseUrl: string;
  sql: postgres.Sql;
  procs: HeraldProc[];
  stop(): Promise<void>;
}

interface Services {
  pgServerUrl: string;
  redisUrl: string;
  kafkaBrokers: string[] | null;
}

async function startStack(
  services: Services,
  options: { worker: boolean; queue: 'redis' | 'postgres'; databaseUrl?: string; workers?: number; env?: Record<string, string> },
): Promise<Stack> {
  const databaseUrl = options.databaseUrl ?? (await createDatabaseFromTemplate(services.pgServerUrl, unique('bench')));
  const port = await freePort();
  const token = newApiToken();
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
    DATABASE_URL: databaseUrl,
    REDIS_URL: services.redisUrl,
    HERALD_QUEUE_BACKEND: options.queue,
    HERALD_QUEUE_PREFIX: unique('q'),
    HERALD_ADMIN_TOKEN: token,
    HERALD_OUTBOUND_ALLOWLIST: '127.0.0.0/8',
    HERALD_DATA_DIR: join(tmpdir(), unique('herald-bench-data')),
    ...options.env,
  };
  if (services.kafkaBrokers) env.KAFKA_BROKERS = services.kafkaBrokers.join(',');
  const procs: HeraldProc[] = [spawnHerald('api', env)];
  const url = `http://127.0.0.1:${port}`;
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  const stack: Stack = {
    url,
    token,
    databaseUrl,
    sql,
    procs,
    async stop() {
      await Promise.all(procs.map((p) => p.stop()));
      await sql.end({ timeout: 5 });
    },
  };
  try {
    await withTimeout(
      (async () => {
        for (;;) {
          if (procs[0]!.child.exitCode !== null) throw new Error('api process exited during start');
          try {
            const r = await fetch(`${url}/api/v1/health`);
            if (r.ok) return;
          } catch {
            // not listening yet
          }
          await sleep(200);
        }
      })(),
      60_000,
      'api start',
    );
    if (options.worker) for (let i = 0; i < (options.workers ?? 1); i++) procs.push(spawnHerald('worker', env));
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return stack;
}

async function api<T = Record<string, unknown>>(stack: Stack, method: string, path: string, json?: unknown): Promise<T> {
  const r = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

async function createApp(stack: Stack, uid: string): Promise<string> {
  const app = await api<{ id: string }>(stack, 'POST', '/api/v1/app', { name: uid, uid });
  return app.id;
}

// ---------- load generation ----------
/** `idempotencyKeys`: send a fresh `idempotency-key` with every publish, as the svix client does. */
function makePublisher(stack: Stack, connections: number, options: { idempotencyKeys?: boolean } = {}) {
  const pool = new Pool(stack.url, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const headers = { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' };
  return {
    pool,
    async publish(appUid: string, payload: unknown): Promise<number> {
      const { statusCode, body } = await pool.request({
        path: `/api/v1/app/${appUid}/msg`,
        method: 'POST',
        headers: options.idempotencyKeys ? { ...headers, 'idempotency-key': randomBytes(12).toString('base64url') } : headers,
        body: JSON.stringify({ eventType: 'bench.event', payload }),
      });
      await body.dump();
      return statusCode;
    },
  };
}

/** Closed loop: `concurrency` callers, each publishing as soon as its last one returned. */
async function closedLoop(publish: (i: number) => Promise<number>, concurrency: number, until: { ms?: number; count?: number }) {
  let next = 0;
  let ok = 0;
  let bad = 0;
  const statuses = new Map<number, number>();
  const deadline = until.ms ? performance.now() + until.ms : Number.POSITIVE_INFINITY;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline && (until.count === undefined || next < until.count)) {
        const i = next++;
        try {
          const status = await publish(i);
          if (status === 202) ok++;
          else {
            bad++;
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
          }
        } catch {
          bad++;
          statuses.set(-1, (statuses.get(-1) ?? 0) + 1);
        }
      }
    }),
  );
  return { ok, bad, statuses, elapsedMs: performance.now() - started };
}

/**
 * Open loop: request i is scheduled at t0 + i/rate, sent at (or as soon as
 * possible after) that time whatever the outstanding requests are doing;
 * latency counts from the scheduled time, so a stall is not hidden (no
 * coordinated omission).
 */
async function openLoop(rate: number, durationMs: number, drainMs: number, send: (i: number, scheduledAt: number) => Promise<void>) {
  const total = Math.round((rate * durationMs) / 1000);
  const t0 = now() + 50;
  const inflight: Promise<void>[] = [];
  let i = 0;
  let maxLagMs = 0;
  while (i < total) {
    const t = now();
    while (i < total && t0 + (i * 1000) / rate <= t) {
      const scheduledAt = t0 + (i * 1000) / rate;
      maxLagMs = Math.max(maxLagMs, t - scheduledAt);
      inflight.push(send(i, scheduledAt));
      i++;
    }
    const wait = t0 + (i * 1000) / rate - now();
    await sleep(Math.max(0, Math.min(wait, 1)));
  }
  const drained = await Promise.race([Promise.allSettled(inflight).then(() => true), sleep(drainMs).then(() => false)]);
  return { total, maxLagMs, drained };
}

// ---------- receiver ----------
interface Arrival {
  at: number;
  path: string;
  body: string;
}

async function startFastReceiver() {
  let onArrival: (a: Arrival) => void = () => {};
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = now();
      count++;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
      onArrival({ at, path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get count() {
      return count;
    },
    set onArrival(f: (a: Arrival) => void) {
      onArrival = f;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function succeededAttempts(stack: Stack, appId: string): Promise<number> {
  const [row] = await stack.sql`select count(*)::int as n from attempts where app_id = ${appId} and status = 'succeeded'`;
  return (row as { n: number }).n;
}

async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string, intervalMs = 100) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (performance.now() > deadline) throw new Error(`${what}: not done after ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

// ---------- scenarios ----------
type Results = Record<string, number | null>;
const results: Results = {
  ingest_events_per_s: null,
  ingest_p50_ms_at_1000: null,
  ingest_p99_ms_at_1000: null,
  e2e_deliveries_per_s: null,
  e2e_p50_ms_at_500: null,
  e2e_p99_ms_at_500: null,
  kafka_events_per_s: null,
  fanout_1000_endpoints_ms: null,
  pg_backend_deliveries_per_s: null,
  api_rss_mb: null,
  worker_rss_mb: null,
  ingest_events_per_s_fsync_off: null,
  ingest_events_per_s_idempotency_keys: null,
  mix_healthy_p50_ms: null,
  mix_healthy_p99_ms: null,
  mix_late_or_missing: null,
  mix_first_try_max_ms: null,
  mix_rate_limited_max_ms: null,
  mix_min_retry_after_gap_ms: null,
  mix_duplicates: null,
  mix_always_500_requests: null,
  mix_hang_requests: null,
  mix_2_workers_healthy_p99_ms: null,
  mix_2_workers_late_or_missing: null,
  mix_pg_backend_healthy_p99_ms: null,
  mix_pg_backend_late_or_missing: null,
};
const notes: Record<string, string> = {};

async function scenario(id: string, name: string, keys: string[], fn: () => Promise<void>) {
  if (!wanted(id)) return;
  log(`── ${name}`);
  try {
    await fn();
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    log(`!! ${name} failed: ${why}`);
    for (const k of keys) if (results[k] === undefined || results[k] === null) results[k] = null;
    notes[name] = `failed: ${why}`;
  }
}

const INGEST_CONNECTIONS = 64;
// Sized so the whole run stays under 10 minutes on 2 cores even at ~100 publishes/s (what a first run measured).
const E2E_TOTAL = Number(process.env.BENCH_E2E_TOTAL ?? 5_000);
const KAFKA_TOTAL = Number(process.env.BENCH_KAFKA_TOTAL ?? 5_000);
const PG_TOTAL = Number(process.env.BENCH_PG_TOTAL ?? 2_000);
const INGEST_SECONDS = 15;
const MIX_SECONDS = Number(process.env.BENCH_MIX_SECONDS ?? 20);
const MIX_RATE = 40;
const MIX_WARMUP_SECONDS = 5;
/** BENCH_PG_STATS=1: the mix scenario's cluster loads pg_stat_statements and each variant logs its costliest statements. */
const PG_STATS = process.env.BENCH_PG_STATS === '1';

/** Samples pg_stat_activity: per statement kind, how often its backends were running or waiting, and on what. */
function sampleWaits(sql: postgres.Sql) {
  const counts = new Map<string, number>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const rows = await sql<{ what: string }[]>`
        select coalesce(wait_event_type || ':' || wait_event, 'CPU') || '  ' || regexp_replace(left(query, 40), '\s+', ' ', 'g') as what
        from pg_stat_activity where state = 'active' and pid <> pg_backend_pid() and backend_type = 'client backend'`.catch(() => []);
      for (const { what } of rows) counts.set(what, (counts.get(what) ?? 0) + 1);
      await sleep(50);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return [...counts]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 15)
        .map(([what, n]) => `      ${String(n).padStart(5)}  ${what}`)
        .join('\n');
    },
  };
}

async function logTopStatements(sql: postgres.Sql) {
  const rows = await sql<{ calls: number; total_ms: number; mean_ms: number; rows: number; query: string }[]>`
    select calls::int, round(total_exec_time)::int as total_ms, round(mean_exec_time::numeric, 3)::float as mean_ms, rows::int,
      regexp_replace(left(query, 160), '\s+', ' ', 'g') as query
    from pg_stat_statements order by total_exec_time desc limit 15`;
  for (const r of rows)
    log(
      `   ${String(r.total_ms).padStart(6)} ms ${String(r.calls).padStart(7)} calls ${r.mean_ms.toFixed(3).padStart(8)} ms/call ${String(r.rows).padStart(7)} rows  ${r.query}`,
    );
}

async function ingestSaturation(stack: Stack, seconds: number, options: { idempotencyKeys?: boolean } = {}): Promise<number> {
  const uid = unique('ingest');
  await createApp(stack, uid);
  const pub = makePublisher(stack, INGEST_CONNECTIONS, options);
  try {
    await closedLoop(() => pub.publish(uid, { n: 0, warmup: true }), INGEST_CONNECTIONS, { ms: 2000 }); // warm-up: JIT, pools, caches
    const cpu = cpuMeter(stack.procs);
    const r = await closedLoop((i) => pub.publish(uid, { n: i, pad: 'x'.repeat(64) }), INGEST_CONNECTIONS, { ms: seconds * 1000 });
    log(`   ${cpu()}`);
    const rate = (r.ok / r.elapsedMs) * 1000;
    log(
      `   ${r.ok} × 202 in ${(r.elapsedMs / 1000).toFixed(1)} s = ${rate.toFixed(0)}/s; non-202: ${r.bad} ${JSON.stringify([...r.statuses])}`,
    );
    if (r.bad > r.ok / 100) throw new Error(`too many non-202 answers: ${r.bad}`);
    return rate;
  } finally {
    await pub.pool.close();
  }
}

async function main() {
  const t = performance.now();
  log('starting PostgreSQL, redis-server and Kafka on loopback');
  const [pg, redis, kafka] = await Promise.allSettled([
    startTestPostgres({ durable: true }),
    startTestRedis(),
    wanted('kafka') ? withTimeout(startTestKafka(), 180_000, 'kafka start') : Promise.reject(new Error('not wanted (BENCH_ONLY)')),
  ]);
  if (pg.status === 'fulfilled') cleanups.push(() => pg.value.stop());
  if (redis.status === 'fulfilled') cleanups.push(() => redis.value.stop());
  if (kafka.status === 'fulfilled') cleanups.push(() => kafka.value.stop());
  else log(`!! kafka did not start: ${kafka.reason}; the Kafka figure will be null`);
  if (pg.status !== 'fulfilled') throw new Error(`postgres did not start: ${pg.reason}`);
  if (redis.status !== 'fulfilled') throw new Error(`redis did not start: ${redis.reason}`);
  const services: Services = {
    pgServerUrl: pg.value.serverUrl,
    redisUrl: redis.value.url,
    kafkaBrokers: kafka.status === 'fulfilled' ? kafka.value.brokers : null,
  };
  log(`services up in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  servicePids.redis = redis.value.pid ?? 0;
  {
    const admin = postgres(`${services.pgServerUrl}/postgres`, { max: 1, onnotice: () => {} });
    const [row] = await admin`select pg_backend_pid() as pid`;
    // A backend's parent is the postmaster.
    servicePids.postmaster = Number(readFileSync(`/proc/${row!.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    await admin.end();
  }

  const receiver = await startFastReceiver();
  cleanups.unshift(() => receiver.close());

  // ── 1+2: durable ingest, API alone (no worker) ──
  let ingestStack: Stack | undefined;
  await scenario(
    'ingest',
    'ingest (API only, redis queue)',
    ['ingest_events_per_s', 'ingest_p50_ms_at_1000', 'ingest_p99_ms_at_1000'],
    async () => {
      ingestStack = await startStack(services, { worker: false, queue: 'redis' });
      results.ingest_events_per_s = await ingestSaturation(ingestStack, INGEST_SECONDS);

      log('── ingest open loop 1,000/s × 10 s');
      const uid = unique('ingest_ol');
      await createApp(ingestStack, uid);
      const pub = makePublisher(ingestStack, 512);
      const latencies: number[] = [];
      let bad = 0;
      try {
        // Warm-up: 1 s at the same rate, untimed, so the generator's connections are open (as a
        // publisher's keep-alive connections would be) and the API has run this path.
        await openLoop(1000, 1000, 10_000, async (i) => {
          await pub.publish(uid, { n: i, warmup: true }).catch(() => 0);
        });
        const pending = new Set<number>();
        const { total, maxLagMs, drained } = await openLoop(1000, 10_000, 30_000, async (i, scheduledAt) => {
          pending.add(scheduledAt);
          try {
            const status = await pub.publish(uid, { n: i });
            if (status !== 202) bad++;
          } catch {
            bad++;
          }
          pending.delete(scheduledAt);
          latencies.push(now() - scheduledAt);
        });
        if (!drained) {
          // still unanswered 30 s after the last scheduled send: count them at their age so far (a lower bound)
          const t = now();
          for (const at of pending) latencies.push(t - at);
          notes.ingest_open_loop_unanswered = `${pending.size} requests unanswered 30 s after the schedule ended; counted at their age (lower bound)`;
          log(`   ${pending.size} requests still unanswered after 30 s drain; counted as lower bounds`);
        }
        latencies.sort((a, b) => a - b);
        results.ingest_p50_ms_at_1000 = percentile(latencies, 50);
        results.ingest_p99_ms_at_1000 = percentile(latencies, 99);
        log(
          `   ${total} sent, non-202 ${bad}; p50 ${percentile(latencies, 50).toFixed(2)} ms, p90 ${percentile(latencies, 90).toFixed(2)}, p99 ${percentile(latencies, 99).toFixed(2)}, max ${latencies.at(-1)?.toFixed(1)}; generator max lag ${maxLagMs.toFixed(1)} ms`,
        );
        if (bad > 0) notes.ingest_open_loop = `${bad} non-202 answers`;
      } finally {
        await pub.pool.close();
      }
    },
  );
  await ingestStack?.stop();

  // ── 3..6: API + worker, redis queue ──
  // every scenario below gets a fresh database, queue prefix, API and worker, so one scenario's backlog cannot slow the next
  const withStack = async (queue: 'redis' | 'postgres', fn: (s: Stack) => Promise<void>) => {
    const st = await startStack(services, { worker: true, queue });
    try {
      await fn(st);
    } finally {
      await st.stop();
    }
  };

  const e2eThroughput = async (s: Stack, total: number, timeoutMs: number): Promise<number> => {
    const uid = unique('e2e');
    const appId = await createApp(s, uid);
    const path = `/e2e/${uid}`;
    await api(s, 'POST', `/api/v1/app/${appId}/endpoint`, { url: `${receiver.url}${path}` });
    // Arrivals are counted in this process; the database is asked only once they are all in, so
    // polling it does not load the PostgreSQL being measured (as a count every 50 ms did).
    let arrived = 0;
    receiver.onArrival = (a) => {
      if (a.path === path) arrived++;
    };
    // warm-up: one delivery through the whole path
    const pub = makePublisher(s, 64);
    try {
      await pub.publish(uid, { warmup: true });
      await waitUntil(async () => (await succeededAttempts(s, appId)) >= 1, 30_000, 'warm-up delivery');
      const cpu = cpuMeter(s.procs);
      const started = performance.now();
      const r = await closedLoop((i) => pub.publish(uid, { n: i }), 64, { count: total });
      const publishedMs = performance.now() - started;
      if (r.bad > 0) throw new Error(`${r.bad} publishes were not accepted ${JSON.stringify([...r.statuses])}`);
      let last = 0;
      await waitUntil(() => arrived >= total + 1, timeoutMs, `arrivals (${total})`, 5).catch((e: Error) => {
        throw new Error(`${e.message}; ${arrived - 1} of ${total} arrived`);
      });
      // …and every one of them recorded as a succeeded attempt.
      await waitUntil(
        async () => {
          last = await succeededAttempts(s, appId);
          return last >= total + 1;
        },
        timeoutMs,
        `deliveries (${total})`,
        10,
      ).catch((e: Error) => {
        throw new Error(`${e.message}; ${last - 1} of ${total} succeeded`);
      });
      const ms = performance.now() - started;
      const rate = (total / ms) * 1000;
      log(
        `   ${total} published in ${(publishedMs / 1000).toFixed(1)} s; all succeeded after ${(ms / 1000).toFixed(1)} s = ${rate.toFixed(0)} deliveries/s`,
      );
      log(`   ${cpu()}`);
      return rate;
    } finally {
      receiver.onArrival = () => {};
      await pub.pool.close();
    }
  };
  await scenario('e2e', `e2e throughput ${E2E_TOTAL} messages → 1 webhook endpoint`, ['e2e_deliveries_per_s'], () =>
    withStack('redis', async (s) => {
      results.e2e_deliveries_per_s = await e2eThroughput(s, E2E_TOTAL, 90_000);
    }),
  );

  await scenario('latency', 'e2e latency, open loop 500/s × 10 s', ['e2e_p50_ms_at_500', 'e2e_p99_ms_at_500'], () =>
    withStack('redis', async (s) => {
      const uid = unique('lat');
      const appId = await createApp(s, uid);
      const path = `/lat/${uid}`;
      await api(s, 'POST', `/api/v1/app/${appId}/endpoint`, { url: `${receiver.url}${path}` });
      const latencies: number[] = [];
      receiver.onArrival = (a) => {
        if (a.path !== path) return;
        try {
          const { scheduledAt } = JSON.parse(a.body) as { scheduledAt?: number };
          if (typeof scheduledAt === 'number') latencies.push(a.at - scheduledAt);
        } catch {
          // not ours
        }
      };
      const pub = makePublisher(s, 256);
      try {
        await pub.publish(uid, { warmup: true });
        await waitUntil(async () => (await succeededAttempts(s, appId)) >= 1, 30_000, 'warm-up delivery');
        let bad = 0;
        const cpu = cpuMeter(s.procs);
        const { total } = await openLoop(500, 10_000, 30_000, async (i, scheduledAt) => {
          try {
            if ((await pub.publish(uid, { n: i, scheduledAt })) !== 202) bad++;
          } catch {
            bad++;
          }
        });
        await waitUntil(() => latencies.length >= total - bad, 45_000, 'arrivals', 50).catch((e: Error) => {
          latencies.sort((a, b) => a - b);
          throw new Error(
            `${e.message}: ${latencies.length}/${total} arrived; of those p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms`,
          );
        });
        latencies.sort((a, b) => a - b);
        results.e2e_p50_ms_at_500 = percentile(latencies, 50);
        results.e2e_p99_ms_at_500 = percentile(latencies, 99);
        log(
          `   ${latencies.length}/${total} arrived (non-202 ${bad}); p50 ${percentile(latencies, 50).toFixed(1)} ms, p90 ${percentile(latencies, 90).toFixed(1)}, p99 ${percentile(latencies, 99).toFixed(1)}, max ${latencies.at(-1)?.toFixed(1)}`,
        );
        log(`   ${cpu()}`);
      } finally {
        receiver.onArrival = () => {};
        await pub.pool.close();
      }
    }),
  );

  await scenario('kafka', `kafka endpoint, ${KAFKA_TOTAL} messages`, ['kafka_events_per_s'], () =>
    withStack('redis', async (s) => {
      if (!services.kafkaBrokers) throw new Error('kafka broker not running');
      const total = KAFKA_TOTAL;
      const client = new Kafka({ clientId: 'herald-bench', brokers: services.kafkaBrokers, logLevel: logLevel.NOTHING });
      const name = unique('herald-bench').replace(/_/g, '-');
      // On Herald's own cluster an endpoint's topic belongs to its organization.
      const { orgId } = await api<{ orgId: string }>(s, 'GET', '/api/v1/auth/whoami');
      const topic = `${orgId}.${name}`;
      const admin = client.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
      await admin.disconnect();
      const uid = unique('kafka');
      const appId = await createApp(s, uid);
      await api(s, 'POST', `/api/v1/app/${appId}/endpoint`, { type: 'kafka', settings: { topic: name } });
      const consumer = client.consumer({ groupId: `g-${topic}`, maxWaitTimeInMs: 50 });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
        const seen = new Set<string>();
        let resolveAll: () => void = () => {};
        const all = new Promise<void>((r) => {
          resolveAll = r;
        });
        let warm: () => void = () => {};
        const warmed = new Promise<void>((r) => {
          warm = r;
        });
        void consumer.run({
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              const body = m.value?.toString() ?? '';
              if (body.includes('"warmup":true')) {
                warm();
                continue;
              }
              seen.add(m.headers?.['webhook-id']?.toString() ?? m.offset);
            }
            if (seen.size >= total) resolveAll();
          },
        });
        await withTimeout(joined, 30_000, 'consumer group join');
        const pub = makePublisher(s, 64);
        try {
          await pub.publish(uid, { warmup: true });
          await withTimeout(warmed, 30_000, 'kafka warm-up message');
          const cpu = cpuMeter(s.procs);
          const started = performance.now();
          const r = await closedLoop((i) => pub.publish(uid, { n: i }), 64, { count: total });
          const publishedMs = performance.now() - started;
          if (r.bad > 0) throw new Error(`${r.bad} publishes were not accepted ${JSON.stringify([...r.statuses])}`);
          await withTimeout(all, 90_000, `kafka consume (${seen.size}/${total})`).catch((e: Error) => {
            throw new Error(`${e.message}; consumed ${seen.size}`);
          });
          const ms = performance.now() - started;
          results.kafka_events_per_s = (total / ms) * 1000;
          log(
            `   ${total} published in ${(publishedMs / 1000).toFixed(1)} s (${((total / publishedMs) * 1000).toFixed(0)}/s accepted); all consumed after ${(ms / 1000).toFixed(1)} s = ${results.kafka_events_per_s.toFixed(0)}/s`,
          );
          log(`   ${cpu()}`);
        } finally {
          await pub.pool.close();
        }
      } finally {
        await consumer.disconnect().catch(() => {});
      }
    }),
  );

  await scenario('fanout', 'fan-out: 1 message → 1,000 webhook endpoints', ['fanout_1000_endpoints_ms'], () =>
    withStack('redis', async (s) => {
      const uid = unique('fan');
      const appId = await createApp(s, uid);
      const prefix = `/fan/${uid}/`;
      for (let i = 0; i < 1000; i += 20) {
        await Promise.all(
          Array.from({ length: 20 }, (_, k) =>
            api(s, 'POST', `/api/v1/app/${appId}/endpoint`, { url: `${receiver.url}${prefix}${i + k}` }),
          ),
        );
      }
      const runs: number[] = [];
      const cpu = cpuMeter(s.procs);
      const pub = makePublisher(s, 4);
      try {
        for (let round = 0; round < 3; round++) {
          const paths = new Set<string>();
          let done: () => void = () => {};
          const all = new Promise<void>((r) => {
            done = r;
          });
          let last = 0;
          receiver.onArrival = (a) => {
            if (!a.path.startsWith(prefix) || !a.body.includes(`"round":${round}`)) return;
            paths.add(a.path);
            last = a.at;
            if (paths.size === 1000) done();
          };
          const started = now();
          const status = await pub.publish(uid, { round });
          if (status !== 202) throw new Error(`publish answered ${status}`);
          await withTimeout(all, 60_000, `fan-out round ${round} (${paths.size}/1000)`);
          runs.push(last - started);
          await sleep(500);
        }
      } finally {
        receiver.onArrival = () => {};
        await pub.pool.close();
      }
      // round 0 runs with cold endpoint caches and new connections; report the worst of the three
      results.fanout_1000_endpoints_ms = Math.max(...runs);
      log(`   rounds: ${runs.map((r) => `${r.toFixed(0)} ms`).join(', ')} (reported: worst)`);
      log(`   ${cpu()}`);
    }),
  );

  // ── 7: PostgreSQL queue backend ──
  await scenario('pg', `e2e throughput, PostgreSQL queue backend, ${PG_TOTAL} messages`, ['pg_backend_deliveries_per_s'], () =>
    withStack('postgres', async (s) => {
      results.pg_backend_deliveries_per_s = await e2eThroughput(s, PG_TOTAL, 60_000);
    }),
  );

  // ── extra: durable ingest as the svix client publishes, an idempotency-key on every request ──
  await scenario(
    'idem',
    'ingest with an idempotency-key on every request (API only)',
    ['ingest_events_per_s_idempotency_keys'],
    async () => {
      const stack = await startStack(services, { worker: false, queue: 'redis' });
      try {
        results.ingest_events_per_s_idempotency_keys = await ingestSaturation(stack, 10, { idempotencyKeys: true });
      } finally {
        await stack.stop();
      }
    },
  );

  // ── beside, never the headline: ingest with durability switched off (a second cluster), to show what fsync costs ──
  await scenario(
    'fsync',
    'ingest with fsync off (separate cluster, beside the durable headline)',
    ['ingest_events_per_s_fsync_off'],
    async () => {
      const cluster = await startTestPostgres({ durable: false });
      try {
        const stack = await startStack(services, {
          worker: false,
          queue: 'redis',
          databaseUrl: await createDatabaseFromTemplate(cluster.serverUrl, unique('bench_fsync_off')),
        });
        try {
          const [row] = await stack.sql`select current_setting('fsync') as fsync, current_setting('synchronous_commit') as sc`;
          log(`   fsync=${row!.fsync} synchronous_commit=${row!.sc}`);
          results.ingest_events_per_s_fsync_off = await ingestSaturation(stack, INGEST_SECONDS); // like for like with the headline
        } finally {
          await stack.stop();
        }
      } finally {
        await cluster.stop();
      }
    },
  );

  // ── receiver mix (issue 11), on a cluster with PostgreSQL's default durability: the headline is
  // one worker process on Redis; two worker processes and the PostgreSQL queue backend beside it ──
  await scenario(
    'mix',
    `receiver mix: ${MIX_RATE} msgs/s to each of two tenants × ${MIX_SECONDS} s, fsync on`,
    Object.keys(results).filter((k) => k.startsWith('mix_')),
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'herald-bench-pg-mix-'));
      await chmod(dir, 0o755);
      const cluster = await startEmbeddedPostgres({
        dataDir: dir,
        database: 'herald_mix',
        ...(PG_STATS
          ? {
              settings: {
                shared_preload_libraries: 'pg_stat_statements,auto_explain',
                'pg_stat_statements.track': 'all',
                // Plans of statements slower than 20 ms go to the cluster's server.log (kept with BENCH_PG_STATS).
                'auto_explain.log_min_duration': process.env.BENCH_PG_SLOW_MS ?? '20ms',
                'auto_explain.log_analyze': 'on',
                'auto_explain.log_buffers': 'on',
              },
            }
          : {}),
      });
      const benchPostmaster = servicePids.postmaster;
      try {
        // CPU accounting: this cluster's postmaster and backends are the PostgreSQL at work here.
        const probe = postgres(cluster.url, { max: 1, onnotice: () => {} });
        const [row] = await probe`select pg_backend_pid() as pid`;
        servicePids.postmaster = Number(readFileSync(`/proc/${row!.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
        await probe.end();
        const variants = [
          { key: 'mix', queue: 'redis' as const, workers: 1 },
          { key: 'mix_2_workers', queue: 'redis' as const, workers: 2 },
          { key: 'mix_pg_backend', queue: 'postgres' as const, workers: 1 },
        ];
        for (const variant of variants) {
          const databaseUrl = cluster.url.replace(/\/herald_mix$/, `/${variant.key}`);
          await createDatabaseIfMissing(cluster.url, variant.key);
          await migrateDatabase(databaseUrl);
          log(`── ${variant.key}: ${variant.queue} queue, ${variant.workers} worker process(es)`);
          const stack = await startStack(services, {
            worker: true,
            workers: variant.workers,
            queue: variant.queue,
            databaseUrl,
            env: MIX_ENV,
          });
          try {
            const cpu = cpuMeter(stack.procs);
            if (PG_STATS)
              await stack.sql`create extension if not exists pg_stat_statements`.then(() => stack.sql`select pg_stat_statements_reset()`);
            const waits = PG_STATS ? sampleWaits(stack.sql) : undefined;
            const report = await runReceiverMix({
              url: stack.url,
              token: stack.token,
              ratePerApp: MIX_RATE,
              seconds: MIX_SECONDS,
              warmupSeconds: MIX_WARMUP_SECONDS,
              log,
            });
            log(`   ${cpu()}`);
            if (PG_STATS) await logTopStatements(stack.sql);
            if (waits) log(`   what active PostgreSQL backends were doing (samples every 50 ms):\n${await waits.stop()}`);
            const figures = mixFigures(report);
            if (variant.key === 'mix') {
              for (const [name, value] of Object.entries(figures)) results[`mix_${name}`] = value;
            } else {
              results[`${variant.key}_healthy_p99_ms`] = figures.healthy_p99_ms;
              results[`${variant.key}_late_or_missing`] = figures.late_or_missing;
              notes[variant.key] = JSON.stringify(figures);
            }
          } finally {
            await stack.stop();
          }
        }
      } finally {
        servicePids.postmaster = benchPostmaster;
        await cluster.stop();
        if (PG_STATS) log(`   server log with slow plans kept: ${cluster.dataDir}/server.log`);
        else await rm(dir, { recursive: true, force: true });
      }
    },
  );

  results.api_rss_mb = peak.api || null;
  results.worker_rss_mb = peak.worker || null;
  return services;
}

function versions(services?: Services) {
  const v: Record<string, string> = { node: process.version };
  try {
    v.redis = execFileSync('redis-server', ['--version']).toString().trim();
  } catch {}
  try {
    const libs = execFileSync('ls', [join(ROOT, '.cache/kafka/libs')]).toString();
    v.kafka = /kafka_[\d.]+-([\d.]+)\.jar/.exec(libs)?.[1] ?? /kafka-clients-([\d.]+)\.jar/.exec(libs)?.[1] ?? 'unknown';
  } catch {}
  void services;
  return v;
}

function printTable() {
  const targets: Record<string, string> = {
    // The brief's targets (DESIGN.md, "Performance targets").
    ingest_events_per_s: '≥ 2,500',
    ingest_p50_ms_at_1000: '—',
    ingest_p99_ms_at_1000: '≤ 20',
    e2e_deliveries_per_s: '≥ 2,500',
    e2e_p50_ms_at_500: '≤ 10',
    e2e_p99_ms_at_500: '≤ 50',
    kafka_events_per_s: '≥ 20,000',
    fanout_1000_endpoints_ms: '≤ 2,000',
    pg_backend_deliveries_per_s: '≥ 1,000',
    api_rss_mb: '≤ 300',
    worker_rss_mb: '≤ 300',
    ingest_events_per_s_fsync_off: '(info, beside)',
    ingest_events_per_s_idempotency_keys: '(info)',
    mix_healthy_p99_ms: '≤ 250',
    mix_late_or_missing: '0',
    mix_duplicates: '0',
    mix_min_retry_after_gap_ms: '≥ 2,000',
    mix_always_500_requests: '≤ 316 (Svix ÷ 10)',
    mix_2_workers_healthy_p99_ms: '≤ 250',
    mix_2_workers_late_or_missing: '0',
    mix_pg_backend_healthy_p99_ms: '≤ 250',
    mix_pg_backend_late_or_missing: '0',
  };
  const rows = Object.entries(results).map(([k, v]) => [k, v === null ? 'null' : v >= 100 ? v.toFixed(0) : v.toFixed(2), targets[k] ?? '']);
  const w = [Math.max(...rows.map((r) => r[0]!.length)), Math.max(...rows.map((r) => r[1]!.length)), 10];
  console.log(`\n${'figure'.padEnd(w[0]!)}  ${'value'.padStart(w[1]!)}  target`);
  console.log(`${'-'.repeat(w[0]!)}  ${'-'.repeat(w[1]!)}  ${'-'.repeat(w[2]!)}`);
  for (const r of rows) console.log(`${r[0]!.padEnd(w[0]!)}  ${r[1]!.padStart(w[1]!)}  ${r[2]}`);
}

let exitCode = 0;
let services: Services | undefined;
const hardStop = setTimeout(() => {
  log('!! whole-run limit (15 min) reached; stopping');
  void shutdown().then(() => process.exit(2));
}, 15 * 60_000);
hardStop.unref();

let shuttingDown: Promise<void> | undefined;
function shutdown(): Promise<void> {
  shuttingDown ??= (async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    for (const c of cleanups) await c().catch((e) => log(`cleanup: ${e}`));
  })();
  return shuttingDown;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping`);
    void shutdown().then(() => process.exit(130));
  });
}

try {
  services = await main();
} catch (error) {
  exitCode = 1;
  log(`!! run aborted: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
  notes.run = `aborted: ${error instanceof Error ? error.message : error}`;
} finally {
  await shutdown();
}
const wallS = (performance.now() - START) / 1000;
printTable();
const out = {
  ...results,
  run_seconds: Math.round(wallS),
  meta: {
    date: new Date().toISOString(),
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    versions: versions(services),
    postgres_settings: 'default durability (fsync=on, synchronous_commit=on), except ingest_events_per_s_fsync_off',
    process_model: 'API and worker as separate node processes; load generator and receiver in the bench process; all co-located',
    notes,
  },
};
await mkdir(RESULTS_DIR, { recursive: true });
await writeFile(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);
log(`wrote bench/results/latest.json; run took ${wallS.toFixed(0)} s`);
process.exit(exitCode);
