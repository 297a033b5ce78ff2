import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createLogger, createRepeatedLog } from '../src';

/** A logger whose JSON lines land in an array, parsed: the real pino logger, another destination. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('test', 'debug', { write: (line: string) => lines.push(JSON.parse(line)) });
  return { log, lines };
}

describe('repeated errors', () => {
  it('logs the first at once, then one line per interval with the count of the rest', async () => {
    const { log, lines } = capturedLogger();
    const repeated = createRepeatedLog(log, { intervalMs: 200 });
    for (let i = 0; i < 5000; i++) repeated.error('queue:ECONNREFUSED', 'worker error', { queue: 'deliver', error: 'ECONNREFUSED' });
    expect(lines).toEqual([expect.objectContaining({ level: 'error', msg: 'worker error', queue: 'deliver' })]);

    await sleep(350);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 'error', msg: 'worker error', repeated: 4999, intervalMs: 200 });

    // A new interval begins with the next occurrence, logged at once.
    repeated.error('queue:ECONNREFUSED', 'worker error', { queue: 'deliver', error: 'ECONNREFUSED' });
    expect(lines).toHaveLength(3);
    expect(lines[2]).not.toHaveProperty('repeated');
  });

  it('keeps different errors apart and writes pending counts on flush', () => {
    const { log, lines } = capturedLogger();
    const repeated = createRepeatedLog(log, { intervalMs: 60_000 });
    repeated.warn('a', 'redis unreachable');
    repeated.warn('b', 'kafka unreachable');
    repeated.warn('a', 'redis unreachable');
    repeated.warn('a', 'redis unreachable');
    expect(lines.map((line) => line.msg)).toEqual(['redis unreachable', 'kafka unreachable']);
    repeated.flush();
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ level: 'warn', msg: 'redis unreachable', repeated: 2 });
  });
});

describe('log format', () => {
  it('is one JSON object per line with level name, ISO time, logger name and message; children carry their ids', () => {
    const { log, lines } = capturedLogger();
    log.child({ requestId: 'req_1' }).child({ messageId: 'msg_2', deliveryId: 'dlv_3' }).info('sent', { status: 200 });
    expect(lines).toEqual([
      {
        level: 'info',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        name: 'test',
        requestId: 'req_1',
        messageId: 'msg_2',
        deliveryId: 'dlv_3',
        status: 200,
        msg: 'sent',
      },
    ]);
  });
});
