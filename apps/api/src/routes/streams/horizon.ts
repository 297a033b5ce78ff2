import type { Logger } from '@herald/core';
import { attemptLogHead, attemptSeqsAfter, type Database, tableWriters } from '@herald/db';
import { messageCursorBefore } from './cursors';

export interface HorizonOptions {
  /** How often the horizon is recomputed while nothing new arrives. */
  pollMs: number;
  /** Sequence numbers read per scan when looking for holes. */
  scanBatch: number;
  /**
   * Safety valve: a hole whose possible writers are still running after this
   * long is treated as settled anyway (logged), so one idle-in-transaction
   * session cannot stall every stream forever.
   */
  holeTimeoutMs: number;
  /** Message stream only: how far behind the database clock its horizon stays. */
  messageSettleMs: number;
}

/**
 * A "safe horizon" over a table that concurrent transactions insert into: a
 * cursor value such that every row at or below it is either committed and
 * visible, or will never exist. Streams only ever emit rows at or below it,
 * which is what makes `Last-Event-ID` resumption gap-free: a row can never
 * commit below a cursor a client has already passed.
 *
 * One horizon per API process and table, shared by every open stream, polled
 * only while at least one stream uses it. Each process computes it on its own
 * from the database alone, and it only advances over settled rows, so several
 * API processes emit the same rows in the same order.
 */
abstract class Horizon<C extends number | string> {
  value: C | undefined;
  private users = 0;
  private running = false;
  private stopped = false;
  private failing = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(
    protected readonly db: Database,
    protected readonly options: HorizonOptions,
    protected readonly log: Logger,
  ) {}

  /** One recomputation; true when there is more to read right away. */
  protected abstract tick(): Promise<boolean>;
  /** Forget what was learnt while nobody was listening; the next tick starts afresh. */
  protected abstract reset(): void;

  /** Registers a user; polling runs while there is one. Returns the release function. */
  acquire(): () => void {
    if (this.stopped) return () => {};
    this.users++;
    if (this.users === 1 && !this.running) {
      this.reset();
      this.schedule(0);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.users--;
    };
  }

  /**
   * Resolves as soon as the value differs from `seen` (at once if it already
   * does), or on `signal`. A stopped horizon never moves again: only the signal
   * ends the wait then.
   */
  async waitBeyond(seen: C | undefined, signal: AbortSignal): Promise<void> {
    if ((this.value !== seen && !this.stopped) || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done);
    });
  }

  stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  protected advance(to: C) {
    if (this.value === undefined || to > this.value) {
      this.value = to;
      this.wake();
    }
  }

  private wake() {
    for (const waiter of [...this.waiters]) waiter();
  }

  private schedule(delayMs: number) {
    this.running = true;
    this.timer = setTimeout(() => void this.run(), delayMs);
    // Never keeps the process alive: open streams are ended by the server's close.
    this.timer.unref();
  }

  private async run() {
    this.timer = undefined;
    if (this.stopped || this.users === 0) {
      this.running = false;
      return;
    }
    let more = false;
    try {
      more = await this.tick();
      if (this.failing) this.log.info('stream horizon poll recovered');
      this.failing = false;
    } catch (error) {
      // Streams stay open (heartbeats go on) and resume where they were once the database answers again.
      if (!this.stopped && !this.failing) {
        this.log.warn('stream horizon poll failed; retrying', { error: error instanceof Error ? error.message : String(error) });
      }
      this.failing = true;
    }
    if (this.stopped || this.users === 0) {
      this.running = false;
      return;
    }
    this.schedule(more ? 0 : this.options.pollMs);
  }
}

interface PendingHoles {
  /** Every missing seq at or below this is held by one of `writers`, or never will be. */
  upTo: number;
  writers: string[];
  since: number;
}

/**
 * The attempt log's horizon: the highest `seq` below which no row can still
 * appear.
 *
 * `seq` is an identity: values are handed out at INSERT time but become
 * visible at COMMIT, so a reader may see 11 while 10 is still in flight (or
 * was rolled back and never appears). Emitting 11 and moving on would lose 10
 * for good, so the horizon stops below the first hole, and a hole is settled
 * in one of two ways:
 *
 * - it fills (its transaction commits): the next scan walks through it;
 * - every transaction that could hold it has ended, and a scan made after
 *   that still does not show it: it is permanent (rolled back, or a value
 *   burnt by a failed INSERT) and is skipped.
 *
 * "Could hold it": PostgreSQL takes the table's write lock while planning an
 * INSERT, before the identity value is drawn, and keeps it to the end of the
 * transaction. So when a scan (one snapshot) sees rows up to `M` with holes
 * below, the holes belong to transactions that were running at that snapshot
 * and therefore hold the lock when `pg_locks` is read right after: that set of
 * virtual transaction ids is recorded, and once none of them is left, a fresh
 * scan decides. No schema change, no trigger, and no clock is involved; in
 * the common case (no hole at the top of the log) a poll is one index-only
 * range scan of the primary key.
 */
export class AttemptHorizon extends Horizon<number> {
  private pending: PendingHoles | undefined;
  private starting: PendingHoles | undefined;

  protected reset() {
    this.value = undefined;
    this.pending = undefined;
    this.starting = undefined;
  }

  protected async tick(): Promise<boolean> {
    if (this.value === undefined) return await this.start();

    let drained = false;
    if (this.pending) drained = await this.writersGone(this.pending);
    // The scan's snapshot is taken after the drain check: a hole it still misses is permanent.
    const seqs = await attemptSeqsAfter(this.db, this.value, this.options.scanBatch);
    const skipUpTo = drained && this.pending ? this.pending.upTo : Number.NEGATIVE_INFINITY;

    let horizon = this.value;
    let hole = false;
    for (const seq of seqs) {
      if (seq - 1 > horizon && horizon < skipUpTo) horizon = Math.min(seq - 1, skipUpTo);
      if (seq !== horizon + 1) {
        hole = true;
        break;
      }
      horizon = seq;
    }
    if (!hole && horizon < skipUpTo) horizon = skipUpTo;

    if (!hole) {
      this.pending = undefined;
    } else if (!this.pending || drained) {
      const writers = await tableWriters(this.db, 'attempts');
      this.pending = { upTo: seqs.at(-1) ?? horizon, writers: writers.transactions, since: Date.now() };
    }
    this.advance(horizon);
    return !hole && seqs.length === this.options.scanBatch;
  }

  /**
   * Where a fresh horizon starts: the head of the log once every writer that
   * was running when the head was read has finished (holes below the head can
   * only belong to those).
   */
  private async start(): Promise<boolean> {
    if (!this.starting) {
      const head = await attemptLogHead(this.db);
      const writers = await tableWriters(this.db, 'attempts');
      this.starting = { upTo: head, writers: writers.transactions, since: Date.now() };
      if (writers.transactions.length > 0) return false;
    } else if (!(await this.writersGone(this.starting))) {
      return false;
    }
    this.advance(this.starting.upTo);
    this.starting = undefined;
    return true;
  }

  private async writersGone(pending: PendingHoles): Promise<boolean> {
    if (pending.writers.length === 0) return true;
    const now = new Set((await tableWriters(this.db, 'attempts')).transactions);
    if (!pending.writers.some((tx) => now.has(tx))) return true;
    if (Date.now() - pending.since < this.options.holeTimeoutMs) return false;
    this.log.warn('attempt stream: writers still running after the hole timeout; treating the hole as settled', {
      upTo: pending.upTo,
      writers: pending.writers.filter((tx) => now.has(tx)),
    });
    return true;
  }
}

interface PendingMessages {
  /** Database clock when `writers` was read. */
  at: number;
  writers: string[];
  since: number;
}

/**
 * The message table's horizon: the greatest message id below which no message
 * can still appear.
 *
 * Messages have no sequence; their ids are time-sortable (48 bits of the API
 * process's clock, then randomness), generated just before the INSERT. Two
 * things can put a message below ids already seen: a transaction that commits
 * late, and ids made in the same millisecond or by a process whose clock is a
 * little behind. So the horizon trails the clock by `messageSettleMs` and, in
 * addition, waits for every transaction that held the write lock on
 * `messages` when that clock was read: when those have finished, any message
 * still to come was locked later, so its id was made no earlier than
 * `messageSettleMs` before that reading, which assumes API clocks within that
 * margin of the database's and an id made less than that long before its
 * INSERT reaches the database.
 */
export class MessageHorizon extends Horizon<string> {
  private pending: PendingMessages | undefined;

  protected reset() {
    this.pending = undefined;
  }

  protected async tick(): Promise<boolean> {
    const writers = await tableWriters(this.db, 'messages');
    if (this.pending) {
      const now = new Set(writers.transactions);
      let drained = !this.pending.writers.some((tx) => now.has(tx));
      if (!drained && Date.now() - this.pending.since >= this.options.holeTimeoutMs) {
        this.log.warn('message stream: writers still running after the hole timeout; moving on');
        drained = true;
      }
      if (!drained) return false;
      this.advance(messageCursorBefore(this.pending.at - this.options.messageSettleMs));
      this.pending = undefined;
    }
    if (writers.transactions.length === 0) {
      this.advance(messageCursorBefore(writers.at - this.options.messageSettleMs));
    } else {
      this.pending = { at: writers.at, writers: writers.transactions, since: Date.now() };
    }
    return false;
  }
}
