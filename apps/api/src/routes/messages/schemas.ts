import { MessageIn } from '@herald/core';
import { z } from '@hono/zod-openapi';
import { ApplicationInSchema } from '../schemas';

export const MessageInSchema = z
  .strictObject({
    ...MessageIn.shape,
    // core's payload schema keeps the parsed object as is; the document only needs to say it is an object.
    payload: z.unknown().pipe(MessageIn.shape.payload).openapi({ type: 'object', additionalProperties: true }),
    // A union, not .nullish(): on a named schema that renders as allOf [$ref, null-or-object], which null fails.
    application: z.union([ApplicationInSchema, z.null()]).optional(),
  })
  .openapi('MessageIn');

export const MessageOutSchema = z
  .object({
    id: z.string(),
    eventType: z.string(),
    eventId: z.string().nullable(),
    payload: z.unknown(),
    channels: z.array(z.string()).nullable(),
    tags: z.array(z.string()).nullable(),
    deliverAt: z.string().nullable(),
    timestamp: z.string(),
  })
  .openapi('MessageOut');

export const AppParam = z.object({ app_id: z.string().min(1).max(256) });
export const MessageParams = AppParam.extend({ msg_id: z.string().min(1).max(256) });
