import { z } from 'zod';

/** Svix's `uid` rule: a publisher-chosen alias usable wherever an id is. */
export const Uid = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[a-zA-Z0-9\-_.]+$/, 'may contain only letters, digits, "-", "_" and "."');

export const Metadata = z.record(z.string().max(256), z.string().max(4096));

/** Svix stores rate limits as unsigned 16-bit integers. */
export const RatePerSecond = z.number().int().min(0).max(65_535);

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(250).default(50),
  iterator: z.string().max(64).optional(),
  order: z.enum(['ascending', 'descending']).default('descending'),
});
export type ListQuery = z.infer<typeof ListQuery>;

export interface ListPage<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}
