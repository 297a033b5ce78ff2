import { ConfigError } from '@herald/core';

/**
 * Runs a process entry point. A configuration error prints its message (which
 * names the variable) and exits 1; no stack trace reaches an operator's terminal.
 */
export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`herald: ${error.message}\n`);
    } else {
      process.stderr.write(`herald: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
      if (process.env.LOG_LEVEL === 'debug' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    }
    process.exit(1);
  }
}

/**
 * Ordered shutdown on SIGINT/SIGTERM: `stop` runs once and closes things in
 * its own order; past the deadline, or on a second signal, the process exits anyway.
 */
export function onShutdownSignal(stop: () => Promise<void>, options: { deadlineMs?: number; log?: (m: string) => void } = {}): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.log?.(`${signal} again: exiting now`);
      process.exit(130);
    }
    stopping = true;
    options.log?.(`${signal}: shutting down`);
    const deadline = setTimeout(() => {
      options.log?.('shutdown deadline passed: exiting');
      process.exit(1);
    }, options.deadlineMs ?? 20_000);
    deadline.unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        options.log?.(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}
