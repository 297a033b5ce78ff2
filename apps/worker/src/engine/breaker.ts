/**
 * When to open an endpoint's circuit breaker: a failure rate over a sliding
 * window, judged only once the window has been watched in full and holds a
 * minimum number of requests (the model of Convoy's breaker). Successes count
 * against failures, so an endpoint that fails some of the time stays closed;
 * one that fails (nearly) every request for a whole window opens. What counts
 * as a failure is the caller's call (engine/outcome.ts: back-pressure never,
 * an error answer to a first try not yet).
 *
 * The window is at least `minWindowMs` and at least `firstRetryFactor` times
 * the endpoint's first retry delay, so its first retries have come back
 * before it is judged.
 *
 * Kept per worker process, in memory (what each process saw of its own
 * sends); opening it is shared through the endpoint row.
 */
export interface BreakerPolicy {
  minWindowMs: number;
  firstRetryFactor: number;
  maxWindowMs: number;
  minRequests: number;
  /** 0..1: the share of failures in the window that opens the breaker. */
  failureRate: number;
  /** First open interval, doubled by each failed probe up to `openMaxMs`. */
  openBaseMs: number;
  openMaxMs: number;
}

export const BREAKER_POLICY: BreakerPolicy = {
  minWindowMs: 2_000,
  firstRetryFactor: 2,
  maxWindowMs: 60_000,
  minRequests: 10,
  failureRate: 0.9,
  openBaseMs: 5_000,
  openMaxMs: 10 * 60_000,
};

const BUCKETS = 10;

interface Window {
  /**
   * When this window started being watched: the start of the first request
   * counted since a reset. Counting from the request, not its answer, lets a
   * receiver that never answers be judged as soon as its timeouts come back.
   */
  since: number;
  lastAt: number;
  /** Ring of buckets, each `windowMs / BUCKETS` wide: start time, successes, failures. */
  starts: number[];
  ok: number[];
  failed: number[];
}

export interface BreakerWindows {
  /**
   * Counts one outcome (of a request started at `startedAt`) for the
   * endpoint; true when it trips the breaker (the window is then cleared, so
   * it must fill again before tripping again). 'seen' counts for neither side
   * but still marks the endpoint as watched since the request started.
   */
  observe(endpointId: string, outcome: 'success' | 'failure' | 'seen', windowMs: number, startedAt: number, now?: number): boolean;
  /** Forgets an endpoint's window (its circuit just opened or closed elsewhere). */
  reset(endpointId: string): void;
  /** Endpoints being watched (for tests and metrics). */
  size(): number;
}

/** The window an endpoint is judged over, from its first retry delay. */
export function breakerWindowMs(policy: BreakerPolicy, retryScheduleS: readonly number[]): number {
  const firstRetryMs = (retryScheduleS[0] ?? 0) * 1000;
  return Math.min(policy.maxWindowMs, Math.max(policy.minWindowMs, policy.firstRetryFactor * firstRetryMs));
}

export function createBreakerWindows(policy: BreakerPolicy): BreakerWindows {
  const windows = new Map<string, Window>();
  let observations = 0;

  const fresh = (now: number): Window => ({
    since: now,
    lastAt: now,
    starts: new Array<number>(BUCKETS).fill(-1),
    ok: new Array<number>(BUCKETS).fill(0),
    failed: new Array<number>(BUCKETS).fill(0),
  });

  /** Drops windows idle for longer than the longest window: their endpoints went quiet. */
  const sweep = (now: number) => {
    for (const [id, w] of windows) if (now - w.lastAt > policy.maxWindowMs) windows.delete(id);
  };

  return {
    observe(endpointId, outcome, windowMs, startedAt, now = Date.now()) {
      if (++observations % 10_000 === 0) sweep(now);
      let w = windows.get(endpointId);
      // Quiet for a whole window: what came before says nothing about now.
      if (!w || now - w.lastAt > windowMs) {
        w = fresh(startedAt);
        windows.set(endpointId, w);
      }
      w.lastAt = now;
      w.since = Math.min(w.since, startedAt);
      const width = windowMs / BUCKETS;
      const slot = Math.floor(now / width);
      const index = slot % BUCKETS;
      if (w.starts[index] !== slot) {
        w.starts[index] = slot;
        w.ok[index] = 0;
        w.failed[index] = 0;
      }
      if (outcome === 'success') w.ok[index]!++;
      else if (outcome === 'failure') w.failed[index]!++;
      else return false;

      if (now - w.since < windowMs) return false;
      let ok = 0;
      let failed = 0;
      for (let i = 0; i < BUCKETS; i++) {
        if (w.starts[i]! > slot - BUCKETS) {
          ok += w.ok[i]!;
          failed += w.failed[i]!;
        }
      }
      if (ok + failed < policy.minRequests || failed / (ok + failed) < policy.failureRate) return false;
      windows.delete(endpointId);
      return true;
    },
    reset(endpointId) {
      windows.delete(endpointId);
    },
    size() {
      return windows.size;
    },
  };
}
