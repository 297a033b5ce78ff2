import type { SendFailure, SendResult } from '@herald/delivery';
import { describe, expect, it } from 'vitest';
import { judgeAttempt } from '../src/engine/outcome';

const NOW = 1_700_000_000_000;
/** Seconds before each retry: three retries, so attempt 4 is the last. */
const SCHEDULE = [5, 300, 1_800];

const answer = (statusCode: number, extra: Partial<SendResult> = {}): SendResult => ({
  ok: statusCode >= 200 && statusCode < 300,
  statusCode,
  response: `answered ${statusCode}`,
  durationMs: 12,
  ...extra,
});

const noAnswer = (failure: SendFailure): SendResult => ({
  ok: false,
  statusCode: null,
  response: `no answer: ${failure}`,
  durationMs: 30_000,
  failure,
});

const retryAt = (ms: number) => ({ kind: 'retry', nextAttemptAt: new Date(NOW + ms) });

describe('judgeAttempt', () => {
  it.each([200, 204, 299])('counts %i as success', (status) => {
    expect(judgeAttempt(answer(status), 1, SCHEDULE, NOW)).toEqual({
      outcome: { kind: 'succeeded' },
      health: 'success',
      breaker: 'success',
      error: null,
      gone: false,
    });
  });

  it('ends the delivery on 410 Gone and marks the endpoint gone, with retries left', () => {
    const verdict = judgeAttempt(answer(410), 1, SCHEDULE, NOW);
    expect(verdict).toMatchObject({ outcome: { kind: 'dead' }, gone: true, health: 'failure' });
    expect(verdict.error).toContain('410');
  });

  it.each<SendFailure>(['refused_address', 'invalid_url', 'invalid_secret', 'invalid_settings'])(
    'ends the delivery at once on the final failure %s, without counting it for the breaker',
    (failure) => {
      const result: SendResult = { ok: false, statusCode: null, response: `why: ${failure}`, durationMs: 0, failure };
      expect(judgeAttempt(result, 1, SCHEDULE, NOW)).toEqual({
        outcome: { kind: 'dead' },
        health: 'failure',
        breaker: undefined,
        error: `final: why: ${failure}`,
        gone: false,
      });
    },
  );

  describe('back-pressure (429 or 503 with Retry-After)', () => {
    it.each([429, 503])('retries %i when asked, without jitter, leaving health and breaker alone', (status) => {
      // On a second attempt an error answer would count for the breaker; back-pressure never does.
      expect(judgeAttempt(answer(status, { retryAfterMs: 42_000 }), 2, SCHEDULE, NOW)).toEqual({
        outcome: retryAt(42_000),
        health: 'neutral',
        breaker: undefined,
        error: `answered ${status}`,
        gone: false,
      });
    });

    it('waits at least a second', () => {
      expect(judgeAttempt(answer(429, { retryAfterMs: 0 }), 1, SCHEDULE, NOW).outcome).toEqual(retryAt(1_000));
      expect(judgeAttempt(answer(503, { retryAfterMs: 250 }), 1, SCHEDULE, NOW).outcome).toEqual(retryAt(1_000));
    });

    it('is dead once the schedule is spent, whatever Retry-After says', () => {
      expect(judgeAttempt(answer(429, { retryAfterMs: 1_000 }), 4, SCHEDULE, NOW)).toMatchObject({
        outcome: { kind: 'dead' },
        health: 'neutral',
      });
    });
  });

  it('counts an error answer to a first attempt for health but not for the breaker', () => {
    expect(judgeAttempt(answer(500), 1, SCHEDULE, NOW)).toMatchObject({
      outcome: { kind: 'retry' },
      health: 'failure',
      breaker: undefined,
      error: 'answered 500',
      gone: false,
    });
  });

  it('counts an error answer to a later attempt for the breaker', () => {
    expect(judgeAttempt(answer(500), 2, SCHEDULE, NOW)).toMatchObject({
      outcome: { kind: 'retry' },
      health: 'failure',
      breaker: 'failure',
    });
  });

  it.each<SendFailure>(['timeout', 'connection'])('counts no answer (%s) for the breaker from the first attempt', (failure) => {
    expect(judgeAttempt(noAnswer(failure), 1, SCHEDULE, NOW)).toMatchObject({
      outcome: { kind: 'retry' },
      health: 'failure',
      breaker: 'failure',
      error: `no answer: ${failure}`,
      gone: false,
    });
  });

  it("retries Herald's own failure (nothing was sent) without holding it against the endpoint", () => {
    const verdict = judgeAttempt(noAnswer('internal'), 1, SCHEDULE, NOW);
    expect(verdict).toMatchObject({ outcome: { kind: 'retry' }, health: 'neutral', breaker: undefined, gone: false });
    expect(judgeAttempt(noAnswer('internal'), 4, SCHEDULE, NOW).outcome).toEqual({ kind: 'dead' });
  });

  it('is dead once the schedule is spent', () => {
    expect(judgeAttempt(answer(500), 4, SCHEDULE, NOW)).toMatchObject({ outcome: { kind: 'dead' }, health: 'failure', breaker: 'failure' });
    expect(judgeAttempt(noAnswer('timeout'), 1, [], NOW).outcome).toEqual({ kind: 'dead' });
  });

  it("retries within ±20 % of the schedule's entry for the attempt", () => {
    const delays = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const { outcome } = judgeAttempt(answer(500), 2, SCHEDULE, NOW);
      if (outcome.kind !== 'retry') throw new Error(`expected a retry, got ${outcome.kind}`);
      const delay = outcome.nextAttemptAt.getTime() - NOW;
      expect(delay).toBeGreaterThanOrEqual(300_000 * 0.8);
      expect(delay).toBeLessThanOrEqual(300_000 * 1.2);
      delays.add(delay);
    }
    expect(delays.size).toBeGreaterThan(1); // jittered, not fixed
  });
});
