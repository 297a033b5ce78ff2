/**
 * The receiver-mix scenario of `npm run bench` (issue 11): two tenants at
 * `ratePerApp` messages a second each; tenant A's application has two healthy
 * endpoints next to a flaky one, one failing every first try, a slow one
 * (1.5 s) and a rate-limited one (429 + Retry-After: 2 to every first try);
 * tenant B's has a healthy endpoint next to one that always answers 500 and
 * one that never answers. Same receivers and report as test/receiver-mix.test.ts.
 */
import {
  formatMixReport,
  type MixReport,
  mixReport,
  provisionMix,
  publishMix,
  startMixReceivers,
  waitForMix,
} from '../test/support/receiver-mix';

export const MIX_RETRY_SCHEDULE = [1, 2, 4, 8];
export const MIX_TIMEOUT_MS = 2000;

/** The worker settings the scenario runs with (as in the issue: a compressed schedule, a 2 s timeout). */
export const MIX_ENV = {
  HERALD_RETRY_SCHEDULE: MIX_RETRY_SCHEDULE.join(','),
  HERALD_DELIVERY_TIMEOUT_MS: String(MIX_TIMEOUT_MS),
};

export async function runReceiverMix(options: {
  url: string;
  token: string;
  ratePerApp: number;
  seconds: number;
  /** Seconds of the same traffic first, unmeasured, so every worker process is warm and every breaker has settled. */
  warmupSeconds: number;
  log: (...args: unknown[]) => void;
}): Promise<MixReport> {
  const receivers = await startMixReceivers();
  try {
    const apps = await provisionMix(options.url, options.token, receivers);
    // Warm-up: the worker is ready once tenant A's first healthy endpoint has a message.
    const warm = await fetch(`${options.url}/api/v1/app/${apps.a.appId}/msg`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apps.a.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ eventType: 'mix.warmup', payload: { n: -1 } }),
    });
    if (warm.status !== 202) throw new Error(`warm-up publish answered ${warm.status}`);
    const deadline = Date.now() + 30_000;
    while (!receivers['a.healthy-1']!.arrivals.some((a) => a.n === -1)) {
      if (Date.now() > deadline) throw new Error('warm-up message never delivered');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await publishMix({ url: options.url, apps, ratePerApp: options.ratePerApp, seconds: options.warmupSeconds, warmup: true });
    const published = await publishMix({ url: options.url, apps, ratePerApp: options.ratePerApp, seconds: options.seconds });
    await waitForMix(receivers, options.ratePerApp * options.seconds, 60_000);
    const report = mixReport(receivers, published, MIX_RETRY_SCHEDULE);
    options.log(`\n${formatMixReport(report)}`);
    return report;
  } finally {
    await Promise.all(Object.values(receivers).map((r) => r.close()));
  }
}

/** The figures a run records: healthy latency, late or missing messages, duplicates, requests to the dead endpoints. */
export function mixFigures(report: MixReport) {
  const r = report.receivers;
  const bounded = ['a.flaky', 'a.first-try', 'a.slow', 'a.rate-limited'];
  return {
    healthy_p50_ms: report.healthyP50Ms,
    healthy_p99_ms: report.healthyP99Ms,
    late_or_missing: bounded.reduce((sum, label) => sum + (r[label]!.late ?? 0), 0),
    first_try_max_ms: r['a.first-try']!.maxMs,
    rate_limited_max_ms: r['a.rate-limited']!.maxMs,
    min_retry_after_gap_ms: r['a.rate-limited']!.minRetryAfterGapMs ?? null,
    duplicates: Object.values(r).reduce((sum, f) => sum + f.duplicated, 0),
    always_500_requests: r['b.always-500']!.requests,
    hang_requests: r['b.hang']!.requests,
  };
}
