import type { TestProject } from 'vitest/node';
import { startTestKafka } from './services/kafka';
import './support/provided';
import { startTestPostgres } from './services/postgres';
import { startTestRedis } from './services/redis';

/**
 * Starts the real services once per run and stops them at the end. A service
 * that cannot start fails the whole run: nothing is skipped for lack of it.
 */
export default async function setup(project: TestProject) {
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    await Promise.allSettled(started.map((s) => s.stop()));
  };
  // The timing-sensitive files (vitest.config.ts, project "alone") use no Kafka: no broker competes for their cores.
  const withKafka = project.name !== 'alone';
  const [postgres, redis, kafka] = await Promise.allSettled([
    startTestPostgres(),
    startTestRedis(),
    withKafka ? startTestKafka() : Promise.resolve({ brokers: [] as string[], async stop() {} }),
  ]);
  for (const service of [postgres, redis, kafka]) if (service.status === 'fulfilled') started.push(service.value);
  if (postgres.status === 'rejected' || redis.status === 'rejected' || kafka.status === 'rejected') {
    await stopAll();
    const reasons = [postgres, redis, kafka].flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
    throw new Error(`test services did not start:\n${reasons.join('\n')}`);
  }
  project.provide('postgresServerUrl', postgres.value.serverUrl);
  project.provide('redisUrl', redis.value.url);
  project.provide('kafkaBrokers', kafka.value.brokers);
  return stopAll;
}
