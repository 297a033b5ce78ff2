import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

/**
 * Every job Herald runs, in one place: its queue, its payload (ids only, never
 * a webhook body), its retry and retention policy, and its deterministic job id
 * so that enqueuing the same work twice is a no-op while the first is queued.
 */
export const JOBS = {
  /** Fan a committed message out to the endpoints that match it. */
  fanout: {
    queue: 'fanout',
    payload: z.object({ messageId: z.string().min(1) }),
    jobId: (p: { messageId: string }) => `fanout.${p.messageId}`,
    options: {
      attempts: 12,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    } satisfies JobsOptions,
  },
  /** One attempt at one delivery (message × endpoint). `due` tells retries apart. */
  deliver: {
    queue: 'deliver',
    payload: z.object({
      deliveryId: z.string().min(1),
      /** When the attempt is due (ms since epoch); part of the job id, so each retry is its own job. */
      due: z.number().int().nonnegative().optional(),
      /** Resent by a person (resend, recover, replay): recorded as a manual attempt. */
      manual: z.boolean().optional(),
      /** Set for Kafka endpoints: drain this endpoint's stream instead of sending one delivery. */
      stream: z.string().optional(),
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
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]['payload']>;
