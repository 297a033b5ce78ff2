import { ConfigError, loadConfig } from '@herald/core';
import { migrateDatabase } from './migrate';

/** `npm run db:migrate`: applies migrations to DATABASE_URL (the embedded cluster is migrated at start). */
try {
  const config = loadConfig();
  if (!config.databaseUrl) {
    console.error('db:migrate needs DATABASE_URL; the embedded database is migrated by `npm start` itself.');
    process.exit(1);
  }
  await migrateDatabase(config.databaseUrl);
  console.log('migrations applied');
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `migration failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
