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
} as const;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]['payload']>;
