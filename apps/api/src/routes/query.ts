import { z } from '@hono/zod-openapi';

/** Query-string booleans as the svix client sends them. */
export const QueryBool = z.enum(['true', 'false']).transform((value) => value === 'true');

/**
 * `event_types=a.b,c.d`: the svix clients join arrays with commas into one
 * parameter. Each item follows the event-type name rule, so the document's
 * pattern and the check agree.
 */
export const CommaList = z
  .string()
  .max(4096)
  .regex(/^[a-zA-Z0-9\-_.]+(,[a-zA-Z0-9\-_.]+)*$/, 'must be event type names (letters, digits, "-", "_", ".") separated by commas')
  .transform((value) => value.split(','))
  .openapi({ description: 'Comma-separated event type names', example: 'invoice.paid,invoice.failed' });

/** ISO-8601 timestamps in queries (`before`, `after`, `since`, `until`). */
export const QueryDate = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

export const QueryLimit = z.coerce.number().int().min(1).max(250).default(50);
