import { ConfigError, createLogger, StartupError } from '@herald/core';

/**
 * Runs a process entry point. A configuration or start-up error prints its
 * message (which names the variable) once and exits 1; no stack trace reaches
 * an operator's terminal.
 */
export async function runMain(main: () => Promise<void>): Promise<void> {
  // The terminal may close before Herald finishes stopping (the shell's npm exits first and the
  // terminal hangs up): a failed write to it must not crash the stop half-way, PostgreSQL still up.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  try {
    await main();
  } catch (error) {
    // In the log's one format, once; the message names the variable to change.
    const log = createLogger('herald');
    if (error instanceof ConfigError) {
      log.fatal(`invalid configuration: ${error.problems.join('; ')}`, { problems: error.problems });
    } else if (error instanceof StartupError) {
      log.fatal(error.message, { variable: error.variable });
    } else {
      const message = error instanceof Error ? error.message : String(error);
      log.fatal(
        `failed to start: ${message}`,
        process.env.LOG_LEVEL === 'debug' && error instanceof Error ? { stack: error.stack } : undefined,
      );
    }
    process.exit(1);
  }
}

export interface ShutdownOptions {
  /** Past this, `stop` is abandoned; `lastly` still runs. */
  deadlineMs?: number;
  /** Runs after `stop`, whether it finished, failed or overran: what must never be left behind (embedded PostgreSQL). */
  lastly?: () => Promise<void>;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * Ordered shutdown on SIGINT/SIGTERM. One signal starts it; `stop` runs once
 * and closes things in its own order, then `lastly`, then the process exits.
 *
 * A second signal while stopping is not a new request: Ctrl-C in a terminal
 * reaches every process of the foreground group, and wrappers (npm, tsx) relay
 * the same signal to their child again, so one keypress arrives two or three
 * times within milliseconds. Exiting on it would skip `lastly` and leave
 * PostgreSQL running. The deadline is what bounds a stop that hangs.
 *
 * SIGHUP (the terminal closed) is a stop request too; its default action would
 * kill the process mid-stop when the terminal goes away first.
 */
export function onShutdownSignal(stop: () => Promise<void>, options: ShutdownOptions = {}): void {
  let stopping = false;
  let repeats = 0;
  const finish = async (code: number) => {
    try {
      await options.lastly?.();
    } catch (error) {
      options.log?.('final shutdown step failed', { error: error instanceof Error ? error.message : String(error) });
      code = 1;
    }
    process.exit(code);
  };
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      // Logged once: a relayed signal is expected, not news.
      if (repeats++ === 0) options.log?.('already shutting down; signal ignored', { signal });
      return;
    }
    stopping = true;
    const deadlineMs = options.deadlineMs ?? 20_000;
    options.log?.('shutting down', { signal, deadlineMs });
    let settled = false;
    const deadline = setTimeout(() => {
      if (settled) return;
      settled = true;
      options.log?.('shutdown deadline passed: stopping what remains', { deadlineMs });
      void finish(1);
    }, deadlineMs);
    stop().then(
      () => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        void finish(0);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        options.log?.('shutdown failed', { error: error instanceof Error ? error.message : String(error) });
        void finish(1);
      },
    );
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
  process.on('SIGHUP', handle);
}
