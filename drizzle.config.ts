import { defineConfig } from 'drizzle-kit';

// Migrations are generated from the schema and committed; they are applied by
// `npm run db:migrate` and at start, never with `drizzle-kit push`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './packages/db/src/schema/index.ts',
  out: './drizzle',
});
