import { z } from 'zod';
import { Metadata, noNul, RatePerSecond, Uid } from './common';

/** Wire shape of Svix's `ApplicationIn`. */
export const ApplicationIn = z.strictObject({
  name: z.string().trim().min(1).max(256).refine(noNul, 'must not contain NUL characters'),
  uid: Uid.nullish(),
  rateLimit: RatePerSecond.nullish(),
  throttleRate: RatePerSecond.nullish(),
  metadata: Metadata.optional(),
});
export type ApplicationIn = z.infer<typeof ApplicationIn>;

/** Svix's `ApplicationPatch`: an absent field is unchanged, `null` clears it. */
export const ApplicationPatch = z.strictObject({
  name: ApplicationIn.shape.name.optional(),
  uid: Uid.nullish(),
  rateLimit: RatePerSecond.nullish(),
  throttleRate: RatePerSecond.nullish(),
  metadata: Metadata.optional(),
});
export type ApplicationPatch = z.infer<typeof ApplicationPatch>;

/** Wire shape of Svix's `ApplicationOut`; timestamps are ISO-8601 strings. */
export interface ApplicationOut {
  id: string;
  uid: string | null;
  name: string;
  rateLimit: number | null;
  throttleRate: number | null;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}
