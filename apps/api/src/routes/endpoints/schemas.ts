import {
  ENDPOINT_TYPES,
  EndpointHeadersIn,
  EndpointHeadersPatchIn,
  EndpointIn,
  EndpointPatch,
  EndpointSecretRotateIn,
  EndpointUpdate,
} from '@herald/core';
import { z } from '@hono/zod-openapi';
import { errorResponses } from '../schemas';

// Re-wrapped with this package's `z`, which carries `.openapi()`.
export const EndpointInSchema = z.strictObject(EndpointIn.shape).openapi('EndpointIn');
export const EndpointUpdateSchema = z.strictObject(EndpointUpdate.shape).openapi('EndpointUpdate');
export const EndpointPatchSchema = z.strictObject(EndpointPatch.shape).openapi('EndpointPatch');
export const EndpointHeadersInSchema = z.strictObject(EndpointHeadersIn.shape).openapi('EndpointHeadersIn');
export const EndpointHeadersPatchInSchema = z.strictObject(EndpointHeadersPatchIn.shape).openapi('EndpointHeadersPatchIn');
export const EndpointSecretRotateInSchema = z.strictObject(EndpointSecretRotateIn.shape).openapi('EndpointSecretRotateIn');

export const EndpointOutSchema = z
  .object({
    id: z.string(),
    uid: z.string().nullable(),
    url: z.string(),
    description: z.string(),
    version: z.number(),
    disabled: z.boolean(),
    filterTypes: z.array(z.string()).nullable(),
    channels: z.array(z.string()).nullable(),
    rateLimit: z.number().nullable(),
    throttleRate: z.number().nullable(),
    metadata: z.record(z.string(), z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
    // Herald extensions (the svix client ignores them).
    filter: z.record(z.string(), z.unknown()).nullable().openapi({ description: 'Payload filter; null delivers every payload' }),
    retrySchedule: z.array(z.number()).nullable().openapi({ description: 'Retry delays in seconds; null uses the global schedule' }),
    fifo: z.boolean(),
    type: z.enum(ENDPOINT_TYPES),
    settings: z.record(z.string(), z.unknown()),
  })
  .openapi('EndpointOut');

export const EndpointHeadersOutSchema = z
  .object({
    headers: z.record(z.string(), z.string()),
    sensitive: z.array(z.string()),
  })
  .openapi('EndpointHeadersOut');

export const EndpointSecretOutSchema = z.object({ key: z.string() }).openapi('EndpointSecretOut');

export const AppParams = z.object({ app_id: z.string().min(1).max(256) });
export const EndpointParams = AppParams.extend({ endpoint_id: z.string().min(1).max(256) });

export const TAGS = ['Endpoint'];

export const notFoundResponse = { 404: { ...errorResponses[400], description: 'No such application or endpoint' } };
export const noContent = { 204: { description: 'Done; no body' } };
