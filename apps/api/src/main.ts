import { join } from 'node:path';
import { createLogger, installRoot, loadConfig } from '@herald/core';
import { bootstrap } from '@herald/db';
import { onShutdownSignal, openServices, runMain } from '@herald/runtime';
import { startApiServer } from './server';

const DASHBOARD_DIR = join(installRoot(import.meta.url), 'apps/dashboard/dist');

/** `npm run start:api`: the API alone, against external services. */
await runMain(async () => {
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('start:api needs DATABASE_URL; `npm start` runs the embedded all-in-one default');
  const log = createLogger('api', config.logLevel);
  const services = await openServices(config, config.databaseUrl);
  const { generatedRootToken, generatedAdmin } = await bootstrap(services.database.db, {
    adminToken: config.adminToken,
    operators: { admin: config.operators.admin },
  });
  if (generatedRootToken) process.stdout.write(`Root API key (shown once, store it now): ${generatedRootToken}\n`);
  if (generatedAdmin) process.stdout.write(`Dashboard login: ${generatedAdmin.email} / ${generatedAdmin.password} (shown once)\n`);
  const api = await startApiServer({ config, db: services.database.db, queue: services.queue, dashboardDir: DASHBOARD_DIR }).catch(
    async (error: unknown) => {
      await services.close();
      throw error;
    },
  );
  onShutdownSignal(
    async () => {
      await api.close();
      await services.close();
    },
    { deadlineMs: config.shutdownTimeoutMs, log: (message, fields) => log.info(message, fields) },
  );
  // Announced once a signal is handled: whoever waits for this line may stop the process at once.
  log.info('api listening', { url: api.url });
});
