import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * The ordinary mix of subscribers a webhook platform serves, as real HTTP
 * servers on loopback: healthy ones next to receivers that fail some of the
 * time, rate-limit, answer slowly, fail for good or never answer. Shared by
 * the receiver-mix test (which asserts on the report) and the benchmark
 * (which prints it), so both measure the same world.
 */
export type ReceiverKind = 'healthy' | 'flaky' | 'first-try' | 'slow' | 'rate-limited' | 'always-500' | 'hang';

/** Application A (one tenant) and application B (another tenant), as in issue 11. */
export const MIX: Record<'a' | 'b', { label: string; kind: ReceiverKind }[]> = {
  a: [
    { label: 'a.healthy-1', kind: 'healthy' },
    { label: 'a.healthy-2', kind: 'healthy' },
    { label: 'a.flaky', kind: 'flaky' },
    { label: 'a.first-try', kind: 'first-try' },
    { label: 'a.slow', kind: 'slow' },
    { label: 'a.rate-limited', kind: 'rate-limited' },
  ],
  b: [
    { label: 'b.healthy', kind: 'healthy' },
    { label: 'b.always-500', kind: 'always-500' },
    { label: 'b.hang', kind: 'hang' },
  ],
};

export const SLOW_MS = 1500;
export const RETRY_AFTER_S = 2;

export interface Arrival {
  webhookId: string;
  /** The publisher's sequence number, from the payload. */
  n: number;
  at: number;
  /** What the receiver answered: a status, or 0 for a request it never answered. */
  status: number;
  /** When the answer went out (for a slow receiver, SLOW_MS after `at`). */
  answeredAt: number;
}

export interface MixReceiver {
  label: string;
  kind: ReceiverKind;
  url: string;
  arrivals: Arrival[];
  close(): Promise<void>;
}

async function startMixReceiver(label: string, kind: ReceiverKind): Promise<MixReceiver> {
  const arrivals: Arrival[] = [];
  const tries = new Map<string, number>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = Date.now();
      const webhookId = String(req.headers['webhook-id'] ?? '');
      const attempt = (tries.get(webhookId) ?? 0) + 1;
      tries.set(webhookId, attempt);
      let n = -1;
      try {
        n = Number((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { n?: unknown }).n ?? -1);
      } catch {
        // not ours: recorded with n = -1
      }
      const arrival: Arrival = { webhookId, n, at, status: 0, answeredAt: 0 };
      arrivals.push(arrival);
      const answer = (status: number, headers: Record<string, string> = {}) => {
        arrival.status = status;
        arrival.answeredAt = Date.now();
        res.writeHead(status, { 'content-type': 'text/plain', ...headers });
        res.end(status < 300 ? 'ok' : 'no');
      };
      switch (kind) {
        case 'healthy':
          return answer(200);
        case 'flaky':
          // The first try of one message in ten fails.
          return answer(attempt === 1 && n % 10 === 0 ? 500 : 200);
        case 'first-try':
          return answer(attempt === 1 ? 500 : 200);
        case 'slow': {
          const timer = setTimeout(() => {
            timers.delete(timer);
            answer(200);
          }, SLOW_MS);
          timers.add(timer);
          return;
        }
        case 'rate-limited':
          return attempt === 1 ? answer(429, { 'retry-after': String(RETRY_AFTER_S) }) : answer(200);
        case 'always-500':
          return answer(500);
        case 'hang':
          return; // held open until the sender gives up
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    label,
    kind,
    url: `http://127.0.0.1:${port}/${label}`,
    arrivals,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Tenant A (the root key's organization) and tenant B (a new organization with
 * its own key), an application each, and one endpoint per receiver of the mix.
 */
export async function provisionMix(url: string, rootToken: string, receivers: Record<string, MixReceiver>) {
  const post = async <T>(path: string, token: string, json: unknown): Promise<T> => {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(json),
    });
    const body = (await response.json()) as T;
    if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${JSON.stringify(body)}`);
    return body;
  };
  const org = await post<{ id: string }>('/api/v1/organization', rootToken, { name: 'Tenant B' });
  const key = await post<{ token: string }>('/api/v1/api-key', rootToken, { name: 'tenant b', scope: 'org', orgId: org.id });
  const tokens = { a: rootToken, b: key.token };
  const apps = {} as Record<'a' | 'b', { token: string; appId: string }>;
  for (const app of ['a', 'b'] as const) {
    const created = await post<{ id: string }>('/api/v1/app', tokens[app], { name: `mix ${app}` });
    apps[app] = { token: tokens[app], appId: created.id };
    for (const { label } of MIX[app]) {
      await post(`/api/v1/app/${created.id}/endpoint`, tokens[app], { url: receivers[label]!.url, description: label });
    }
  }
  return apps;
}

/** Waits until every receiver that can succeed has answered 2xx for `perApp` messages (or `timeoutMs` passed), then a little longer for a late duplicate to show. */
export async function waitForMix(receivers: Record<string, MixReceiver>, perApp: number, timeoutMs: number): Promise<void> {
  const bounded = Object.values(receivers).filter((r) => !['always-500', 'hang'].includes(r.kind));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const done = bounded.every(
      (r) => new Set(r.arrivals.filter((x) => x.status === 200 && x.n >= 0).map((x) => x.webhookId)).size >= perApp,
    );
    if (done) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await new Promise((resolve) => setTimeout(resolve, 1500));
}

/** One server (one origin, like real subscribers) per receiver of the mix. */
export async function startMixReceivers(): Promise<Record<string, MixReceiver>> {
  const all = await Promise.all([...MIX.a, ...MIX.b].map(({ label, kind }) => startMixReceiver(label, kind)));
  return Object.fromEntries(all.map((r) => [r.label, r]));
}

export interface Published {
  id: string;
  app: 'a' | 'b';
  n: number;
  /** When the publish request was sent. */
  at: number;
}

/**
 * Publishes `ratePerApp` messages a second to each application for `seconds`,
 * open loop (each request at its scheduled time, whatever the earlier ones are
 * doing). Returns the messages answered 202; throws on any other answer.
 */
export async function publishMix(options: {
  url: string;
  apps: Record<'a' | 'b', { token: string; appId: string }>;
  ratePerApp: number;
  seconds: number;
  /** Warm-up traffic: numbered below zero, so no report counts it. */
  warmup?: boolean;
}): Promise<Published[]> {
  const published: Published[] = [];
  const total = Math.round(options.ratePerApp * options.seconds);
  const started = Date.now() + 20;
  const sends: Promise<void>[] = [];
  const send = async (app: 'a' | 'b', n: number) => {
    const at = Date.now();
    const response = await fetch(`${options.url}/api/v1/app/${options.apps[app].appId}/msg`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.apps[app].token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ eventType: 'mix.event', payload: { n } }),
    });
    const body = (await response.json()) as { id?: string };
    if (response.status !== 202 || !body.id) throw new Error(`publish ${app}#${n}: ${response.status} ${JSON.stringify(body)}`);
    published.push({ id: body.id, app, n, at });
  };
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / options.ratePerApp;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const n = options.warmup ? -2 - i : i;
    sends.push(send('a', n), send('b', n));
  }
  await Promise.all(sends);
  return published;
}

export interface ReceiverFigures {
  label: string;
  kind: ReceiverKind;
  requests: number;
  /** Messages answered 2xx at least once. */
  delivered: number;
  expected: number;
  /** Messages answered 2xx more than once (a duplicate success). */
  duplicated: number;
  /** Publish → first 2xx answer, ms. */
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Messages delivered later than their retry schedule allows (plus 2 s), or not at all; undefined for kinds without such a bound. */
  late?: number;
  /** Rate-limited only: the shortest wait between a 429 and the next request for that message. */
  minRetryAfterGapMs?: number | null;
}

export interface MixReport {
  receivers: Record<string, ReceiverFigures>;
  /** p99 over every healthy receiver of both applications. */
  healthyP99Ms: number | null;
  healthyP50Ms: number | null;
}

export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * What each receiver saw of the published messages. The delivery bound of a
 * message that needs one retry is the first retry delay (with its +20 %
 * jitter) or the receiver's Retry-After, plus 2 s (issue 11's criterion).
 */
export function mixReport(receivers: Record<string, MixReceiver>, published: Published[], retryScheduleS: number[]): MixReport {
  const firstRetryMs = (retryScheduleS[0] ?? 0) * 1000 * 1.2;
  const boundMs = (kind: ReceiverKind, n: number): number | undefined => {
    switch (kind) {
      case 'flaky':
        return n % 10 === 0 ? firstRetryMs + 2000 : 2000;
      case 'first-try':
        return firstRetryMs + 2000;
      case 'slow':
        return SLOW_MS + 2000;
      case 'rate-limited':
        return RETRY_AFTER_S * 1000 + 2000;
      default:
        return undefined;
    }
  };
  const report: MixReport = { receivers: {}, healthyP99Ms: null, healthyP50Ms: null };
  const healthy: number[] = [];
  for (const receiver of Object.values(receivers)) {
    const app = receiver.label.startsWith('a.') ? 'a' : 'b';
    const mine = published.filter((p) => p.app === app);
    const byId = new Map(mine.map((p) => [p.id, p]));
    const successes = new Map<string, number[]>();
    const firstAnswer = new Map<string, Arrival>();
    let minGap: number | null = null;
    const seen = new Map<string, Arrival>();
    for (const arrival of receiver.arrivals) {
      if (!byId.has(arrival.webhookId)) continue;
      const previous = seen.get(arrival.webhookId);
      if (previous && previous.status === 429) {
        const gap = arrival.at - previous.answeredAt;
        minGap = minGap === null ? gap : Math.min(minGap, gap);
      }
      seen.set(arrival.webhookId, arrival);
      if (!firstAnswer.has(arrival.webhookId)) firstAnswer.set(arrival.webhookId, arrival);
      if (arrival.status >= 200 && arrival.status < 300) {
        const list = successes.get(arrival.webhookId) ?? [];
        list.push(arrival.answeredAt);
        successes.set(arrival.webhookId, list);
      }
    }
    const latencies: number[] = [];
    let late = 0;
    for (const message of mine) {
      const answers = successes.get(message.id);
      const bound = boundMs(receiver.kind, message.n);
      if (!answers) {
        if (bound !== undefined) late++;
        continue;
      }
      // Healthy and rate-limited receivers answer at once; the slow one's answer is what counts.
      const latency = Math.min(...answers) - message.at;
      latencies.push(latency);
      if (bound !== undefined && latency > bound) late++;
    }
    latencies.sort((x, y) => x - y);
    if (receiver.kind === 'healthy') healthy.push(...latencies);
    report.receivers[receiver.label] = {
      label: receiver.label,
      kind: receiver.kind,
      requests: receiver.arrivals.length,
      delivered: successes.size,
      expected: mine.length,
      duplicated: [...successes.values()].filter((list) => list.length > 1).length,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.at(-1) ?? null,
      ...(boundMs(receiver.kind, 0) !== undefined ? { late } : {}),
      ...(receiver.kind === 'rate-limited' ? { minRetryAfterGapMs: minGap } : {}),
    };
  }
  healthy.sort((x, y) => x - y);
  report.healthyP50Ms = percentile(healthy, 50);
  report.healthyP99Ms = percentile(healthy, 99);
  return report;
}

/** A fixed-width table of the report, for logs and BENCHMARKS.md. */
export function formatMixReport(report: MixReport): string {
  const rows = Object.values(report.receivers).map(
    (r) =>
      `${r.label.padEnd(16)} ${String(r.requests).padStart(6)} req  ${`${r.delivered}/${r.expected}`.padStart(9)} delivered  ` +
      `dup ${r.duplicated}  p50 ${r.p50Ms ?? '-'} ms  p99 ${r.p99Ms ?? '-'} ms  max ${r.maxMs ?? '-'} ms` +
      (r.late !== undefined ? `  late ${r.late}` : '') +
      (r.minRetryAfterGapMs !== undefined ? `  min Retry-After gap ${r.minRetryAfterGapMs} ms` : ''),
  );
  return [...rows, `healthy endpoints: p50 ${report.healthyP50Ms} ms, p99 ${report.healthyP99Ms} ms`].join('\n');
}
