import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestHerald, startTestWorker, type TestHerald } from './harness';

const ROOT = join(import.meta.dirname, '..', '..');
export const DASHBOARD_DIR = join(ROOT, 'apps', 'dashboard', 'dist');

/** CI builds the dashboard before the tests; a local run builds it when missing. */
export async function ensureDashboardBuilt(): Promise<void> {
  if (!existsSync(join(DASHBOARD_DIR, 'index.html'))) {
    await promisify(execFile)('npm', ['run', 'build', '--workspace', '@herald/dashboard'], { cwd: ROOT });
  }
}

export interface DashboardStack {
  herald: TestHerald;
  worker: { close(): Promise<void> };
  close(): Promise<void>;
}

/**
 * What the browser tests drive: the API serving the built dashboard with an
 * admin operator, and a worker with one quick retry (a failing delivery is
 * dead-lettered within seconds) and a fast sweeper.
 */
export async function startDashboardStack(admin: { email: string; password: string }, sweeper: { circuitGraceMs?: number } = {}) {
  await ensureDashboardBuilt();
  const herald = await startTestHerald({
    queue: 'redis',
    config: {
      HERALD_RETRY_SCHEDULE: '1',
      HERALD_DELIVERY_TIMEOUT_MS: '2000',
      HERALD_ADMIN_EMAIL: admin.email,
      HERALD_ADMIN_PASSWORD: admin.password,
    },
    deps: { dashboardDir: DASHBOARD_DIR },
  });
  const worker = startTestWorker(herald, {
    timeoutMs: 2000,
    sweeper: { intervalMs: 500, graceMs: 1000, deliveryGraceMs: 5000, ...sweeper },
  });
  return {
    herald,
    worker,
    async close() {
      await worker.close();
      await herald.close();
    },
  } satisfies DashboardStack;
}
