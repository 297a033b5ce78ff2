import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabaseIfMissing, migrateDatabase, startEmbeddedPostgres } from '@herald/db';
import { prepareQueueStore } from '@herald/queue';

export const TEMPLATE_DATABASE = 'herald_template';

/**
 * A throwaway PostgreSQL cluster for one test or bench run, with PostgreSQL's
 * default durability (fsync and synchronous commit on), as users run it: a
 * commit Herald answers for has reached the disk. `durable: false` switches
 * that off, for a figure reported beside the durable one. A migrated template
 * database lets every test file get its own database with one CREATE DATABASE.
 */
export async function startTestPostgres(options: { durable?: boolean } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'herald-test-pg-'));
  await chmod(dir, 0o755); // the cluster runs as the postgres user, which must reach its directory
  const cluster = await startEmbeddedPostgres({
    dataDir: dir,
    database: TEMPLATE_DATABASE,
    ...(options.durable === false ? { settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } } : {}),
  });
  await migrateDatabase(cluster.url);
  await prepareQueueStore({ kind: 'postgres', databaseUrl: cluster.url, prefix: 'unused' });
  const serverUrl = cluster.url.slice(0, cluster.url.lastIndexOf('/'));
  return {
    serverUrl,
    async stop() {
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function createDatabaseFromTemplate(serverUrl: string, name: string): Promise<string> {
  await createDatabaseIfMissing(`${serverUrl}/postgres`, name, TEMPLATE_DATABASE);
  return `${serverUrl}/${name}`;
}
