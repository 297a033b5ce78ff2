import type { ServerResponse } from 'node:http';
import { HeraldError, type Logger } from '@herald/core';
import type { Database } from '@herald/db';
import type { Context } from 'hono';
import type { ApiEnv } from '../../context';
import { watchCredential } from './credential-watch';
import { AttemptHorizon, type HorizonOptions, MessageHorizon } from './horizon';
import { formatEvent, SseConnection, type SseConnectionOptions, type SseEvent } from './sse';

export interface StreamOptions extends HorizonOptions, SseConnectionOptions {
  /** Attempt rows read per query. */
  batchSize: number;
  /** Messages read per query (payloads can be large, so fewer). */
  messageBatchSize: number;
  /** The `retry:` hint sent at the start of every stream (how long EventSource waits before reconnecting). */
  retryMs: number;
}

export const DEFAULT_STREAM_OPTIONS: StreamOptions = {
  heartbeatMs: 15_000,
  pollMs: 200,
  batchSize: 500,
  messageBatchSize: 100,
  scanBatch: 5000,
  highWaterMarkBytes: 64 * 1024,
  stallTimeoutMs: 30_000,
  holeTimeoutMs: 60_000,
  messageSettleMs: 1000,
  closeGraceMs: 1000,
  retryMs: 1000,
};

/** Coalesces events into chunks of about this many bytes before handing them to the connection. */
const CHUNK_BYTES = 16 * 1024;

/** The open streams of one API process and the horizons they share. */
export class StreamHub {
  readonly options: StreamOptions;
  readonly attempts: AttemptHorizon;
  readonly messages: MessageHorizon;
  private readonly open = new Set<SseConnection>();
  private closing = false;

  constructor(
    readonly db: Database,
    options: Partial<StreamOptions> | undefined,
    readonly log: Logger,
  ) {
    this.options = { ...DEFAULT_STREAM_OPTIONS, ...options };
    this.attempts = new AttemptHorizon(db, this.options, log);
    this.messages = new MessageHorizon(db, this.options, log);
  }

  /** A new SSE body for this request, ended when its credential stops being good; refused once the server is closing. */
  connect(c: Context<ApiEnv>): SseConnection {
    if (this.closing) throw new HeraldError('service_unavailable', 'the server is shutting down; reconnect shortly');
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    const connection = new SseConnection(this.options, outgoing);
    this.open.add(connection);
    connection.signal.addEventListener('abort', () => this.open.delete(connection), { once: true });
    watchCredential(c, connection.signal, () => void connection.end());
    void connection.send(`retry: ${this.options.retryMs}\n\n`);
    return connection;
  }

  /** Ends every open stream (their clients resume by id elsewhere) and stops polling. */
  async close(): Promise<void> {
    this.closing = true;
    this.attempts.stop();
    this.messages.stop();
    await Promise.all([...this.open].map((connection) => connection.end()));
  }
}

interface Tail<C extends number | string> {
  horizon: { value: C | undefined; acquire(): () => void; waitBeyond(seen: C | undefined, signal: AbortSignal): Promise<void> };
  /** Rows with `after < cursor <= upTo`, in order: their events, the last row's cursor, and whether the batch was full. */
  read(after: C, upTo: C): Promise<{ events: SseEvent[]; last: C | undefined; full: boolean }>;
}

/**
 * Feeds one connection from `start` on: reads what lies between its cursor and
 * the shared horizon, writes it with backpressure, then waits for the horizon
 * to move. Ends the stream (the client resumes by id) if a read fails.
 */
export async function pump<C extends number | string>(hub: StreamHub, connection: SseConnection, tail: Tail<C>, start: C) {
  const release = tail.horizon.acquire();
  let cursor = start;
  try {
    while (!connection.closed) {
      const upTo = tail.horizon.value;
      if (upTo !== undefined && upTo > cursor) {
        const batch = await tail.read(cursor, upTo);
        let chunk = '';
        for (const event of batch.events) {
          chunk += formatEvent(event);
          if (chunk.length >= CHUNK_BYTES) {
            if (!(await connection.send(chunk))) return;
            chunk = '';
          }
        }
        if (chunk && !(await connection.send(chunk))) return;
        cursor = batch.full && batch.last !== undefined ? batch.last : upTo;
        continue;
      }
      await tail.horizon.waitBeyond(upTo, connection.signal);
    }
  } catch (error) {
    hub.log.warn('stream ended by an error; the client resumes by id', {
      error: error instanceof Error ? error.message : String(error),
    });
    await connection.end();
  } finally {
    release();
  }
}
