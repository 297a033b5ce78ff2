import { Name } from '@herald/core';
import { z } from '@hono/zod-openapi';
import { EndpointOutSchema } from '../endpoints/schemas';
import { MessageOutSchema } from '../messages/schemas';
import { CommaList, QueryBool, QueryDate, QueryLimit } from '../query';

export const StatusQuery = z.coerce.number().int().min(0).max(4);
export const StatusCodeClassQuery = z.coerce
  .number()
  .int()
  .refine((value) => [0, 100, 200, 300, 400, 500].includes(value), 'must be one of 0, 100, 200, 300, 400, 500');

/** The filters the svix client sends on attempt listings. */
export const AttemptListQuery = z.object({
  limit: QueryLimit,
  iterator: z.string().max(64).optional(),
  status: StatusQuery.optional(),
  status_code_class: StatusCodeClassQuery.optional(),
  channel: Name(128).optional(),
  tag: Name(128).optional(),
  event_types: CommaList.optional(),
  before: QueryDate.optional(),
  after: QueryDate.optional(),
  with_content: QueryBool.optional(),
  // Herald never reports status 4 (canceled), so the expanded set changes nothing.
  expanded_statuses: QueryBool.optional(),
});

export const MessageAttemptOut = z
  .object({
    id: z.string(),
    msgId: z.string(),
    endpointId: z.string(),
    url: z.string(),
    response: z.string(),
    responseStatusCode: z.number(),
    responseDurationMs: z.number(),
    status: z.number().int(),
    statusText: z.string(),
    triggerType: z.number().int(),
    final: z.boolean(),
    timestamp: z.string(),
    msg: z.unknown().optional(),
  })
  .openapi('MessageAttemptOut');

const DeliveryState = {
  status: z.number().int(),
  statusText: z.string(),
  nextAttempt: z.string().nullable(),
};

export const EndpointMessageOut = MessageOutSchema.extend(DeliveryState).openapi('EndpointMessageOut');

// What listMessageDestinations returns: the endpoint without its metadata, plus the delivery's state.
export const MessageEndpointOut = EndpointOutSchema.omit({ metadata: true }).extend(DeliveryState).openapi('MessageEndpointOut');
