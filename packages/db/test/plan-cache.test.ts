import { afterAll, beforeAll, expect, it } from 'vitest';
import { testDatabase } from '../../../test/support/harness';

/**
 * Herald's hot statements are named prepared statements (`runPrepared`). With PostgreSQL's default
 * plan caching, a statement run a few times while its tables were nearly empty (a fresh install,
 * its first minute) keeps a generic plan built for that size until autovacuum happens to analyze
 * the table: in the receiver-mix bench the attempt record ran a sequential scan and hash join
 * over `deliveries`, 6 ms per call instead of 0.5. Herald's connections plan every execution with
 * its parameters and the table as it is (`plan_cache_mode`, packages/db/src/client.ts).
 */
let handle: Awaited<ReturnType<typeof testDatabase>>;
beforeAll(async () => {
  handle = await testDatabase();
});
afterAll(async () => {
  await handle?.close();
});

it('never runs a prepared statement on a cached generic plan', async () => {
  const connection = await handle.sql.reserve();
  try {
    await connection.unsafe('create table plan_probe (id text primary key, n integer not null)');
    await connection.unsafe(`insert into plan_probe select 'k' || g, 0 from generate_series(1, 1000) g`);
    // A primary-key lookup: after five custom plans, PostgreSQL's default caching switches it to a
    // generic plan, as cheap as the custom ones, and keeps it whatever the table becomes.
    await connection.unsafe('prepare probe(text) as select n from plan_probe where id = $1');
    for (let i = 1; i <= 10; i++) await connection.unsafe(`execute probe('k${i}')`);
    const [counts] = await connection.unsafe(
      `select generic_plans::int as generic, custom_plans::int as custom from pg_prepared_statements where name = 'probe'`,
    );
    expect(counts).toEqual({ generic: 0, custom: 10 });
  } finally {
    connection.release();
  }
});
