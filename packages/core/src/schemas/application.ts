import { z } from 'zod';
import { Metadata, RatePerSecond, Uid } from './common';

/** Wire shape of Svix's `ApplicationIn`. */
export const ApplicationIn = z.strictObject({
  name: z.string().trim().min(1).max(256),
  uid: Uid.nullish(),
  rateLimit: RatePerSecond.nullish(),
  throttleRate: RatePerSecond.nullish(),
  metadata: Metadata.optional(),
});
export type ApplicationIn = z.infer<typeof ApplicationIn>;

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
