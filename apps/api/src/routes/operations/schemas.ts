import { z } from '@hono/zod-openapi';
import { CommaList, QueryDate, QueryLimit } from '../query';

export const Id = z.string().min(1).max(256);

/** Svix's `EmptyResponse`: the answer of `messageAttempt.resend`. */
export const EmptyResponseSchema = z.object({}).openapi('EmptyResponse');

/** Svix accepts `recover` over at most 14 days, plus five minutes for clock skew. */
export const RECOVER_WINDOW_MS = 14 * 24 * 3600_000 + 5 * 60_000;

const Timestamp = z.iso.datetime({ offset: true });

export const RecoverInSchema = z
  .strictObject({ since: Timestamp, until: Timestamp.nullish() })
  .superRefine((value, ctx) => {
    const now = Date.now();
    const since = Date.parse(value.since);
    const until = value.until ? Date.parse(value.until) : now;
    if (since < now - RECOVER_WINDOW_MS) {
      ctx.addIssue({ code: 'custom', path: ['since'], message: 'must be within the last 14 days (plus 5 minutes)' });
    }
    if (until <= since) {
      ctx.addIssue({
        code: 'custom',
        path: [value.until ? 'until' : 'since'],
        message: value.until ? 'must be after since' : 'must be in the past (until defaults to now)',
      });
    }
  })
  .openapi('RecoverIn');

export const RecoverOutSchema = z
  .object({
    id: z.string(),
    status: z.enum(['running', 'finished', 'failed']),
    task: z.literal('endpoint.recover'),
    updatedAt: z.string(),
  })
  .openapi('RecoverOut');

export const DeadLetterQuery = z.object({
  limit: QueryLimit,
  iterator: z.string().max(64).optional(),
  endpoint_id: Id.optional(),
  event_types: CommaList.optional(),
  before: QueryDate.optional(),
  after: QueryDate.optional(),
  /** Case-insensitive substring of the failure reason (the last attempt's error). */
  reason: z.string().min(1).max(256).optional(),
});

export const DeadLetterOutSchema = z
  .object({
    id: z.string().openapi({ description: 'The delivery id, for …/dead-letter/{delivery_id}/replay' }),
    appId: z.string(),
    messageId: z.string(),
    endpointId: z.string(),
    eventType: z.string(),
    eventId: z.string().nullable(),
    attemptCount: z.number().int(),
    lastAttemptAt: z.string().nullable(),
    reason: z.string().nullable().openapi({ description: 'Why the last attempt failed, or why it was dead-lettered without one' }),
  })
  .openapi('DeadLetterOut');
