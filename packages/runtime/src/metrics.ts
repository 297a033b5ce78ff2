import { type Database, queueDepth } from '@herald/db';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Herald's Prometheus metrics. One registry per process: the API and the
 * worker count into it, and whoever serves `/metrics` renders it. Queue depth
 * is read from the database at scrape time (renderMetrics), so it is the same
 * whichever process answers.
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
  help: 'Work not done yet, read from the database at scrape time: deliveries by status and undispatched messages',
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

/** The exposition text, with the queue-depth gauges refreshed from `db` first. */
export async function renderMetrics(db: Database): Promise<string> {
  const depth = await queueDepth(db);
  queueDepthGauge.set({ queue: 'deliveries_pending' }, depth.deliveries.pending);
  queueDepthGauge.set({ queue: 'deliveries_failed' }, depth.deliveries.failed);
  queueDepthGauge.set({ queue: 'deliveries_sending' }, depth.deliveries.sending);
  queueDepthGauge.set({ queue: 'messages_undispatched' }, depth.undispatched);
  return metricsRegistry.metrics();
}
