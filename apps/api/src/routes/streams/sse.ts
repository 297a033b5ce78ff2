import type { ServerResponse } from 'node:http';

const encoder = new TextEncoder();

export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  // Reverse proxies (nginx) must not buffer the stream.
  'x-accel-buffering': 'no',
};

/** One SSE event, written as `id:`, `event:` and one `data:` line (JSON never holds a raw newline). */
export interface SseEvent {
  id: string;
  event: string;
  data: unknown;
}

export const formatEvent = (e: SseEvent) => `id: ${e.id}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;

export interface SseConnectionOptions {
  heartbeatMs: number;
  /** Bytes queued in the response body before the producer waits for the client. */
  highWaterMarkBytes: number;
  /** A client that takes no bytes for this long while some are waiting is cut off; it resumes by id. */
  stallTimeoutMs: number;
  /** After a graceful end, how long the last bytes may take to leave before the socket is destroyed. */
  closeGraceMs: number;
}

/**
 * The body of one Server-Sent Events response, with backpressure.
 *
 * The body is a byte-counted `ReadableStream`; the node adapter reads it only
 * as fast as the socket drains (it waits for `drain` after a refused write).
 * `send` enqueues, then waits while the queue is at its high-water mark; so
 * one stream holds at most about one high-water mark plus one batch of events,
 * plus what the kernel buffers, whatever the client does. The database is the
 * buffer: nothing is read from it until the client has taken the previous
 * batch. A client that leaves the queue full for `stallTimeoutMs` is cut off
 * (its socket destroyed) and resumes with `Last-Event-ID`.
 */
export class SseConnection {
  readonly body: ReadableStream<Uint8Array>;
  /** Aborted when the stream ends for any reason; producers stop on it. */
  readonly signal: AbortSignal;
  private readonly abort = new AbortController();
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private pulled: (() => void) | undefined;
  private fullSince: number | undefined;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly options: SseConnectionOptions,
    /** The node response, when served by @hono/node-server: lets a stalled client be cut off for real. */
    private readonly outgoing: ServerResponse | undefined,
  ) {
    this.signal = this.abort.signal;
    this.body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: () => {
          this.fullSince = undefined;
          this.pulled?.();
        },
        // The client went away (or the adapter gave up on the socket).
        cancel: () => this.stop(),
      },
      new ByteLengthQueuingStrategy({ highWaterMark: options.highWaterMarkBytes }),
    );
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs);
    this.heartbeat.unref();
    outgoing?.once('close', () => this.stop());
  }

  get closed(): boolean {
    return this.signal.aborted;
  }

  /**
   * Queues `text`, then waits until the client has taken enough to go below
   * the high-water mark. False when the stream is over (the caller stops).
   */
  async send(text: string): Promise<boolean> {
    if (this.closed) return false;
    this.controller.enqueue(encoder.encode(text));
    while (!this.closed && (this.controller.desiredSize ?? 0) <= 0) {
      this.fullSince ??= Date.now();
      const moved = await this.waitForPull(this.options.stallTimeoutMs - (Date.now() - this.fullSince));
      if (!moved && !this.closed) {
        this.cutOff();
        return false;
      }
    }
    return !this.closed;
  }

  /** Ends the response after what is queued (server shutdown); destroys the socket if that takes too long. */
  async end(): Promise<void> {
    if (this.closed) return;
    this.stop();
    try {
      this.controller.close();
    } catch {
      // already closed or errored by the reader
    }
    const out = this.outgoing;
    if (!out || out.writableFinished || out.destroyed) return;
    await new Promise<void>((resolve) => {
      const grace = setTimeout(() => out.destroy(), this.options.closeGraceMs);
      grace.unref();
      const done = () => {
        clearTimeout(grace);
        resolve();
      };
      out.once('finish', done);
      out.once('close', done);
    });
  }

  private beat() {
    if (this.closed) return;
    if ((this.controller.desiredSize ?? 0) > 0) {
      this.controller.enqueue(encoder.encode(': keep-alive\n\n'));
      return;
    }
    // Full while idle: the client stopped reading between batches.
    this.fullSince ??= Date.now();
    if (Date.now() - this.fullSince >= this.options.stallTimeoutMs) this.cutOff();
  }

  private waitForPull(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = (moved: boolean) => {
        clearTimeout(timer);
        this.signal.removeEventListener('abort', onAbort);
        this.pulled = undefined;
        resolve(moved);
      };
      const onAbort = () => finish(true);
      const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs));
      timer.unref();
      this.pulled = () => finish(true);
      this.signal.addEventListener('abort', onAbort);
    });
  }

  /** Too far behind: drop the connection (and what is queued for it). */
  private cutOff() {
    this.stop();
    if (this.outgoing) {
      this.outgoing.destroy();
    } else {
      try {
        this.controller.error(new Error('client too slow; resume with Last-Event-ID'));
      } catch {
        // already closed
      }
    }
  }

  private stop() {
    if (this.closed) return;
    clearInterval(this.heartbeat);
    this.abort.abort();
  }
}
