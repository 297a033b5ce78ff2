import type { QueueBackendKind } from '@herald/core';
import { afterAll, describe, expect, it } from 'vitest';
import { deliveryReport, sleep, spawnWorker, type WorkerProcess } from './support/chaos';
import { call, startTestHerald } from './support/harness';
import {
  formatMixReport,
  type MixReceiver,
  mixReport,
  provisionMix,
  publishMix,
  startMixReceivers,
  waitForMix,
} from './support/receiver-mix';

/**
 * Delivery under the ordinary mix of receivers (issue 11): two tenants, each
 * application with healthy endpoints next to ones that fail some of the time,
 * rate-limit with Retry-After, answer slowly, fail for good or never answer.
 * The worker runs as separate processes, as in production. What must hold:
 * healthy endpoints are not held up by their neighbours; every message reaches
 * the flaky, first-try-failing, slow and rate-limited endpoints within its
 * retry schedule plus 2 s; no message is answered 2xx twice; Retry-After is
 * respected; the always-failing endpoint is not hammered.
 *
 * Latency bounds here are behavioural (head-of-line blocking showed up as
 * seconds); the performance figure (p99 ≤ 250 ms) is measured by
 * `npm run bench` (BENCHMARKS.md). The API, the receivers and the publisher
 * share this test process.
 */

const RETRY_SCHEDULE = [1, 2, 4, 8];
const TIMEOUT_MS = 2000;
const RATE_PER_APP = 40;
const SECONDS = 10;

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

async function runMix(backend: QueueBackendKind, workers: number) {
  const herald = await startTestHerald({ queue: backend });
  cleanups.push(() => herald.close());
  const receivers = await startMixReceivers();
  cleanups.push(() => Promise.all(Object.values(receivers).map((r) => r.close())));
  const apps = await provisionMix(herald.url, herald.rootToken, receivers);

  const env: Record<string, string> = {
    ...herald.workerEnv,
    HERALD_DELIVERY_TIMEOUT_MS: String(TIMEOUT_MS),
    HERALD_RETRY_SCHEDULE: RETRY_SCHEDULE.join(','),
    LOG_LEVEL: 'warn',
  };
  const processes: WorkerProcess[] = [];
  for (let i = 0; i < workers; i++) {
    const worker = spawnWorker(env, `mix worker ${i + 1}`);
    processes.push(worker);
    cleanups.push(() => worker.stop(5000));
  }
  // Workers are ready once they answer the first message: publish one to A's healthy endpoint and wait.
  await waitForWorkers(herald.url, apps.a, receivers['a.healthy-1']!, processes);

  // Two seconds of the same traffic first, unmeasured: every worker process (the second may still be
  // starting when the first answers) has joined and warmed up, as in production.
  await publishMix({ url: herald.url, apps, ratePerApp: RATE_PER_APP, seconds: 2, warmup: true });
  const published = await publishMix({ url: herald.url, apps, ratePerApp: RATE_PER_APP, seconds: SECONDS });
  await waitForMix(receivers, RATE_PER_APP * SECONDS, 30_000);
  const report = mixReport(receivers, published, RETRY_SCHEDULE);
  console.log(`receiver mix on ${backend}, ${workers} worker process(es):\n${formatMixReport(report)}`);
  const inDatabase = await deliveryReport(
    herald.database.db,
    published.map((p) => p.id),
  );
  return { report, published, doubleSuccesses: inDatabase.doubleSuccesses, workers: processes };
}

describe.each([
  { backend: 'redis' as const, workers: 2 },
  { backend: 'postgres' as const, workers: 1 },
])('receiver mix on $backend with $workers worker process(es)', ({ backend, workers }) => {
  it('delivers to every endpoint that works, on time, without letting the bad ones hold up the rest', async () => {
    const { report, doubleSuccesses, workers: processes } = await runMix(backend, workers);
    const output = () => processes.map((p) => p.output().slice(-3000)).join('\n---\n');
    const r = report.receivers;

    // Isolation: the healthy endpoints of both tenants keep their latency.
    for (const label of ['a.healthy-1', 'a.healthy-2', 'b.healthy']) {
      expect(r[label]!.delivered, `${label} delivered everything`).toBe(r[label]!.expected);
    }
    // Waiting behind the hanging endpoint would cost its 2 s timeout and more (6.4 s p99 before the engine
    // had per-endpoint shares); the bound leaves room for a slow CI machine, the bench measures the figure.
    expect(report.healthyP99Ms, `healthy endpoints' p99 next to slow, hanging and failing ones\n${output()}`).toBeLessThan(1500);

    // Endpoints that mostly work get everything, within their retry schedule plus 2 s.
    for (const label of ['a.flaky', 'a.first-try', 'a.slow', 'a.rate-limited']) {
      expect(r[label]!.delivered, `${label} delivered everything`).toBe(r[label]!.expected);
      expect(r[label]!.late, `${label}: messages later than their schedule + 2 s`).toBe(0);
    }
    // Retry-After: 2 is respected (the retry waits two seconds after the 429).
    expect(r['a.rate-limited']!.minRetryAfterGapMs).toBeGreaterThanOrEqual(1950);

    // No duplicate successes, at the receivers or in the attempt log.
    for (const figures of Object.values(r)) expect(figures.duplicated, `${figures.label} answered 2xx twice`).toBe(0);
    expect(doubleSuccesses).toEqual([]);

    // The always-failing endpoint is not hammered: at most a tenth of what a sender without a
    // breaker sends it (every message, every attempt of the schedule).
    const unguarded = r['b.always-500']!.expected * (RETRY_SCHEDULE.length + 1);
    expect(r['b.always-500']!.requests).toBeLessThanOrEqual(unguarded / 10);
    expect(r['b.hang']!.requests).toBeLessThanOrEqual(unguarded / 10);
  }, 150_000);
});

async function waitForWorkers(url: string, app: { token: string; appId: string }, receiver: MixReceiver, processes: WorkerProcess[]) {
  const before = receiver.arrivals.length;
  const response = await call(url, 'POST', `/api/v1/app/${app.appId}/msg`, {
    token: app.token,
    json: { eventType: 'mix.warmup', payload: { n: -1 } },
  });
  expect(response.status).toBe(202);
  const deadline = Date.now() + 60_000;
  while (receiver.arrivals.length === before) {
    if (Date.now() > deadline)
      throw new Error(`workers never delivered the warm-up message:\n${processes.map((p) => p.output()).join('\n')}`);
    await sleep(100);
  }
}
