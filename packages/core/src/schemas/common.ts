import { z } from 'zod';

/** Svix's `uid` rule: a publisher-chosen alias usable wherever an id is. */
export const Uid = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[a-zA-Z0-9\-_.]+$/, 'may contain only letters, digits, "-", "_" and "."');

/** PostgreSQL text and jsonb cannot hold NUL; refusing it here keeps it a 422, not a 500. */
export const noNul = (value: string) => !value.includes('\u0000');
export const Text = (max: number) => z.string().max(max).refine(noNul, 'must not contain NUL characters');

export const Metadata = z.record(Text(256), Text(4096));

const NAME_PATTERN = /^[a-zA-Z0-9\-_.]+$/;
const NAME_RULE = 'may contain only letters, digits, "-", "_" and "."';

/** Event type names, channels, tags and event ids share Svix's character rule. */
export const Name = (max: number) => z.string().min(1).max(max).regex(NAME_PATTERN, NAME_RULE);

/** A list of distinct names (channels, tags). */
export const NameList = (maxItems: number, maxLength = 128) =>
  z
    .array(Name(maxLength))
    .min(1)
    .max(maxItems)
    .refine((items) => new Set(items).size === items.length, 'must not repeat an item');

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
