import { EventTypeIn, EventTypeName, EventTypePatch, EventTypeUpdate } from '@herald/core';
import { z } from '@hono/zod-openapi';
import { QueryBool, QueryLimit } from '../query';
import { errorResponses } from '../schemas';

// Re-wrapped with this package's `z`, which carries `.openapi()`.
export const EventTypeInSchema = z.strictObject(EventTypeIn.shape).openapi('EventTypeIn');
export const EventTypeUpdateSchema = z.strictObject(EventTypeUpdate.shape).openapi('EventTypeUpdate');
export const EventTypePatchSchema = z.strictObject(EventTypePatch.shape).openapi('EventTypePatch');

export const EventTypeOutSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    archived: z.boolean(),
    deprecated: z.boolean(),
    featureFlag: z.string().nullable(),
    featureFlags: z.array(z.string()).nullable(),
    groupName: z.string().nullable(),
    schemas: z.record(z.string(), z.record(z.string(), z.unknown())).nullable().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('EventTypeOut');

export const EventTypeParams = z.object({ event_type_name: EventTypeName });

export const EventTypeListQuerySchema = z.object({
  limit: QueryLimit,
  iterator: z.string().max(256).optional(),
  order: z.enum(['ascending', 'descending']).default('ascending'),
  include_archived: QueryBool.default(false),
  with_content: QueryBool.default(true),
});

export const TAGS = ['Event Type'];

export const notFoundResponse = { 404: { ...errorResponses[400], description: 'No event type of that name in this organization' } };
