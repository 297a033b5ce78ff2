import type { HeraldConfig } from '@herald/core';
import { assertDatabaseReachable, connectDatabase, type DatabaseHandle, migrateDatabase } from '@herald/db';
import { createQueueRuntime, prepareQueueStore, type QueueRuntime } from '@herald/queue';

export interface Services {
  database: DatabaseHandle;
  queue: QueueRuntime;
  close(): Promise<void>;
}

/**
 * What every Herald process needs before it does anything: the schema
 * migrated, the queue store ready, a connection pool and the queue runtime.
 */
export async function openServices(config: HeraldConfig, databaseUrl: string): Promise<Services> {
  // Each check fails once, naming its variable; nothing is opened that would then need closing.
  await assertDatabaseReachable(databaseUrl);
  await migrateDatabase(databaseUrl);
  const queueSettings = {
    kind: config.queueBackend,
    redisUrl: config.redisUrl,
    databaseUrl,
    prefix: config.queuePrefix,
  };
  await prepareQueueStore(queueSettings);
  const database = connectDatabase(databaseUrl);
  const queue = createQueueRuntime(queueSettings);
  return {
    database,
    queue,
    async close() {
      await queue.close();
      await database.close();
    },
  };
}
