import { describe, expect, it } from 'vitest';
import { createLogger } from '../src';

function capturedLogger(level: 'debug' | 'info') {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('test', level, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { log, lines };
}

describe('child loggers', () => {
  it('carry their bindings on every line, and a grandchild carries both', () => {
    const { log, lines } = capturedLogger('debug');
    const request = log.child({ requestId: 'req_1' });
    request.info('message accepted', { messageId: 'msg_1' });
    request.child({ deliveryId: 'dlv_1' }).warn('slow receiver');
    expect(lines).toEqual([
      expect.objectContaining({ name: 'test', level: 'info', requestId: 'req_1', messageId: 'msg_1', msg: 'message accepted' }),
      expect.objectContaining({ level: 'warn', requestId: 'req_1', deliveryId: 'dlv_1', msg: 'slow receiver' }),
    ]);
  });

  it('write nothing below the level, and what is above it still carries the bindings', () => {
    const { log, lines } = capturedLogger('info');
    const request = log.child({ requestId: 'req_2' });
    request.debug('message accepted');
    expect(lines).toEqual([]);
    request.error('unhandled error', { error: 'boom' });
    expect(lines).toEqual([expect.objectContaining({ level: 'error', requestId: 'req_2', error: 'boom' })]);
  });
});
