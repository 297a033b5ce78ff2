import { describe, expect, it } from 'vitest';
import { BREAKER_POLICY, type BreakerPolicy, breakerWindowMs, createBreakerWindows } from '../src/engine/breaker';

describe('breakerWindowMs', () => {
  it('is at least minWindowMs', () => {
    expect(breakerWindowMs(BREAKER_POLICY, [0.5, 60])).toBe(2_000);
    expect(breakerWindowMs(BREAKER_POLICY, [0])).toBe(2_000);
  });

  it('is firstRetryFactor times the first retry; later entries do not matter', () => {
    expect(breakerWindowMs(BREAKER_POLICY, [5, 3_600])).toBe(10_000);
    expect(breakerWindowMs({ ...BREAKER_POLICY, firstRetryFactor: 3 }, [5])).toBe(15_000);
  });

  it('is capped at maxWindowMs', () => {
    expect(breakerWindowMs(BREAKER_POLICY, [60])).toBe(60_000);
    expect(breakerWindowMs(BREAKER_POLICY, [86_400])).toBe(60_000);
  });

  it('is minWindowMs for an empty schedule', () => {
    expect(breakerWindowMs(BREAKER_POLICY, [])).toBe(2_000);
  });
});

describe('createBreakerWindows', () => {
  // A 1 s window: ten buckets of 100 ms. T is bucket-aligned so the arithmetic below is exact.
  const WINDOW = 1_000;
  const T = 100_000;
  const policy: BreakerPolicy = { ...BREAKER_POLICY, minRequests: 4, failureRate: 0.9 };

  /** Observes an outcome of a request that started and ended at `at`, unless `startedAt` says otherwise. */
  const observer = (p: BreakerPolicy = policy) => {
    const windows = createBreakerWindows(p);
    const observe = (id: string, outcome: 'success' | 'failure' | 'seen', at: number, startedAt = at) =>
      windows.observe(id, outcome, WINDOW, startedAt, at);
    return { windows, observe };
  };

  it('does not trip before the window has been watched in full', () => {
    const { observe } = observer();
    for (let at = T; at < T + WINDOW; at += 100) expect(observe('ep', 'failure', at)).toBe(false);
    expect(observe('ep', 'failure', T + WINDOW)).toBe(true);
  });

  it('counts the window from the start of the first request, so answers that took the whole window judge at once', () => {
    const { observe } = observer();
    // Four timeouts of requests sent at T, all coming back at T + WINDOW.
    expect(observe('ep', 'failure', T + WINDOW, T)).toBe(false);
    expect(observe('ep', 'failure', T + WINDOW, T)).toBe(false);
    expect(observe('ep', 'failure', T + WINDOW, T)).toBe(false);
    expect(observe('ep', 'failure', T + WINDOW, T)).toBe(true);
  });

  it('does not trip below minRequests', () => {
    const { observe } = observer();
    // Every request fails, but a window never holds more than three of them.
    for (let at = T; at < T + 10 * WINDOW; at += 400) expect(observe('ep', 'failure', at)).toBe(false);
  });

  it('trips exactly at the failure rate', () => {
    const strict = { ...policy, minRequests: 10, failureRate: 0.9 };
    const now = T + WINDOW;
    const atRate = observer(strict).observe;
    expect(atRate('ep', 'success', now, T)).toBe(false);
    for (let i = 0; i < 8; i++) expect(atRate('ep', 'failure', now, T)).toBe(false);
    expect(atRate('ep', 'failure', now, T)).toBe(true); // 9 of 10

    const belowRate = observer(strict).observe;
    belowRate('ep', 'success', now, T);
    belowRate('ep', 'success', now, T);
    for (let i = 0; i < 8; i++) expect(belowRate('ep', 'failure', now, T)).toBe(false); // 8 of 10
  });

  it.each([
    ['50 %', 2],
    ['10 %', 10],
  ])('never trips on an endpoint failing %s of requests', (_, every) => {
    const { observe } = observer(BREAKER_POLICY);
    // Five windows' worth of steady traffic, one request every 10 ms.
    for (let i = 0; i < 500; i++) {
      expect(observe('ep', i % every === 0 ? 'failure' : 'success', T + i * 10)).toBe(false);
    }
  });

  it("counts 'seen' outcomes for neither side, but they start the window", () => {
    const { observe } = observer({ ...policy, minRequests: 10 });
    // The window starts with the first request, a 'seen' one (back-pressure, say).
    expect(observe('ep', 'seen', T)).toBe(false);
    for (let i = 0; i < 20; i++) expect(observe('ep', 'seen', T + WINDOW)).toBe(false);
    // Not counted as requests: nine failures are below minRequests...
    for (let i = 0; i < 9; i++) expect(observe('ep', 'failure', T + WINDOW)).toBe(false);
    // ...nor as successes: ten failures are a 100 % failure rate, judged over the window the 'seen' one started.
    expect(observe('ep', 'failure', T + WINDOW)).toBe(true);
  });

  it('clears the window after a trip, so it must fill again before tripping again', () => {
    const { observe, windows } = observer();
    for (let i = 0; i < 4; i++) observe('ep', 'failure', T + WINDOW, T);
    expect(windows.size()).toBe(0);
    const tripped = T + WINDOW;
    for (let at = tripped; at < tripped + WINDOW; at += 100) expect(observe('ep', 'failure', at)).toBe(false);
    expect(observe('ep', 'failure', tripped + WINDOW)).toBe(true);
  });

  it('starts afresh after a window without requests', () => {
    const { observe } = observer();
    for (let at = T; at < T + 400; at += 100) expect(observe('ep', 'failure', at)).toBe(false);
    // Quiet for longer than the window: the earlier start no longer makes the window watched.
    const back = T + 300 + WINDOW + 1;
    for (let at = back; at < back + 400; at += 100) expect(observe('ep', 'failure', at)).toBe(false);
    expect(observe('ep', 'failure', back + WINDOW)).toBe(true);
  });

  it('lets old outcomes slide out of the window', () => {
    const { observe } = observer();
    // Healthy, then down: the successes stop holding it closed as they leave the window.
    for (let at = T; at < T + 400; at += 100) observe('ep', 'success', at);
    for (let at = T + 400; at < T + 1_200; at += 100) expect(observe('ep', 'failure', at)).toBe(false);
    // At T + 1200 the window (T + 300 .. T + 1200) holds 1 success and 9 failures.
    expect(observe('ep', 'failure', T + 1_200)).toBe(true);
  });

  it('keeps endpoints independent', () => {
    const { observe, windows } = observer();
    for (let at = T; at < T + WINDOW; at += 100) {
      observe('down', 'failure', at);
      observe('up', 'success', at);
    }
    for (let at = T + 500; at < T + WINDOW; at += 100) observe('late', 'failure', at);
    expect(windows.size()).toBe(3);
    expect(observe('up', 'success', T + WINDOW)).toBe(false);
    expect(observe('late', 'failure', T + WINDOW)).toBe(false); // its own window started only at T + 500
    expect(observe('down', 'failure', T + WINDOW)).toBe(true);
    expect(observe('late', 'failure', T + 1_500)).toBe(true);
  });

  it('forgets an endpoint on reset', () => {
    const { observe, windows } = observer();
    for (let at = T; at < T + WINDOW; at += 100) observe('ep', 'failure', at);
    windows.reset('ep');
    expect(windows.size()).toBe(0);
    expect(observe('ep', 'failure', T + WINDOW)).toBe(false);
  });
});
