import { ApplicationIn, ApplicationPatch, ListQuery } from '@herald/core';
import { z } from '@hono/zod-openapi';

/** OpenAPI-named wrappers around the core wire schemas. */
export const ErrorOut = z
  .object({
    code: z.string(),
    detail: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Error');

export const errorResponses = {
  400: { description: 'Malformed request', content: { 'application/json': { schema: ErrorOut } } },
  401: { description: 'Missing or invalid API key', content: { 'application/json': { schema: ErrorOut } } },
  403: { description: 'The key may not use this route', content: { 'application/json': { schema: ErrorOut } } },
  415: {
    description: 'The body is not JSON: send content-type: application/json',
    content: { 'application/json': { schema: ErrorOut } },
  },
  422: { description: 'A field failed validation', content: { 'application/json': { schema: ErrorOut } } },
  431: {
    description: 'The request line and headers exceed 64 KiB (`header_too_large`): shorten the URL or the headers',
    content: { 'application/json': { schema: ErrorOut } },
  },
} as const;

export const notFoundResponse = (what: string) => ({ ...errorResponses[400], description: `No such ${what}` });
export const conflictResponse = (what: string) => ({ ...errorResponses[400], description: what });
export const noContent = { description: 'Done; no body' } as const;

// Re-wrapped with this package's `z`, which carries `.openapi()`; the core
// schemas stay free of any HTTP or OpenAPI concern.
export const ApplicationInSchema = z.strictObject(ApplicationIn.shape).openapi('ApplicationIn');

export const ApplicationPatchSchema = z.strictObject(ApplicationPatch.shape).openapi('ApplicationPatch');

export const ApplicationOutSchema = z
  .object({
    id: z.string(),
    uid: z.string().nullable(),
    name: z.string(),
    rateLimit: z.number().nullable(),
    throttleRate: z.number().nullable(),
    metadata: z.record(z.string(), z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('ApplicationOut');

export const ListQuerySchema = ListQuery;

export const listResponse = <T extends z.ZodTypeAny>(item: T, name: string) =>
  z
    .object({
      data: z.array(item),
      iterator: z.string().nullable(),
      prevIterator: z.string().nullable(),
      done: z.boolean(),
    })
    .openapi(name);
