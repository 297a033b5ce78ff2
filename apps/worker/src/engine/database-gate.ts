import { type Database, databaseErrorCode, UNAVAILABLE_CODES } from '@herald/db';
import { sql } from 'drizzle-orm';

/** While the database is away, it is asked again this often. */
const PROBE_INTERVAL_MS = 250;

export interface DatabaseGate {
  /** Told of every failed operation: one that failed because the database is away closes the gate until it answers again. */
  observe(error: unknown): void;
  /** True at once while the gate is open; otherwise once the database answers, or false when `deadline` (epoch ms) passes first. */
  open(deadline: number): Promise<boolean>;
  close(): void;
}

/**
 * A send whose outcome cannot be recorded is sent again when its lease runs
 * out: a duplicate for the receiver. So while PostgreSQL is away (a restart,
 * a failover), the claims waiting in endpoint lines wait here instead of being
 * sent, and go once it answers, while their leases still hold. Only sends
 * already in flight when it went away are sent twice.
 */
export function createDatabaseGate(db: Database): DatabaseGate {
  let reopened: Promise<void> | undefined;
  let closed = false;

  const probeUntilAnswered = async () => {
    while (!closed) {
      await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS).unref());
      try {
        await db.execute(sql`select 1`);
        return;
      } catch {
        // still away
      }
    }
  };

  return {
    observe(error) {
      if (closed || reopened || !databaseErrorCode(error, UNAVAILABLE_CODES)) return;
      reopened = probeUntilAnswered().finally(() => {
        reopened = undefined;
      });
    },
    async open(deadline) {
      const waiting = reopened;
      if (!waiting) return true;
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
        timer.unref();
      });
      try {
        return await Promise.race([waiting.then(() => !closed), expired]);
      } finally {
        clearTimeout(timer);
      }
    },
    close() {
      closed = true;
    },
  };
}
