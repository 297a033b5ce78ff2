import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { buildConnector } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createAddressPolicy,
  createWebhookSender,
  type Dial,
  parseRetryAfter,
  type Resolve,
  type SendResult,
  signatureHeaders,
  type WebhookSender,
} from '../src';

// Every receiver here is a real node:http server on 127.0.0.1, started and stopped by the test.

interface Receiver {
  url: string;
  port: number;
  /** TCP connections the server accepted. */
  connections: number;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  close(): Promise<void>;
}

async function startReceiver(handler: (req: IncomingMessage, res: ServerResponse, body: string) => unknown): Promise<Receiver> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      receiver.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      void handler(req, res, body);
    });
  });
  server.on('connection', () => {
    receiver.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}`,
    port,
    connections: 0,
    requests: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}

/**
 * FAKE dial, for tests only. This machine's network forbids traffic to any
 * non-loopback address, so a test must never open a socket anywhere else,
 * even if the SSRF guard under test were broken. This stands in for the
 * sender's real connector: it records every target, throws before any socket
 * exists for anything outside 127.0.0.0/8, and only then hands loopback
 * targets to undici's real connector.
 */
function fakeLoopbackOnlyDial(log: { hostname: string; servername: string | undefined }[]): Dial {
  const real = buildConnector({ timeout: 5_000 });
  return (options, callback) => {
    log.push({ hostname: options.hostname, servername: options.servername });
    if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(options.hostname)) {
      throw new Error(`fake dial: refusing to open a socket to non-loopback ${options.hostname}`);
    }
    real(options, callback);
  };
}

/** FAKE resolver: fixed answers for `.test` names, so no test ever asks a real DNS server. */
const fakeResolve: Resolve = async (hostname) => {
  const answers: Record<string, string[]> = {
    'receiver.test': ['127.0.0.1'],
    'fallback.test': ['127.0.0.2', '127.0.0.1'],
    'metadata.test': ['169.254.169.254'],
    'private.test': ['10.0.0.1'],
    'mixed.test': ['127.0.0.1', '10.0.0.1'],
    'ula.test': ['fd00::1'],
    'empty.test': [],
  };
  const found = answers[hostname];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const LOOPBACK = ['127.0.0.0/8'];
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('createWebhookSender', () => {
  const dialed: { hostname: string; servername: string | undefined }[] = [];
  const receivers: Receiver[] = [];
  let sender: WebhookSender;

  const receiver = async (handler: Parameters<typeof startReceiver>[0]) => {
    const started = await startReceiver(handler);
    receivers.push(started);
    return started;
  };
  const newSender = (options: { allowlist?: string[]; timeoutMs?: number; httpsOnly?: boolean } = {}) =>
    createWebhookSender({
      timeoutMs: options.timeoutMs ?? 5_000,
      policy: createAddressPolicy({ allowlist: options.allowlist ?? LOOPBACK, httpsOnly: options.httpsOnly ?? false }),
      userAgent: 'Herald-Webhooks/test',
      resolve: fakeResolve,
      dial: fakeLoopbackOnlyDial(dialed),
    });
  const send = (url: string, s: WebhookSender = sender) => s.send({ url, headers: {}, body: '{"hello":"world"}' });

  beforeAll(() => {
    sender = newSender();
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
    // Whatever a test did, nothing outside loopback was ever dialled.
    const targets = dialed.splice(0).map((d) => d.hostname);
    for (const hostname of targets) expect(hostname).toMatch(/^127\./);
  });
  afterAll(async () => {
    await sender?.close();
  });

  it('delivers: 2xx is ok, the body and headers arrive as given, the response is captured', async () => {
    const r = await receiver((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks'));
    const body = '{"type":"invoice.paid","data":{"amount":42,"note":"été"}}';
    const signed = signatureHeaders({ messageId: 'msg_1', timestamp: new Date(), body, secrets: [SECRET] });
    const result = await sender.send({
      url: `${r.url}/hooks/in?tenant=1#ignored`,
      headers: { ...signed, 'X-Custom': 'yes', Host: 'evil.example', 'Content-Type': 'text/plain', 'content-length': '1' },
      body,
    });
    expect(result).toMatchObject({ ok: true, statusCode: 200, response: 'thanks' });
    expect(result.failure).toBeUndefined();
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.requests).toHaveLength(1);
    const [received] = r.requests;
    expect(received).toMatchObject({ method: 'POST', url: '/hooks/in?tenant=1', body });
    expect(received!.headers).toMatchObject({
      'user-agent': 'Herald-Webhooks/test',
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      host: `127.0.0.1:${r.port}`,
      'x-custom': 'yes',
      'webhook-id': 'msg_1',
    });
    // What arrived verifies, so the body bytes signed are the bytes sent.
    expect(() => new Webhook(SECRET).verify(received!.body, received!.headers as Record<string, string>)).not.toThrow();
  });

  it('treats every non-2xx as a failure', async () => {
    const r = await receiver((req, res) => res.writeHead(Number(req.url!.slice(1))).end(`status ${req.url!.slice(1)}`));
    expect(await send(`${r.url}/204`)).toMatchObject({ ok: true, statusCode: 204, response: '' });
    expect(await send(`${r.url}/400`)).toMatchObject({ ok: false, statusCode: 400, failure: 'http_status', response: 'status 400' });
    expect(await send(`${r.url}/410`)).toMatchObject({ ok: false, statusCode: 410, failure: 'http_status' });
    expect(await send(`${r.url}/500`)).toMatchObject({ ok: false, statusCode: 500, failure: 'http_status', response: 'status 500' });
  });

  it('keeps at most 1 KiB of the response, never splitting a UTF-8 character', async () => {
    const r = await receiver((req, res) => res.end(req.url === '/ascii' ? 'a'.repeat(5000) : '€'.repeat(2000)));
    const ascii = await send(`${r.url}/ascii`);
    expect(ascii).toMatchObject({ ok: true, statusCode: 200 });
    expect(ascii.response).toBe('a'.repeat(1024));
    const euros = await send(`${r.url}/euros`);
    expect(euros.response).toBe('€'.repeat(341)); // 1023 bytes: the 342nd character would cross 1024
  });

  it('gives up on a 10 MB error body after the first KiB and closes the connection', async () => {
    const total = 10 * 1024 * 1024;
    let markClosed!: () => void;
    const server = { written: 0, finished: false, closed: new Promise<void>((resolve) => (markClosed = resolve)) };
    const r = await receiver(async (_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain', 'content-length': String(total) });
      res.on('close', () => {
        server.finished = res.writableFinished;
        markClosed();
      });
      const chunk = Buffer.alloc(64 * 1024, 'e');
      while (server.written < total && !res.destroyed) {
        server.written += chunk.length;
        if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
      }
      if (!res.destroyed) res.end();
    });
    const started = performance.now();
    const result = await send(`${r.url}/big`);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(result).toMatchObject({ ok: false, statusCode: 500, failure: 'http_status' });
    expect(result.response).toBe('e'.repeat(1024));
    await server.closed;
    // The socket was closed under the server while it was still writing: the rest was never read.
    expect(server.finished).toBe(false);
    expect(server.written).toBeLessThan(total);
  });

  it('times out a receiver that never answers', async () => {
    const r = await receiver(() => {}); // reads the request, never responds
    const quick = newSender({ timeoutMs: 300 });
    try {
      const started = performance.now();
      const result = await send(`${r.url}/slow`, quick);
      const elapsed = performance.now() - started;
      expect(result).toMatchObject({ ok: false, statusCode: null, failure: 'timeout', response: 'timed out after 300 ms' });
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(2_000);
      expect(r.requests).toHaveLength(1);
    } finally {
      await quick.close();
    }
  });

  it('times out a body that stalls after 2xx headers, keeping the status', async () => {
    const r = await receiver((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    });
    const quick = newSender({ timeoutMs: 300 });
    try {
      expect(await send(`${r.url}/stall`, quick)).toMatchObject({ ok: false, statusCode: 200, failure: 'timeout' });
    } finally {
      await quick.close();
    }
  });

  it('reports a connection the receiver resets', async () => {
    const r = await receiver((req) => req.socket.destroy());
    const result = await send(`${r.url}/reset`);
    expect(result).toMatchObject({ ok: false, statusCode: null, failure: 'connection' });
    expect(result.response).toMatch(/connection (reset|closed) by the receiver/);
  });

  it('reports a refused connection', async () => {
    const r = await receiver(() => {});
    const { port } = r;
    await r.close(); // nothing listens on this port any more
    const result = await send(`http://127.0.0.1:${port}/`);
    expect(result).toMatchObject({ ok: false, statusCode: null, failure: 'connection', response: 'connection refused' });
  });

  it('does not follow a redirect, and says where it pointed', async () => {
    const r = await receiver((req, res) => {
      if (req.url === '/from') res.writeHead(302, { location: '/target' }).end('moved');
      else res.end('should never be reached');
    });
    const result = await send(`${r.url}/from`);
    expect(result).toMatchObject({ ok: false, statusCode: 302, failure: 'redirect' });
    expect(result.response).toBe(`redirect (302) to ${r.url}/target: redirects are not followed`);
    expect(r.requests.map((q) => q.url)).toEqual(['/from']);
  });

  it('reads Retry-After on 429 and 503 (seconds or HTTP-date), and only there', async () => {
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    const r = await receiver((req, res) => {
      if (req.url === '/429') res.writeHead(429, { 'retry-after': '7' }).end('slow down');
      else if (req.url === '/503') res.writeHead(503, { 'retry-after': inTwoMinutes }).end();
      else res.writeHead(500, { 'retry-after': '7' }).end();
    });
    const limited = await send(`${r.url}/429`);
    expect(limited).toMatchObject({ ok: false, statusCode: 429, failure: 'http_status', response: 'slow down', retryAfterMs: 7_000 });
    const unavailable = await send(`${r.url}/503`);
    expect(unavailable.retryAfterMs).toBeGreaterThan(100_000);
    expect(unavailable.retryAfterMs).toBeLessThanOrEqual(120_000);
    const failed = await send(`${r.url}/500`);
    expect(failed).toMatchObject({ statusCode: 500 });
    expect(failed).not.toHaveProperty('retryAfterMs');
  });

  it('reuses one keep-alive connection for consecutive sends to an origin', async () => {
    const r = await receiver((_req, res) => res.end('ok'));
    const own = newSender();
    try {
      for (let i = 0; i < 3; i++) expect(await send(`${r.url}/ka/${i}`, own)).toMatchObject({ ok: true });
      expect(r.requests).toHaveLength(3);
      expect(r.connections).toBe(1);
    } finally {
      await own.close();
    }
  });

  it('refuses loopback when it is not allowlisted, before any connection', async () => {
    const r = await receiver((_req, res) => res.end('must not be reached'));
    const guarded = newSender({ allowlist: [] });
    try {
      for (const url of [`${r.url}/`, `http://receiver.test:${r.port}/`, `http://[::ffff:7f00:1]:${r.port}/`]) {
        const result = await send(url, guarded);
        expect(result).toMatchObject({ ok: false, statusCode: null, failure: 'refused_address' });
        expect(result.response).toMatch(/address (127\.0\.0\.1|::ffff:7f00:1) is in the loopback range/);
      }
      expect(r.connections).toBe(0);
      expect(dialed).toEqual([]);
    } finally {
      await guarded.close();
    }
  });

  it.each([
    ['metadata.test', 'metadata.test resolves to 169.254.169.254: address 169.254.169.254 is a cloud metadata service address'],
    ['private.test', 'private.test resolves to 10.0.0.1: address 10.0.0.1 is in a private range'],
    ['mixed.test', 'mixed.test resolves to 10.0.0.1: address 10.0.0.1 is in a private range'],
    ['ula.test', 'ula.test resolves to fd00::1: address fd00::1 is in the unique local range (fc00::/7)'],
    ['10.0.0.1', 'address 10.0.0.1 is in a private range'],
    ['[::ffff:10.0.0.1]', 'address ::ffff:a00:1 is in a private range'],
    ['[fd00:ec2::254]', 'address fd00:ec2::254 is a cloud metadata service address'],
    ['169.254.169.254', 'address 169.254.169.254 is a cloud metadata service address'],
    ['0.0.0.0', 'address 0.0.0.0 is the unspecified address'],
  ])('refuses %s at connect time without dialling anything', async (host, reason) => {
    const result = await send(`http://${host}:9/hook`);
    expect(result).toMatchObject({
      ok: false,
      statusCode: null,
      failure: 'refused_address',
      response: `refused by the outbound policy: ${reason}`,
    });
    expect(dialed).toEqual([]);
  });

  it('connects to the exact address it checked, with the URL host as TLS server name', async () => {
    const r = await receiver((_req, res) => res.end('via name'));
    expect(await send(`http://receiver.test:${r.port}/`)).toMatchObject({ ok: true, response: 'via name' });
    expect(r.requests[0]!.headers.host).toBe(`receiver.test:${r.port}`);
    expect(dialed).toEqual([{ hostname: '127.0.0.1', servername: 'receiver.test' }]);
    dialed.length = 0;
    // The receiver speaks plain HTTP, so the handshake fails: what matters is where it was attempted and with which SNI.
    const tls = await send(`https://receiver.test:${r.port}/`);
    expect(tls).toMatchObject({ ok: false, failure: 'connection' });
    expect(tls.response).toMatch(/^TLS handshake failed/);
    expect(dialed).toEqual([{ hostname: '127.0.0.1', servername: 'receiver.test' }]);
  });

  it('tries the next checked address when one refuses the connection', async () => {
    const r = await receiver((_req, res) => res.end('second address'));
    expect(await send(`http://fallback.test:${r.port}/`)).toMatchObject({ ok: true, response: 'second address' });
    expect(dialed.map((d) => d.hostname)).toEqual(['127.0.0.2', '127.0.0.1']);
  });

  it('turns DNS failures and bad URLs into results, never exceptions', async () => {
    expect(await send('http://nowhere.test/')).toMatchObject({
      ok: false,
      statusCode: null,
      failure: 'connection',
      response: 'DNS lookup of nowhere.test failed (ENOTFOUND)',
    });
    expect(await send('http://empty.test/')).toMatchObject({
      failure: 'connection',
      response: 'DNS lookup of empty.test returned no addresses',
    });
    const cases: [string, RegExp][] = [
      ['not a url', /is not a valid URL/],
      ['ftp://127.0.0.1/file', /scheme "ftp" is not allowed/],
      ['http://user:secret@127.0.0.1/', /credentials/],
    ];
    for (const [url, reason] of cases) {
      const result: SendResult = await send(url);
      expect(result).toMatchObject({ ok: false, statusCode: null, failure: 'invalid_url' });
      expect(result.response).toMatch(reason);
    }
    const httpsOnly = newSender({ httpsOnly: true });
    try {
      expect(await send('http://127.0.0.1:9/', httpsOnly)).toMatchObject({
        failure: 'invalid_url',
        response: 'only https URLs are allowed',
      });
    } finally {
      await httpsOnly.close();
    }
    expect(dialed).toEqual([]);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  it.each([
    ['7', 7_000],
    [' 120 ', 120_000],
    ['0', 0],
    ['Tue, 01 Jan 2030 00:00:30 GMT', 30_000],
    ['Mon, 31 Dec 2029 23:00:00 GMT', 0], // in the past: now
    ['soon', undefined],
    ['-5', undefined],
    ['1.5', undefined],
    ['2031', 2_031_000], // delay-seconds, however large: bounds are the scheduler's call
    ['2031-01-01', undefined], // not an HTTP-date
    ['', undefined],
    [undefined, undefined],
  ])('%s → %s', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});
