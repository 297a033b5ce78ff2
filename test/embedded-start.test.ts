import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@herald/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/harness';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');

interface Started {
  child: ChildProcess;
  url: string;
  stdout: string;
}

/** `npm start` as a user runs it: no DATABASE_URL, no REDIS_URL, only a data directory and a port. */
function startHerald(env: Record<string, string>): Promise<Started> {
  const child = spawn(TSX, ['scripts/start.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 60 s\nstdout: ${stdout}\nstderr: ${stderr}`)), 60_000);
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
      const match = /Herald is running at (http:\/\/\S+)/.exec(stdout);
      // The key line follows the URL line; wait for the whole banner.
      if (match?.[1] && /Root API key/.test(stdout)) {
        clearTimeout(timer);
        resolve({ child, url: match[1], stdout });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  child.kill('SIGINT');
  const [code] = await once(child, 'exit');
  return code as number | null;
}

describe('npm start (embedded default)', () => {
  let dataDir: string;
  let running: ChildProcess | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'herald-start-'));
    await chmod(dataDir, 0o755);
  });
  afterAll(async () => {
    if (running) await stop(running);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts, prints a root key once, keeps its data across a clean restart', async () => {
    const port = String(await freePort());
    const first = await startHerald({ HERALD_DATA_DIR: dataDir, PORT: port });
    running = first.child;
    const token = /Root API key \(shown once, store it now\): (hk_\S+)/.exec(first.stdout)?.[1];
    expect(token).toBeDefined();
    expect(first.stdout).toMatch(/Outbound webhooks may reach loopback/);

    const health = await call(first.url, 'GET', '/api/v1/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', checks: { queue: { backend: 'postgres', status: 'up' } } });

    const created = await call<{ id: string }>(first.url, 'POST', '/api/v1/app', { token: token!, json: { name: 'Kept', uid: 'kept' } });
    expect(created.status).toBe(201);

    // Ctrl-C: a clean exit, PostgreSQL stopped with it.
    expect(await stop(first.child)).toBe(0);
    running = undefined;

    const second = await startHerald({ HERALD_DATA_DIR: dataDir, PORT: port });
    running = second.child;
    expect(second.stdout).not.toMatch(/hk_/);
    const found = await call<{ id: string; name: string }>(second.url, 'GET', '/api/v1/app/kept', { token: token! });
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ id: created.body.id, name: 'Kept' });
    expect(await stop(second.child)).toBe(0);
    running = undefined;
  });

  it('refuses a bad environment variable by name, without a stack trace', async () => {
    const child = spawn(TSX, ['scripts/start.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HERALD_DATA_DIR: dataDir, PORT: 'eighty', HERALD_QUEUE_BACKEND: 'redis' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    // One log line, in the log's format (JSON), naming every bad variable.
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as { level: string; msg: string; problems: string[] };
    expect(line.level).toBe('fatal');
    expect(line.problems).toContainEqual(expect.stringMatching(/^PORT: /));
    expect(line.problems).toContain('HERALD_QUEUE_BACKEND: is "redis" but REDIS_URL is not set');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
