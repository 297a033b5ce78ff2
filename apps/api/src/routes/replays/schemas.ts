import { z } from '@hono/zod-openapi';

export const Id = z.string().min(1).max(256);

/** The widest time range a bulk replay accepts. */
export const MAX_REPLAY_RANGE_MS = 90 * 24 * 3600_000;

const Timestamp = z.iso.datetime({ offset: true });

type Issue = { code: 'custom'; path: string[]; message: string };

/** `until` after `since`, and at most 90 days between them (until defaulting to now). */
function checkRange(value: { since?: string | undefined; until?: string | null | undefined }, addIssue: (issue: Issue) => void) {
  if (!value.since) return;
  const since = Date.parse(value.since);
  const until = value.until ? Date.parse(value.until) : Date.now();
  if (until <= since) {
    addIssue({
      code: 'custom',
      path: [value.until ? 'until' : 'since'],
      message: value.until ? 'must be after since' : 'must be in the past (until defaults to now)',
    });
  } else if (until - since > MAX_REPLAY_RANGE_MS) {
    addIssue({ code: 'custom', path: ['since'], message: 'the range from since to until may span at most 90 days' });
  }
}

export const DeadLetterReplayInSchema = z
  .strictObject({
    endpointId: Id.optional().openapi({ description: 'Only dead letters of this endpoint (id or uid)' }),
    eventTypes: z.array(z.string().min(1).max(256)).max(100).optional(),
    since: Timestamp.optional().openapi({ description: 'Messages created at or after this time' }),
    until: Timestamp.optional().openapi({ description: 'Messages created at or before this time' }),
    reason: z.string().min(1).max(500).optional().openapi({ description: 'Case-insensitive substring of the last error' }),
  })
  .superRefine((value, ctx) => {
    if (value.until && !value.since) {
      if (Date.parse(value.until) < Date.now() - MAX_REPLAY_RANGE_MS) {
        ctx.addIssue({ code: 'custom', path: ['until'], message: 'must be within the last 90 days' });
      }
      return;
    }
    checkRange(value, (issue) => ctx.addIssue(issue));
  })
  .openapi('DeadLetterReplayIn');

export const ReplayTaskOutSchema = z
  .object({
    id: z.string(),
    appId: z.string(),
    endpointId: z.string().nullable(),
    kind: z.enum(['dead_letters', 'replay_missing']),
    filter: z.object({
      endpointId: z.string().optional(),
      eventTypes: z.array(z.string()).optional(),
      since: z.string().optional(),
      until: z.string().optional(),
      reason: z.string().optional(),
    }),
    status: z.enum(['running', 'finished', 'failed', 'canceled']),
    total: z.number().int().openapi({ description: 'Matching items counted when the task started' }),
    done: z.number().int().openapi({ description: 'Items processed so far' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('ReplayTaskOut');

/** Svix `ReplayIn`. */
export const ReplayInSchema = z
  .strictObject({ since: Timestamp, until: Timestamp.nullish() })
  .superRefine((value, ctx) => checkRange(value, (issue) => ctx.addIssue(issue)))
  .openapi('ReplayIn');

/** Svix `ReplayOut`. */
export const ReplayOutSchema = z
  .object({
    id: z.string(),
    status: z.enum(['running', 'finished', 'failed']),
    task: z.literal('endpoint.replay'),
    updatedAt: z.string(),
  })
  .openapi('ReplayOut');
