import { createParser, type EventSourceMessage } from 'eventsource-parser';

/**
 * A Server-Sent Events client on `fetch`, so it can send `Authorization`
 * (EventSource cannot). Framework-free: the React hook in `sse.ts` wraps it,
 * and `test/dashboard-sse.test.ts` runs it in node against a real server.
 *
 * What it does, by design:
 * - remembers the id of the last event dispatched and sends it as
 *   `Last-Event-ID` on every reconnect, so the server resumes without gap;
 * - with `monotonicIds`, drops an event whose numeric id is not above the last
 *   one (attempt seqs), so nothing is handed over twice across reconnects;
 * - reconnects after a network error, a stream end, an idle connection (no
 *   byte, not even a heartbeat, for `idleTimeoutMs`), a 5xx, 408 or 429, waiting
 *   `retry:` (or `minDelayMs`) doubled per failed try up to `maxDelayMs`, back to
 *   the base once a connection is accepted;
 * - stops for good on 401 (after `onUnauthorized`) and any other 4xx, keeping
 *   the API's `detail` for the UI.
 */

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'closed' | 'error';

export interface StreamError {
  /** HTTP status; 0 for a network or protocol failure. */
  status: number;
  code?: string | undefined;
  /** What to show the operator. */
  detail: string;
  requestId?: string | undefined;
}

export interface StreamStatus {
  state: StreamState;
  /** Why the stream is reconnecting (transient) or stopped (state `error`). */
  error: StreamError | null;
  /** When the next connection attempt starts (epoch ms), while reconnecting. */
  retryAt: number | null;
}

export interface EventStreamOptions {
  /** Absolute URL, or a path resolved against the page's origin. */
  url: string;
  onEvent(event: EventSourceMessage): void;
  onStatus?(status: StreamStatus): void;
  /** Headers sent with every connection (read each time, so a renewed credential is used). */
  headers?(): Record<string, string>;
  /** Called once when the server answers 401; the client then stops. */
  onUnauthorized?(detail: string): void;
  /** Resume point for the first connection. */
  lastEventId?: string | undefined;
  /** Ids are increasing integers: drop an event whose id is not above the last one seen. */
  monotonicIds?: boolean;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Reconnect when nothing at all (event or heartbeat) arrived for this long; 0 disables. */
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
}

export interface EventStreamHandle {
  /** Stops for good and aborts the request in flight. */
  close(): void;
  /** Skips the wait before the next attempt (e.g. the browser came back online). */
  reconnectNow(): void;
  readonly lastEventId: string | undefined;
  readonly status: StreamStatus;
}

const DEFAULTS = { minDelayMs: 500, maxDelayMs: 10_000, idleTimeoutMs: 45_000 };
/** Longest wait a `Retry-After` header may impose. */
const MAX_RETRY_AFTER_MS = 60_000;

type Outcome =
  | { kind: 'retry'; opened: boolean; error: StreamError; retryAfterMs?: number | undefined }
  | { kind: 'fatal'; error: StreamError }
  | { kind: 'closed' };

export function openEventStream(options: EventStreamOptions): EventStreamHandle {
  const client = new EventStreamClient(options);
  void client.run();
  return client;
}

class EventStreamClient implements EventStreamHandle {
  lastEventId: string | undefined;
  status: StreamStatus = { state: 'connecting', error: null, retryAt: null };
  private closed = false;
  private request: AbortController | undefined;
  private wake: (() => void) | undefined;
  private serverRetryMs: number | undefined;
  private readonly settings: typeof DEFAULTS;

  constructor(private readonly options: EventStreamOptions) {
    this.lastEventId = options.lastEventId;
    this.settings = {
      minDelayMs: options.minDelayMs ?? DEFAULTS.minDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULTS.maxDelayMs,
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
    };
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.request?.abort();
    this.wake?.();
    this.setStatus({ state: 'closed', error: null, retryAt: null });
  }

  reconnectNow() {
    this.wake?.();
  }

  async run() {
    let failures = 0;
    while (!this.closed) {
      const outcome = await this.connectOnce();
      if (this.closed || outcome.kind === 'closed') return;
      if (outcome.kind === 'fatal') {
        this.closed = true;
        this.setStatus({ state: 'error', error: outcome.error, retryAt: null });
        return;
      }
      if (outcome.opened) failures = 0;
      const delay = this.delay(failures, outcome.retryAfterMs);
      failures++;
      this.setStatus({ state: 'reconnecting', error: outcome.error, retryAt: Date.now() + delay });
      await this.sleep(delay);
    }
  }

  private delay(failures: number, retryAfterMs: number | undefined): number {
    const base = this.serverRetryMs ?? this.settings.minDelayMs;
    const ceiling = Math.max(this.settings.maxDelayMs, base);
    const backoff = Math.min(ceiling, base * 2 ** Math.min(failures, 20));
    // ±10 %, so dashboards cut off together by a restart do not come back in lockstep.
    const jittered = backoff * (0.9 + Math.random() * 0.2);
    return Math.round(Math.max(jittered, retryAfterMs ?? 0));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private setStatus(status: StreamStatus) {
    this.status = status;
    try {
      this.options.onStatus?.(status);
    } catch (error) {
      console.error('event stream status listener failed', error);
    }
  }

  private async connectOnce(): Promise<Outcome> {
    const request = new AbortController();
    this.request = request;
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      'cache-control': 'no-cache',
      ...this.options.headers?.(),
    };
    if (this.lastEventId !== undefined && this.lastEventId !== '') headers['last-event-id'] = this.lastEventId;

    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(this.options.url, { headers, signal: request.signal });
    } catch {
      if (this.closed) return { kind: 'closed' };
      return { kind: 'retry', opened: false, error: { status: 0, detail: 'Herald did not answer; retrying' } };
    }

    if (!response.ok) return await this.refused(response);
    const contentType = response.headers.get('content-type') ?? '';
    if (!contentType.includes('text/event-stream') || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      return {
        kind: 'fatal',
        error: { status: response.status, detail: `expected an event stream but got ${contentType || 'no content type'}` },
      };
    }

    this.setStatus({ state: 'live', error: null, retryAt: null });
    return await this.consume(response.body, request);
  }

  /** A non-2xx answer: 401 and other 4xx stop the client; 408, 429 and 5xx are retried. */
  private async refused(response: Response): Promise<Outcome> {
    const error = await readError(response);
    if (response.status === 401) {
      this.options.onUnauthorized?.(error.detail);
      return { kind: 'fatal', error };
    }
    if (response.status === 408 || response.status === 429 || response.status >= 500) {
      return { kind: 'retry', opened: false, error, retryAfterMs: retryAfter(response.headers.get('retry-after')) };
    }
    return { kind: 'fatal', error };
  }

  private async consume(body: ReadableStream<Uint8Array>, request: AbortController): Promise<Outcome> {
    const parser = createParser({
      onEvent: (event) => this.dispatch(event),
      onRetry: (ms) => {
        this.serverRetryMs = ms;
      },
    });
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let lastByteAt = Date.now();
    let idle = false;
    const idleTimeoutMs = this.settings.idleTimeoutMs;
    const watchdog =
      idleTimeoutMs > 0
        ? setInterval(
            () => {
              if (Date.now() - lastByteAt < idleTimeoutMs) return;
              idle = true;
              request.abort();
            },
            Math.min(idleTimeoutMs, 5000),
          )
        : undefined;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        lastByteAt = Date.now();
        parser.feed(decoder.decode(value, { stream: true }));
        if (this.closed) return { kind: 'closed' };
      }
    } catch {
      if (this.closed) return { kind: 'closed' };
      const detail = idle ? `no data for ${Math.round(idleTimeoutMs / 1000)} s; reconnecting` : 'connection lost; reconnecting';
      return { kind: 'retry', opened: true, error: { status: 0, detail } };
    } finally {
      clearInterval(watchdog);
      // An event cut in half is dropped; the server sends it again after Last-Event-ID.
      parser.reset();
      reader.cancel().catch(() => undefined);
    }
    if (this.closed) return { kind: 'closed' };
    return { kind: 'retry', opened: true, error: { status: 0, detail: 'the server ended the stream; reconnecting' } };
  }

  private dispatch(event: EventSourceMessage) {
    if (this.closed) return;
    if (event.id !== undefined) {
      if (this.options.monotonicIds && this.lastEventId !== undefined) {
        const next = Number(event.id);
        const last = Number(this.lastEventId);
        if (Number.isFinite(next) && Number.isFinite(last) && next <= last) return;
      }
      this.lastEventId = event.id;
    }
    try {
      this.options.onEvent(event);
    } catch (error) {
      // A bug in one consumer must not tear down the stream for the others.
      console.error('event stream listener failed', error);
    }
  }
}

async function readError(response: Response): Promise<StreamError> {
  const text = await response.text().catch(() => '');
  let body: { code?: unknown; detail?: unknown; requestId?: unknown } = {};
  try {
    const parsed: unknown = text ? JSON.parse(text) : {};
    if (parsed && typeof parsed === 'object') body = parsed;
  } catch {
    // not JSON (a proxy's error page): fall back to the status line
  }
  const detail =
    typeof body.detail === 'string' && body.detail
      ? body.detail
      : `${response.status} ${response.statusText || 'error'}${text && !text.trimStart().startsWith('<') ? `: ${text.slice(0, 200)}` : ''}`;
  return {
    status: response.status,
    code: typeof body.code === 'string' ? body.code : undefined,
    detail,
    requestId: typeof body.requestId === 'string' ? body.requestId : undefined,
  };
}

/** `Retry-After` in seconds or as an HTTP date, bounded. */
function retryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}
