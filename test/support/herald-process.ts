import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

/** Helpers for tests that run Herald the way an operator does: as a process, started by a command. */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const TSX = join(ROOT, 'node_modules/.bin/tsx');

/** A data directory PostgreSQL's own user can enter (the cluster runs as `postgres` when we are root). */
export async function makeDataDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-life-'));
  await chmod(dir, 0o755);
  return {
    dir,
    async remove() {
      const pid = postmasterPid(dir);
      // A failed test may leave the server up; never leave it behind on the machine.
      if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGQUIT');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * What a test file leaves behind, undone after each test (last registered
 * first): servers, processes, and data directories from `dataDir()`.
 */
export function cleanupAfterEach() {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    cleanups,
    async dataDir(): Promise<string> {
      const made = await makeDataDir();
      cleanups.push(made.remove);
      return made.dir;
    },
  };
}

/** The embedded PostgreSQL server's pid, from its postmaster.pid, while that file exists. */
export function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postgres', 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return pid > 0 ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function baseEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'info', ...extra };
}

export interface Watched {
  child: ChildProcess;
  output(): string;
  /** Resolves with the output once it matches `pattern`; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns a command and keeps its stdout and stderr together, in order. */
export function watch(
  command: string,
  args: string[],
  options: { env: Record<string, string>; detached?: boolean; cwd?: string },
): Watched {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exit = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  return {
    child,
    output: () => text,
    waitFor(pattern, timeoutMs = 90_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(text)) {
            cleanup();
            resolve(text);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${text}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        exit.then(() => {
          if (!pattern.test(text)) {
            cleanup();
            reject(new Error(`exited before ${pattern}:\n${text}`));
          }
        });
        check();
      });
    },
    exited: () => exit,
  };
}
