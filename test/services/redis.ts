import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from '@herald/db';
import { Redis } from 'ioredis';
import { waitFor } from './wait';

export interface TestRedisOptions {
  port?: number;
  /**
   * Persist to an append-only file in this directory (`appendonly yes`,
   * `appendfsync always`), so a restart on the same port and directory finds
   * the data again. Unset (the default): nothing is written to disk.
   */
  persistDir?: string;
}

/** A throwaway redis-server (from PATH) on a free loopback port, nothing written to disk unless `persistDir` is given. */
export async function startTestRedis(options: TestRedisOptions = {}) {
  const port = options.port ?? (await freePort());
  const persistence = options.persistDir
    ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', options.persistDir]
    : ['--appendonly', 'no'];
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--maxmemory-policy', 'noeviction'],
    { stdio: 'ignore' },
  );
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) =>
      reject(
        new Error(`cannot run redis-server (${error.message}); install it (apt-get install redis-server) — the suite needs a real Redis`),
      ),
    );
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}`)));
  });
  failed.catch(() => {});
  const url = `redis://127.0.0.1:${port}`;
  await Promise.race([
    failed,
    waitFor('redis', async () => {
      const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.ping();
      } finally {
        client.disconnect();
      }
    }),
  ]);
  return {
    url,
    port,
    pid: child.pid,
    /** SIGTERM (the default) shuts Redis down cleanly; SIGKILL is a crash. */
    async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}
