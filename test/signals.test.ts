import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { freePort } from '@herald/db';
import { describe, expect, it } from 'vitest';
import { call } from './support/harness';
import { baseEnv, cleanupAfterEach, isAlive, postmasterPid, ROOT, watch } from './support/herald-process';

/**
 * Stopping Herald as people and process managers do: Ctrl-C typed into a real
 * terminal (so the signal reaches npm, tsx and Herald, and the wrappers relay it
 * again), and SIGTERM to the whole process group (systemd, container runtimes).
 * Each time PostgreSQL must be gone when the command returns.
 */

const PTY_RUN = join(ROOT, 'test/support/pty-run.py');
const BANNER = /Root API key/;

const { cleanups, dataDir } = cleanupAfterEach();

/** `npm start` (README's command) on a pseudo-terminal; Ctrl-C is typed once the banner is out. */
function npmStartOnTerminal(env: Record<string, string>, ready = BANNER) {
  return watch('python3', [PTY_RUN, ready.source, '\\x03', '--', 'npm', 'start'], { env: baseEnv(env) });
}

async function expectPostgresGone(dir: string, pid: number | undefined) {
  expect(pid, 'PostgreSQL was running').toBeDefined();
  // init reaps the server once pg_ctl reports it stopped; allow that moment, not a shutdown.
  await expect.poll(() => isAlive(pid!), { timeout: 2000, interval: 100 }).toBe(false);
  expect(postmasterPid(dir)).toBeUndefined();
}

describe('stopping Herald', { timeout: 150_000 }, () => {
  it('one Ctrl-C in a terminal stops everything, PostgreSQL last, and exits 0', async () => {
    const dir = await dataDir();
    const run = npmStartOnTerminal({ HERALD_DATA_DIR: dir, PORT: String(await freePort()) });
    await run.waitFor(BANNER);
    const pid = postmasterPid(dir);
    await run.waitFor(/pty-run: (exit|signal)/, 60_000);
    const out = run.output();
    expect(out).toMatch(/pty-run: exit 0/);
    // The terminal's SIGINT and the wrappers' relayed copies are one request.
    expect(out).toMatch(/"msg":"shutting down"/);
    expect(out.match(/"msg":"shutting down"/g)).toHaveLength(1);
    expect(out).not.toMatch(/exiting now/);
    await expectPostgresGone(dir, pid);
  });

  it('SIGTERM to the whole process group stops everything, PostgreSQL last, and exits 0', async () => {
    const dir = await dataDir();
    // detached: npm leads a process group of its own, as under systemd or a container's init.
    const run = watch('npm', ['start'], { env: baseEnv({ HERALD_DATA_DIR: dir, PORT: String(await freePort()) }), detached: true });
    cleanups.push(async () => {
      if (run.child.exitCode === null) process.kill(-run.child.pid!, 'SIGKILL');
    });
    await run.waitFor(BANNER);
    const pid = postmasterPid(dir);
    process.kill(-run.child.pid!, 'SIGTERM');
    const { code } = await run.exited();
    expect(code, run.output()).toBe(0);
    expect(run.output().match(/"msg":"shutting down"/g)).toHaveLength(1);
    await expectPostgresGone(dir, pid);
  });

  it('past the shutdown deadline it still stops PostgreSQL, and says so', async () => {
    // A receiver that never answers keeps a delivery in flight, so the graceful stop cannot finish in time.
    const requests: string[] = [];
    const receiver: Server = createServer((request) => requests.push(request.url ?? ''));
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          receiver.closeAllConnections();
          receiver.close(() => resolve());
        }),
    );
    const dir = await dataDir();
    const token = `hk_${'t'.repeat(40)}`;
    const run = watch('npm', ['start'], {
      env: baseEnv({
        HERALD_DATA_DIR: dir,
        PORT: String(await freePort()),
        HERALD_ADMIN_TOKEN: token,
        HERALD_SHUTDOWN_TIMEOUT_MS: '1500',
        HERALD_DELIVERY_TIMEOUT_MS: '60000',
      }),
      detached: true,
    });
    cleanups.push(async () => {
      if (run.child.exitCode === null) process.kill(-run.child.pid!, 'SIGKILL');
    });
    const banner = await run.waitFor(/Root API key/);
    const url = /Herald is running at (http:\/\/\S+)/.exec(banner)![1]!;
    const app = await call<{ id: string }>(url, 'POST', '/api/v1/app', { token, json: { name: 'Slow' } });
    expect(app.status).toBe(201);
    const port = (receiver.address() as AddressInfo).port;
    const endpoint = await call(url, 'POST', `/api/v1/app/${app.body.id}/endpoint`, {
      token,
      json: { url: `http://127.0.0.1:${port}/hook` },
    });
    expect(endpoint.status).toBe(201);
    const message = await call(url, 'POST', `/api/v1/app/${app.body.id}/msg`, { token, json: { eventType: 'slow.test', payload: {} } });
    expect(message.status).toBe(202);
    await expect.poll(() => requests.length, { timeout: 20_000 }).toBeGreaterThan(0);

    const pid = postmasterPid(dir);
    const stoppedAt = Date.now();
    process.kill(-run.child.pid!, 'SIGTERM');
    const { code } = await run.exited();
    expect(code, run.output()).toBe(1);
    expect(run.output()).toMatch(/shutdown deadline passed/);
    // Bounded by the deadline plus PostgreSQL's own fast stop, not by the 60 s delivery timeout.
    expect(Date.now() - stoppedAt).toBeLessThan(15_000);
    await expectPostgresGone(dir, pid);
  });
});
