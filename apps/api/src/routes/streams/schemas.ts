import { z } from '@hono/zod-openapi';
import { QueryDate } from '../query';
import { isMessageCursor } from './cursors';

const Id = z.string().min(1).max(256);

/**
 * An attempt `seq` as a resume point. Empty counts as absent (EventSource sends
 * no header before its first event, and some clients send an empty one).
 */
const SeqCursor = z
  .string()
  .regex(/^(\d{1,15})?$/, 'must be a non-negative integer: the id of the last event received')
  .transform((value) => (value === '' ? undefined : Number(value)));

const MessageCursor = z
  .string()
  .max(64)
  .refine((value) => value === '' || isMessageCursor(value), 'must be a message id (msg_…): the id of the last event received')
  .transform((value) => (value === '' ? undefined : value));

export const AttemptStreamQuery = z.object({
  app_id: Id.optional().openapi({ description: 'Only this application (id or uid). An app-scoped key must name its own.' }),
  endpoint_id: Id.optional().openapi({ description: 'Only this endpoint (id; or uid together with app_id).' }),
  status: z
    .enum(['0', '2'])
    .transform(Number)
    .optional()
    .openapi({ description: 'Only successful (0) or failed (2) attempts, in Svix numbering.' }),
  last_event_id: SeqCursor.optional().openapi({
    description: 'Resume after this attempt seq, for clients that cannot send the Last-Event-ID header (the header wins).',
  }),
  history: z.coerce
    .number()
    .int()
    .min(0)
    .max(1000)
    .optional()
    .openapi({
      description:
        'Without a resume point: start with up to this many of the newest matching attempts (oldest of them first), then go on live. ' +
        'Ignored when resuming.',
      example: 200,
    }),
});

export const AttemptStreamHeaders = z.object({
  'last-event-id': SeqCursor.optional().openapi({ description: 'Resume strictly after this attempt seq, with no gap and no duplicate.' }),
});

export const EventStreamQuery = z.object({
  since: QueryDate.optional().openapi({ description: 'Replay the messages created at or after this ISO-8601 time.' }),
  last_event_id: MessageCursor.optional().openapi({
    description: 'Resume after this message id, for clients that cannot send the Last-Event-ID header (the header wins).',
  }),
});

export const EventStreamHeaders = z.object({
  'last-event-id': MessageCursor.optional().openapi({ description: 'Resume strictly after this message id; wins over since.' }),
});

export const AttemptStreamEvent = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    msgId: z.string(),
    eventType: z.string(),
    endpointId: z.string(),
    appId: z.string(),
    status: z.number().int(),
    statusText: z.string(),
    responseStatusCode: z.number().int(),
    responseDurationMs: z.number().int(),
    triggerType: z.number().int(),
    final: z.boolean(),
    timestamp: z.string(),
    url: z.string(),
  })
  .openapi('AttemptStreamEvent');

export const sseResponse = (description: string, example: string) => ({
  description,
  content: { 'text/event-stream': { schema: z.string().openapi({ example }) } },
});
