import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { freePort } from '@herald/db';
import { describe, expect, it } from 'vitest';
import { call } from './support/harness';
import { baseEnv, cleanupAfterEach, isAlive, postmasterPid, TSX, watch } from './support/herald-process';

/**
 * Start-up meets a world that says no. Each time Herald must stop within
 * seconds, exit non-zero, say once which variable to change, and leave nothing
 * running (its embedded PostgreSQL included), and never touch another instance.
 */

const { cleanups, dataDir } = cleanupAfterEach();

interface LogLine {
  level: string;
  msg: string;
  variable?: string;
}

const logLines = (output: string): LogLine[] =>
  output
    .split(/\r?\n/)
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);

/** `npm start`'s program, given `env`; resolves once it exited, with what it said. */
async function startExpectingFailure(env: Record<string, string>) {
  const startedAt = Date.now();
  const run = watch(TSX, ['scripts/start.ts'], { env: baseEnv(env), detached: true });
  cleanups.push(async () => {
    if (run.child.exitCode === null && run.child.signalCode === null) process.kill(-run.child.pid!, 'SIGKILL');
  });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`still running after 45 s:\n${run.output().slice(-3000)}`)), 45_000),
  );
  const { code } = await Promise.race([run.exited(), timeout]);
  const output = run.output();
  const fatal = logLines(output).filter((line) => line.level === 'fatal');
  return { code, output, fatal, seconds: (Date.now() - startedAt) / 1000 };
}

function expectNothingLeft(dir: string, output: string) {
  // pg_ctl stop -w returned before the process exited: the server is gone, its pid file too.
  expect(postmasterPid(dir), output).toBeUndefined();
  expect(existsSync(join(dir, 'herald.pid')), 'the data directory is released').toBe(false);
}

async function listenOn(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return server;
}

describe('start-up that cannot succeed', { timeout: 150_000 }, () => {
  it('a PORT in use: says so once, naming PORT, stops the embedded PostgreSQL and exits 1', async () => {
    const dir = await dataDir();
    const port = await freePort();
    await listenOn(port);
    const result = await startExpectingFailure({ HERALD_DATA_DIR: dir, PORT: String(port) });
    expect(result.code, result.output).toBe(1);
    expect(result.fatal).toEqual([
      expect.objectContaining({
        variable: 'PORT',
        msg: `PORT: 127.0.0.1:${port} is already in use; stop what listens there or choose another PORT`,
      }),
    ]);
    // No worker ran against a database being stopped: no error loop, a short transcript.
    expect(result.output).not.toMatch(/worker error/);
    expect(logLines(result.output).length).toBeLessThan(5);
    expectNothingLeft(dir, result.output);
  });

  it('a data directory held by a running Herald: refuses, and the running one keeps its database', async () => {
    const dir = await dataDir();
    const first = watch(TSX, ['scripts/start.ts'], {
      env: baseEnv({ HERALD_DATA_DIR: dir, PORT: String(await freePort()) }),
      detached: true,
    });
    cleanups.push(async () => {
      if (first.child.exitCode === null) {
        process.kill(-first.child.pid!, 'SIGTERM');
        await first.exited();
      }
    });
    const banner = await first.waitFor(/Root API key.*\n/);
    const url = /Herald is running at (http:\/\/\S+)/.exec(banner)![1]!;
    const serverPid = postmasterPid(dir);

    const second = await startExpectingFailure({ HERALD_DATA_DIR: dir, PORT: String(await freePort()) });
    expect(second.code, second.output).toBe(1);
    expect(second.fatal).toEqual([expect.objectContaining({ variable: 'HERALD_DATA_DIR' })]);
    expect(second.fatal[0]!.msg).toMatch(/is in use by a running Herald \(pid \d+\)/);

    // The first instance and its PostgreSQL are untouched.
    expect(postmasterPid(dir)).toBe(serverPid);
    expect(isAlive(serverPid!)).toBe(true);
    const health = await call(url, 'GET', '/api/v1/health');
    expect(health.status).toBe(200);

    process.kill(-first.child.pid!, 'SIGTERM');
    expect((await first.exited()).code).toBe(0);
    expectNothingLeft(dir, first.output());
  });

  it('an unreachable DATABASE_URL: names the variable and the address, never the password', async () => {
    const port = await freePort();
    const result = await startExpectingFailure({ DATABASE_URL: `postgres://herald:s3cret-pass@127.0.0.1:${port}/herald` });
    expect(result.code, result.output).toBe(1);
    expect(result.fatal).toHaveLength(1);
    expect(result.fatal[0]!.msg).toMatch(new RegExp(`^DATABASE_URL: cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
    expect(result.output).not.toContain('s3cret-pass');
    expect(result.seconds).toBeLessThan(30);
  });

  it('an unreachable REDIS_URL: names the variable, stops the embedded PostgreSQL, exits 1', async () => {
    const dir = await dataDir();
    const port = await freePort();
    const result = await startExpectingFailure({
      HERALD_DATA_DIR: dir,
      PORT: String(await freePort()),
      REDIS_URL: `redis://127.0.0.1:${port}`,
    });
    expect(result.code, result.output).toBe(1);
    expect(result.fatal).toHaveLength(1);
    expect(result.fatal[0]!.msg).toMatch(new RegExp(`^REDIS_URL: cannot reach Redis at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
    expect(result.output).not.toMatch(/Herald is running/);
    expectNothingLeft(dir, result.output);
  });

  it('unreachable KAFKA_BROKERS: names the variable, stops the embedded PostgreSQL, exits 1', async () => {
    const dir = await dataDir();
    const port = await freePort();
    const result = await startExpectingFailure({
      HERALD_DATA_DIR: dir,
      PORT: String(await freePort()),
      KAFKA_BROKERS: `127.0.0.1:${port}`,
    });
    expect(result.code, result.output).toBe(1);
    expect(result.fatal).toHaveLength(1);
    expect(result.fatal[0]!.msg).toMatch(new RegExp(`^KAFKA_BROKERS: cannot reach a Kafka broker at 127\\.0\\.0\\.1:${port}`));
    expect(result.output).not.toMatch(/Herald is running/);
    expectNothingLeft(dir, result.output);
  });
});
