import type { Logger } from './logger';

export interface RepeatedLogOptions {
  /** At most one line per key in this window; default 30 s. */
  intervalMs?: number;
}

/**
 * For errors that repeat while something is down (a lost connection, a queue
 * that cannot be read): the first occurrence of a key is logged at once; later
 * ones within the interval are only counted, and one line at the end of the
 * interval says how many there were. A loop failing thousands of times a second
 * writes one line per interval, not thousands.
 */
export function createRepeatedLog(log: Logger, options: RepeatedLogOptions = {}) {
  const intervalMs = options.intervalMs ?? 30_000;
  const windows = new Map<
    string,
    { suppressed: number; timer: NodeJS.Timeout; level: 'warn' | 'error'; message: string; fields?: Record<string, unknown> }
  >();

  const close = (key: string) => {
    const window = windows.get(key);
    if (!window) return;
    windows.delete(key);
    if (window.suppressed > 0) {
      log[window.level](window.message, { ...window.fields, repeated: window.suppressed, intervalMs });
    }
  };

  const report = (level: 'warn' | 'error', key: string, message: string, fields?: Record<string, unknown>) => {
    const window = windows.get(key);
    if (window) {
      window.suppressed += 1;
      window.fields = fields;
      return;
    }
    log[level](message, fields);
    // Unref'd: a pending count must not keep a stopping process alive.
    const timer = setTimeout(() => close(key), intervalMs);
    timer.unref();
    windows.set(key, { suppressed: 0, timer, level, message, fields });
  };

  return {
    warn: (key: string, message: string, fields?: Record<string, unknown>) => report('warn', key, message, fields),
    error: (key: string, message: string, fields?: Record<string, unknown>) => report('error', key, message, fields),
    /** Writes the pending counts now (at shutdown). */
    flush: () => {
      for (const [key, window] of windows) {
        clearTimeout(window.timer);
        close(key);
      }
    },
  };
}

export type RepeatedLog = ReturnType<typeof createRepeatedLog>;
