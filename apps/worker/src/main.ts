import { createLogger, loadConfig } from '@herald/core';
import { assertKafkaReachable } from '@herald/delivery';
import { onShutdownSignal, openServices, runMain, startMetricsServer } from '@herald/runtime';
import { startWorker } from './worker';

/** `npm run start:worker`: one worker process against external services; run as many as needed. */
await runMain(async () => {
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('start:worker needs DATABASE_URL; `npm start` runs the embedded all-in-one default');
  const log = createLogger('worker', config.logLevel);
  if (config.kafkaBrokers) await assertKafkaReachable(config.kafkaBrokers);
  const services = await openServices(config, config.databaseUrl);
  // Bound before the worker starts, so a taken HERALD_METRICS_PORT stops the process before it takes any job.
  const metrics =
    config.metricsPort === undefined
      ? undefined
      : await startMetricsServer({ db: services.database.db, host: config.host, port: config.metricsPort }).catch(
          async (error: unknown) => {
            await services.close();
            throw error;
          },
        );
  const worker = startWorker({ config, db: services.database.db, queue: services.queue });
  onShutdownSignal(
    async () => {
      await worker.close();
      await metrics?.close();
      await services.close();
    },
    { deadlineMs: config.shutdownTimeoutMs, log: (message, fields) => log.info(message, fields) },
  );
  // Announced once a signal is handled: whoever waits for this line may stop the process at once.
  log.info('worker started', { queueBackend: config.queueBackend, metrics: metrics?.url });
});
