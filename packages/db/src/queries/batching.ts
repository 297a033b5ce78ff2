import { type SQL, sql } from 'drizzle-orm';
import type postgres from 'postgres';
import type { Database } from '../client';

/**
 * Runs one of the hot-path statements as a named prepared statement: parsed
 * once per connection instead of on every call (drizzle sends its queries
 * unnamed, so PostgreSQL parses each one anew), and planned on every call with
 * its parameters (`plan_cache_mode` in client.ts: a cached generic plan outlives
 * the table sizes it was built for). `text` is constant,
 * with `$n` placeholders; postgres.js keeps one prepared statement per text
 * and connection. Inside a transaction (no `$client`), it is an ordinary query.
 */
export async function runPrepared<T extends Record<string, unknown>>(db: Database, text: string, params: unknown[]): Promise<T[]> {
  const client = (db as { $client?: postgres.Sql }).$client;
  if (client) return (await client.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true })) as unknown as T[];
  const chunks: SQL[] = text.split(/(\$\d+)/).map((part) => {
    const placeholder = /^\$(\d+)$/.exec(part);
    return placeholder ? sql`${params[Number(placeholder[1]) - 1]}` : sql.raw(part);
  });
  return (await db.execute(sql.join(chunks))) as unknown as T[];
}

export interface MicroBatcher<I, O> {
  /** Settles once the statement carrying `item` has completed (committed, for a single statement). */
  add(item: I): Promise<O>;
}

/**
 * Collects what callers submit within one turn of the event loop and runs it
 * as one statement (`run` returns one output per input, in order). At most
 * `maxBatch` items go in one statement. A statement that fails changes
 * nothing, so its items are retried one at a time: one bad item fails only
 * its own caller.
 */
export function createMicroBatcher<I, O>(options: { maxBatch: number; run(batch: I[]): Promise<O[]> }): MicroBatcher<I, O> {
  type Pending = { item: I; resolve(output: O): void; reject(error: unknown): void };
  let pending: Pending[] = [];
  let scheduled = false;

  const runBatch = async (batch: Pending[]) => {
    const outputs = await options.run(batch.map((p) => p.item));
    batch.forEach((p, i) => {
      p.resolve(outputs[i] as O);
    });
  };

  const flush = () => {
    scheduled = false;
    const all = pending;
    pending = [];
    for (let start = 0; start < all.length; start += options.maxBatch) {
      const batch = all.slice(start, start + options.maxBatch);
      runBatch(batch).catch(async (error: unknown) => {
        if (batch.length === 1) {
          batch[0]!.reject(error);
          return;
        }
        for (const one of batch) await runBatch([one]).catch(one.reject);
      });
    }
  };

  return {
    add(item) {
      return new Promise<O>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}

/** One batcher per database handle (created on first use). */
export function perDatabase<T>(create: (db: Database) => T): (db: Database) => T {
  const instances = new WeakMap<Database, T>();
  return (db) => {
    let instance = instances.get(db);
    if (!instance) {
      instance = create(db);
      instances.set(db, instance);
    }
    return instance;
  };
}
