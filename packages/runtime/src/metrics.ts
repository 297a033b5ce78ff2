import { type Database, queueDepth } from '@herald/db';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Herald's Prometheus metrics. One registry per process: the API and the
 * worker count into it, and whoever serves `/metrics` (the API, and a worker
 * given HERALD_METRICS_PORT) renders it. Queue depth is read from the database
 * in the background, every QUEUE_DEPTH_REFRESH_MS, not per scrape: counting
 * deliveries and messages grows with the tables, and a scrape must cost the same
 * at 10 M rows as at 10 k. The gauges are therefore up to that interval stale;
 * herald_queue_depth_refreshed_timestamp_seconds says how stale.
 */
export const metricsRegistry = new Registry();

export const messagesIngested = new Counter({
  name: 'herald_messages_ingested_total',
  help: 'Messages accepted by the API',
  registers: [metricsRegistry],
});

export const deliveriesTotal = new Counter({
  name: 'herald_deliveries_total',
  help: 'Recorded delivery attempts by destination (webhook, kafka, queue) and outcome: succeeded, failed (a retry follows) or dead',
  labelNames: ['destination', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const deliveryDuration = new Histogram({
  name: 'herald_delivery_duration_seconds',
  help: 'Duration of recorded delivery attempts, by destination',
  labelNames: ['destination'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
});

export const circuitTransitions = new Counter({
  name: 'herald_circuit_transitions_total',
  help: 'Endpoint circuit breakers opened (by a failure rate), reopened (a failed probe) and closed (a success)',
  labelNames: ['to'] as const,
  registers: [metricsRegistry],
});

export const queueDepthGauge = new Gauge({
  name: 'herald_queue_depth',
  help: 'Work not done yet, read from the database in the background (see herald_queue_depth_refreshed_timestamp_seconds): deliveries by status and undispatched messages',
  labelNames: ['queue'] as const,
  registers: [metricsRegistry],
});

/** Counts one recorded delivery attempt, whatever carried it. */
export function observeDelivery(
  destination: 'webhook' | 'kafka' | 'queue',
  outcome: 'succeeded' | 'failed' | 'dead',
  durationMs: number,
): void {
  deliveriesTotal.inc({ destination, outcome });
  deliveryDuration.observe({ destination }, durationMs / 1000);
}

export const METRICS_CONTENT_TYPE = metricsRegistry.contentType;

export const queueDepthRefreshed = new Gauge({
  name: 'herald_queue_depth_refreshed_timestamp_seconds',
  help: 'When herald_queue_depth was last read from the database (Unix time); 0 before the first read',
  registers: [metricsRegistry],
});

/** How often the queue-depth gauges are re-read: their staleness bound. */
export const QUEUE_DEPTH_REFRESH_MS = 15_000;

interface DepthRefresh {
  first: Promise<void>;
  timer: NodeJS.Timeout;
}

const refreshes = new WeakMap<Database, DepthRefresh>();

async function refreshQueueDepth(db: Database): Promise<void> {
  try {
    const depth = await queueDepth(db);
    queueDepthGauge.set({ queue: 'deliveries_pending' }, depth.deliveries.pending);
    queueDepthGauge.set({ queue: 'deliveries_failed' }, depth.deliveries.failed);
    queueDepthGauge.set({ queue: 'deliveries_sending' }, depth.deliveries.sending);
    queueDepthGauge.set({ queue: 'messages_undispatched' }, depth.undispatched);
    queueDepthRefreshed.set(Date.now() / 1000);
  } catch {
    // The database is away: the gauges keep their last values and the timestamp shows their age.
  }
}

/**
 * Starts the background refresh for `db` on the first scrape (a process that is
 * never scraped never counts); that scrape waits for the first read, later ones
 * read the gauges only. The timer does not keep the process alive.
 */
function ensureQueueDepthRefresh(db: Database): DepthRefresh {
  let refresh = refreshes.get(db);
  if (!refresh) {
    const timer = setInterval(() => void refreshQueueDepth(db), QUEUE_DEPTH_REFRESH_MS);
    timer.unref();
    refresh = { first: refreshQueueDepth(db), timer };
    refreshes.set(db, refresh);
  }
  return refresh;
}

/** The exposition text; no query runs per scrape (see the module comment). */
export async function renderMetrics(db: Database): Promise<string> {
  await ensureQueueDepthRefresh(db).first;
  return metricsRegistry.metrics();
}
