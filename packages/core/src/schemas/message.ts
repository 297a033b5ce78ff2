import { z } from 'zod';
import { ApplicationIn } from './application';
import { Name, NameList } from './common';

/** Deeper payloads are refused: PostgreSQL and every consumer parse JSON recursively. */
export const MAX_PAYLOAD_DEPTH = 64;

/** Depth of a parsed JSON value, walked iteratively so a hostile payload cannot exhaust the stack. */
export function jsonDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * A JSON object, kept as the very object JSON.parse made: a copying schema
 * (z.record) would assign each key again, and a `__proto__` key would then
 * set the copy's prototype instead of being kept.
 */
const Payload = z
  .custom<Record<string, unknown>>((value) => value !== null && typeof value === 'object' && !Array.isArray(value), 'must be a JSON object')
  .refine((payload) => jsonDepth(payload, MAX_PAYLOAD_DEPTH) <= MAX_PAYLOAD_DEPTH, `must not nest deeper than ${MAX_PAYLOAD_DEPTH} levels`);

/** Wire shape of Svix's `MessageIn`. */
export const MessageIn = z.strictObject({
  eventType: Name(256),
  payload: Payload,
  eventId: Name(256).nullish(),
  channels: NameList(5).nullish(),
  tags: NameList(5).nullish(),
  // PostgreSQL keeps years before 1 AD that JavaScript dates cannot read back; nothing earlier than 1970 is meant anyway.
  deliverAt: z.iso
    .datetime({ offset: true })
    .refine((value) => Date.parse(value) >= 0, 'must be 1970 or later')
    .nullish(),
  /** Creates the application when the path names one that does not exist yet. */
  application: ApplicationIn.nullish(),
  // Accepted for client compatibility; retention and transformations are not implemented yet (docs/api.md).
  payloadRetentionPeriod: z.number().int().min(1).max(90).nullish(),
  payloadRetentionHours: z.number().int().min(1).max(2160).nullish(),
  transformationsParams: z.record(z.string(), z.unknown()).nullish(),
});
export type MessageIn = z.infer<typeof MessageIn>;

export interface MessageOut {
  id: string;
  eventType: string;
  eventId: string | null;
  payload: unknown;
  channels: string[] | null;
  tags: string[] | null;
  deliverAt: string | null;
  timestamp: string;
}
