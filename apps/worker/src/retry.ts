/** ±20 %: retries of many deliveries that failed together do not come back together. */
export function withJitter(ms: number, random: () => number = Math.random): number {
  return Math.round(ms * (0.8 + 0.4 * random()));
}

/** Retry-After is honoured between one second and one hour; beyond that the schedule decides. */
const RETRY_AFTER_MIN_MS = 1000;
const RETRY_AFTER_MAX_MS = 3600 * 1000;

/**
 * When to try again after failed attempt number `attempt` (1-based), or
 * undefined when the schedule is exhausted. `schedule` holds the seconds to
 * wait before each retry.
 */
export function nextRetryDelayMs(attempt: number, schedule: readonly number[], retryAfterMs?: number): number | undefined {
  const seconds = schedule[attempt - 1];
  if (seconds === undefined) return undefined;
  if (retryAfterMs !== undefined && retryAfterMs <= RETRY_AFTER_MAX_MS) return Math.max(RETRY_AFTER_MIN_MS, retryAfterMs);
  return withJitter(seconds * 1000);
}
