import { z } from '@hono/zod-openapi';

/** Query-string booleans as the svix client sends them. */
export const QueryBool = z.enum(['true', 'false']).transform((value) => value === 'true');

/** `event_types=a.b,c.d`: the svix client joins arrays with commas into one parameter. */
export const CommaList = z
  .string()
  .max(4096)
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  );

/** ISO-8601 timestamps in queries (`before`, `after`, `since`, `until`). */
export const QueryDate = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

export const QueryLimit = z.coerce.number().int().min(1).max(250).default(50);
