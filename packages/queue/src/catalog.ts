import { createHash } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

/** Most messages in one fan-out job. */
export const MAX_FANOUT_BATCH = 1000;

/**
 * Every job Herald runs, in one place: its queue, its payload (ids only, never
 * a webhook body), its retry and retention policy, and its deterministic job id
 * so that enqueuing the same work twice is a no-op while the first is queued.
 */
export const JOBS = {
  /**
   * Fan committed messages out to the endpoints that match them: one message,
   * or a batch the API committed together (one job and one pass over the
   * database for all of them). A batch's id is derived from all its message
   * ids, so only the very same batch handed over twice is deduplicated; any
   * other repeat fans out again, which finds the deliveries made and does nothing.
   */
  fanout: {
    queue: 'fanout',
    payload: z.union([
      z.object({ messageId: z.string().min(1) }),
      z.object({ messageIds: z.array(z.string().min(1)).min(1).max(MAX_FANOUT_BATCH) }),
    ]),
    jobId: (p: { messageId: string } | { messageIds: string[] }) =>
      'messageId' in p
        ? `fanout.${p.messageId}`
        : p.messageIds.length === 1
          ? `fanout.${p.messageIds[0]}`
          : `fanout.batch.${createHash('sha256').update(p.messageIds.join(',')).digest('base64url').slice(0, 32)}`,
    options: {
      attempts: 12,
      backoff: { type: 'exponential', delay: 500 },
      // Removed at once: a repeated hand-over then fans out again, which finds the deliveries
      // made and sends nothing. Keeping the last N (BullMQ's `count`) costs the PostgreSQL
      // backend a sort of every retained job on each completion.
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600 },
    } satisfies JobsOptions,
  },
  /**
   * One attempt at one delivery (message × endpoint). `due` tells retries
   * apart. Two kinds of wake-up share the queue, each with a placeholder
   * delivery id: `stream` drains a Kafka endpoint, `probe` tests an endpoint
   * whose circuit breaker is open.
   */
  deliver: {
    queue: 'deliver',
    payload: z.object({
      deliveryId: z.string().min(1),
      /** The delivery's endpoint, so the worker can hold it to the endpoint's share of sending capacity before claiming. */
      endpointId: z.string().min(1).optional(),
      /** When the attempt is due (ms since epoch); part of the job id, so each retry is its own job. */
      due: z.number().int().nonnegative().optional(),
      /** Resent by a person (resend, recover, replay): recorded as a manual attempt, sent even past an open circuit. */
      manual: z.boolean().optional(),
      /** Set for Kafka endpoints: drain this endpoint's stream instead of sending one delivery. */
      stream: z.string().optional(),
      /** Probe this endpoint: its circuit breaker's open interval is over. */
      probe: z.string().optional(),
    }),
    jobId: (p: { deliveryId: string; due?: number | undefined; manual?: boolean | undefined }) =>
      `deliver.${p.deliveryId}.${p.due ?? 0}${p.manual ? '.m' : ''}`,
    options: {
      // Only infrastructure failures (database unreachable) reach BullMQ's own retries;
      // receiver failures are attempts, scheduled by the delivery engine itself.
      attempts: 8,
      backoff: { type: 'exponential', delay: 1000 },
      // Removed at once, so a later retry or sweep with the same id is not mistaken for a duplicate.
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600 },
    } satisfies JobsOptions,
  },
  /** An operational webhook (endpoint.disabled, message.attempt.*) to the operator's endpoint. */
  operational: {
    queue: 'operational',
    payload: z.object({
      key: z.string().min(1).max(200),
      type: z.enum(['endpoint.disabled', 'message.attempt.failing', 'message.attempt.exhausted', 'message.attempt.recovered']),
      endpointId: z.string().min(1),
      deliveryId: z.string().min(1).optional(),
    }),
    jobId: (p: { key: string }) => `op.${p.key}`,
    options: {
      attempts: 10,
      backoff: { type: 'exponential', delay: 2000 },
      removeOnComplete: { age: 24 * 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
    } satisfies JobsOptions,
  },
  /** A bulk replay task (dead letters by filter, or an endpoint's missing messages), run in batches. */
  replay: {
    queue: 'replay',
    payload: z.object({ taskId: z.string().min(1) }),
    jobId: (p: { taskId: string }) => `replay.${p.taskId}`,
    options: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600 },
    } satisfies JobsOptions,
  },
} as const;

export type JobName = keyof typeof JOBS;

/** The deliver job that probes an endpoint whose circuit breaker's open interval ends at `due`. */
export function probeJob(endpointId: string, due: number) {
  return { deliveryId: `probe-${endpointId}`, endpointId, due, probe: endpointId };
}
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]['payload']>;
