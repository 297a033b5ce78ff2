import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { setImmediate as nextLoopTurn } from 'node:timers/promises';
import { Agent, buildConnector } from 'undici';
import { createAddressVetter, REFUSED_ADDRESS, type Resolve } from './outbound';
import type { AddressPolicy } from './ssrf';

/** How much of a receiver's response is kept (and read at all). */
export const RESPONSE_LIMIT_BYTES = 1024;

export type SendFailure =
  | 'timeout'
  | 'connection'
  | 'refused_address'
  | 'redirect'
  | 'invalid_url'
  | 'http_status'
  /** The endpoint's secret cannot sign (it was stored before the API checked secrets as it does now). */
  | 'invalid_secret'
  /** A Kafka or queue endpoint whose settings cannot be used (no brokers, malformed settings). */
  | 'invalid_settings'
  /** Herald failed before the request went out (a bug or an outage of its own); retried. */
  | 'internal';

/**
 * Failures no retry can mend: the same request would be refused the same way.
 * The delivery ends at once (dead-lettered with the reason, replayable once
 * the endpoint is fixed) instead of spending its schedule.
 */
export const FINAL_FAILURES: ReadonlySet<SendFailure> = new Set(['refused_address', 'invalid_url', 'invalid_secret', 'invalid_settings']);

export interface SendRequest {
  url: string;
  /** Signature and endpoint headers. `user-agent`, `content-type` and framing headers are the sender's. */
  headers: Record<string, string>;
  /** Sent as is: the bytes that were signed. */
  body: string;
}

export interface SendResult {
  /** A 2xx answer, nothing else. */
  ok: boolean;
  /** Null when no response arrived. */
  statusCode: number | null;
  /** The first 1024 bytes of the response body (UTF-8), or why the attempt failed. */
  response: string;
  durationMs: number;
  /** From `Retry-After` (seconds or HTTP-date) on a 429 or 503; unbounded: clamping is the scheduler's call. */
  retryAfterMs?: number;
  failure?: SendFailure;
}

/**
 * Opens the socket to an address the guard has already approved: `hostname`
 * is that IP, `servername` the URL's host name (TLS SNI and certificate check).
 * The default is undici's own connector; tests substitute a loopback-only fake.
 */
export type Dial = buildConnector.connector;

export interface WebhookSenderOptions {
  /** Covers DNS, connect, TLS, response headers and the (first KiB of the) body. */
  timeoutMs: number;
  policy: AddressPolicy;
  userAgent: string;
  /** All addresses of a host name. Defaults to `dns.lookup(host, { all: true })`. */
  resolve?: Resolve;
  dial?: Dial;
}

export interface WebhookSender {
  /** Never throws: every failure is a {@link SendResult} with a reason. */
  send(request: SendRequest): Promise<SendResult>;
  /** Lets in-flight sends finish (each is bounded by the timeout), then closes every connection. */
  close(): Promise<void>;
}

/** Headers the sender owns: whatever the caller passes under these names is dropped. */
const SENDER_HEADERS = new Set([
  'host',
  'user-agent',
  'content-type',
  'content-length',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'expect',
]);

class SendTimeoutError extends Error {
  readonly code = 'HERALD_SEND_TIMEOUT';
}

/**
 * The outbound HTTP client of webhook delivery: one undici Agent (a keep-alive
 * pool per origin), no redirects, 2xx is success, at most 1 KiB of a response
 * read, and the SSRF guard applied where the socket is opened.
 *
 * Guard: the host name is resolved inside undici's `connect` hook, and the
 * connection refused when ANY resolved address is not allowed (rather than
 * picking the allowed ones: a name that mixes public and internal answers is
 * misconfigured or hostile, and refusing it makes the outcome independent of
 * resolver order). The socket then goes to one of those exact IPs, tried in
 * resolver order, so nothing resolves the name a second time (no
 * DNS-rebinding gap). IP-literal hosts are checked the same way. Pooled
 * connections were checked when they were opened.
 */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const { timeoutMs, policy, userAgent } = options;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new Error(`timeoutMs must be a positive number, got ${timeoutMs}`);
  const approvedAddresses = createAddressVetter(policy, { timeoutMs, ...(options.resolve ? { resolve: options.resolve } : {}) });
  const dial: Dial = options.dial ?? buildConnector({ timeout: timeoutMs });

  const guardedConnect: Dial = (target, callback) => {
    const hostname = target.hostname;
    // SNI and certificate identity stay the URL's name even though the socket goes to an IP.
    const servername = target.servername || (isIP(hostname) ? undefined : hostname);
    approvedAddresses(hostname).then(
      (addresses) => {
        const attempt = (index: number, lastError: Error | null) => {
          const address = addresses[index];
          if (address === undefined) {
            callback(lastError ?? new Error(`could not connect to ${hostname}`), null);
            return;
          }
          const onDialed: buildConnector.Callback = (...args) => {
            if (args[0]) attempt(index + 1, args[0]);
            else callback(null, args[1]);
          };
          try {
            dial({ ...target, hostname: address, ...(servername ? { servername } : {}) }, onDialed);
          } catch (error) {
            attempt(index + 1, error as Error);
          }
        };
        attempt(0, null);
      },
      (error: Error) => callback(error, null),
    );
  };

  const agent = new Agent({
    connect: guardedConnect,
    // Backstops for the per-send timer below.
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  // Redirects: undici 7 dispatchers never follow them (that is the redirect
  // interceptor's job, and none is composed here), so a 3xx reaches us as is.

  return {
    async send(request) {
      const started = performance.now();
      const done = (result: Omit<SendResult, 'durationMs'>): SendResult => ({
        ...result,
        durationMs: Math.round(performance.now() - started),
      });
      const fail = (failure: SendFailure, response: string, statusCode: number | null = null) =>
        done({ ok: false, statusCode, response, failure });

      let url: URL;
      try {
        url = new URL(request.url);
      } catch {
        return fail('invalid_url', `"${request.url.slice(0, 200)}" is not a valid URL`);
      }
      const urlProblem = policy.checkUrl(url);
      if (urlProblem) return fail('invalid_url', urlProblem);

      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        const lower = name.toLowerCase();
        if (!SENDER_HEADERS.has(lower)) headers[lower] = value;
      }
      headers['user-agent'] = userAgent;
      headers['content-type'] = 'application/json';

      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort(new SendTimeoutError(`timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      let statusCode: number | null = null;
      let retryAfterMs: number | undefined;
      const partial = { text: '' };
      try {
        const response = await agent.request({
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers,
          body: request.body,
          signal: controller.signal,
        });
        statusCode = response.statusCode;
        if (statusCode === 429 || statusCode === 503) retryAfterMs = parseRetryAfter(firstHeader(response.headers['retry-after']));
        const location = firstHeader(response.headers.location);
        const withRetry = (result: SendResult): SendResult => (retryAfterMs === undefined ? result : { ...result, retryAfterMs });
        try {
          const wholeBody = await readPrefix(response.body, RESPONSE_LIMIT_BYTES, partial);
          // undici hands a finished keep-alive socket back to the pool one loop turn
          // later (setImmediate); waiting for it lets the caller's next send reuse it
          // instead of opening a second connection.
          if (wholeBody) await nextLoopTurn();
        } catch (error) {
          // Headers arrived: a non-2xx status is the verdict whatever happened to its body.
          if (statusCode < 200 || statusCode >= 300) return withRetry(statusResult(statusCode, partial.text, location, url, fail));
          throw error;
        }
        if (statusCode >= 200 && statusCode < 300) return done({ ok: true, statusCode, response: partial.text });
        return withRetry(statusResult(statusCode, partial.text, location, url, fail));
      } catch (error) {
        if (timedOut) return fail('timeout', `timed out after ${timeoutMs} ms`, statusCode);
        const { failure, reason } = describeError(error);
        return fail(failure, failure === 'timeout' ? `timed out after ${timeoutMs} ms (${reason})` : reason, statusCode);
      } finally {
        clearTimeout(timer);
      }
    },

    async close() {
      await agent.close();
    },
  };
}

function statusResult(
  statusCode: number,
  body: string,
  location: string | undefined,
  url: URL,
  fail: (failure: SendFailure, response: string, statusCode: number | null) => SendResult,
): SendResult {
  if (statusCode >= 300 && statusCode < 400) {
    let target = 'an unspecified location';
    if (location !== undefined) {
      try {
        target = new URL(location, url).href;
      } catch {
        target = location;
      }
    }
    return fail('redirect', `redirect (${statusCode}) to ${target.slice(0, 512)}: redirects are not followed`, statusCode);
  }
  return fail('http_status', body, statusCode);
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Milliseconds to wait from `Retry-After`: delay-seconds or an HTTP-date
 * (a date in the past means now). Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only dates, never a bare number Date.parse would read as a year.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Reads at most `limit` bytes into `into.text` (never splitting a UTF-8
 * character), then destroys the body: undici aborts the response and closes
 * the connection, so a huge body costs one chunk. A body that ends within the
 * limit is read to its end (true) and the connection stays in the pool.
 */
async function readPrefix(body: Readable, limit: number, into: { text: string }): Promise<boolean> {
  body.on('error', () => {}); // errors surface through the iterator; this keeps a late one from going unhandled
  const decoder = new StringDecoder('utf8');
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const take = chunk.subarray(0, limit - size);
    size += take.length;
    into.text += decoder.write(take);
    if (size >= limit) return false; // leaving the loop destroys the stream
  }
  return true;
}

function describeError(error: unknown): { failure: SendFailure; reason: string } {
  const err = error as (Error & { code?: string; cause?: unknown }) | undefined;
  const code = err?.code ?? '';
  const message = err?.message ?? String(error);
  switch (code) {
    case REFUSED_ADDRESS:
      return { failure: 'refused_address', reason: message };
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { failure: 'timeout', reason: 'while connecting' };
    case 'UND_ERR_HEADERS_TIMEOUT':
      return { failure: 'timeout', reason: 'waiting for the response headers' };
    case 'UND_ERR_BODY_TIMEOUT':
      return { failure: 'timeout', reason: 'reading the response body' };
    case 'ECONNREFUSED':
      return { failure: 'connection', reason: 'connection refused' };
    case 'ECONNRESET':
      return { failure: 'connection', reason: 'connection reset by the receiver' };
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return { failure: 'connection', reason: 'connection closed by the receiver before the response was complete' };
    case 'ENETUNREACH':
      return { failure: 'connection', reason: 'network unreachable' };
    case 'EHOSTUNREACH':
      return { failure: 'connection', reason: 'host unreachable' };
    case 'ETIMEDOUT':
      return { failure: 'timeout', reason: 'while connecting' };
    case 'HERALD_DNS':
      return { failure: 'connection', reason: message };
  }
  if (/^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_)/.test(code) || /ssl|tls|certificate/i.test(message)) {
    return { failure: 'connection', reason: `TLS handshake failed: ${message}` };
  }
  if (code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_CHAR' || code === 'ERR_INVALID_HTTP_TOKEN') {
    return { failure: 'connection', reason: `request not sent: ${message}` };
  }
  return { failure: 'connection', reason: code ? `${message} (${code})` : message };
}
