export { type BootstrapResult, bootstrap } from './bootstrap';
export { connectDatabase, type Database, type DatabaseHandle } from './client';
export { createDatabaseIfMissing, type EmbeddedPostgresHandle, freePort, startEmbeddedPostgres } from './embedded';
export { MIGRATIONS_FOLDER, migrateDatabase } from './migrate';
export { type ApiKeyScope, findApiKeyByDigest, issueApiKey } from './queries/api-keys';
export { applicationOut, findApplication, insertApplication, listApplications } from './queries/applications';
export { createOrganization } from './queries/organizations';
export * as schema from './schema';
