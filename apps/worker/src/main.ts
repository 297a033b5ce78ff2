import { createLogger, loadConfig } from '@herald/core';
import { onShutdownSignal, openServices, runMain } from '@herald/runtime';
import { startWorker } from './worker';

/** `npm run start:worker`: one worker process against external services; run as many as needed. */
await runMain(async () => {
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('start:worker needs DATABASE_URL; `npm start` runs the embedded all-in-one default');
  const log = createLogger('worker', config.logLevel);
  const services = await openServices(config, config.databaseUrl);
  const worker = startWorker({ config, db: services.database.db, queue: services.queue });
  log.info('worker started', { queueBackend: config.queueBackend });
  onShutdownSignal(
    async () => {
      await worker.close();
      await services.close();
    },
    { log: (m) => log.info(m) },
  );
});
