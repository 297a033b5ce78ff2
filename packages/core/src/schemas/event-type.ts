import { z } from 'zod';
import { HeraldError } from '../errors';

const NAME_PATTERN = /^[a-zA-Z0-9\-_.]+$/;
const NAME_RULE = 'may contain only letters, digits, "-", "_" and "."';
// Svix refuses control characters (newlines included) in descriptions.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** Svix's event type name: how messages and endpoint filters refer to the type. */
export const EventTypeName = z.string().min(1).max(256).regex(NAME_PATTERN, NAME_RULE);

export const FeatureFlag = z.string().min(1).max(256).regex(NAME_PATTERN, NAME_RULE);

const Description = z.string().refine((value) => !CONTROL_CHARACTERS.test(value), 'may not contain control characters');

const GroupName = z
  .string()
  .min(1)
  .max(256)
  .refine((value) => !CONTROL_CHARACTERS.test(value), 'may not contain control characters');

/**
 * Herald keeps one feature flag per event type (the table has a single
 * `feature_flag` column), so `featureFlags` may name at most one.
 */
const FeatureFlags = z.array(FeatureFlag).max(1, 'Herald supports at most one feature flag per event type');

/**
 * JSON Schemas by version, e.g. `{"1": {"type": "object", ...}}`. The shape is
 * checked here; that each schema compiles is checked where the validator lives
 * (`@herald/db`'s payload-schema).
 */
export const EventTypeSchemas = z.record(z.string().min(1).max(64), z.record(z.string(), z.unknown()));
export type EventTypeSchemas = z.infer<typeof EventTypeSchemas>;

/** Wire shape of Svix's `EventTypeIn` (create). */
export const EventTypeIn = z.strictObject({
  name: EventTypeName,
  description: Description,
  archived: z.boolean().optional(),
  deprecated: z.boolean().optional(),
  featureFlag: FeatureFlag.nullish(),
  featureFlags: FeatureFlags.nullish(),
  groupName: GroupName.nullish(),
  schemas: EventTypeSchemas.nullish(),
});
export type EventTypeIn = z.infer<typeof EventTypeIn>;

/** Wire shape of Svix's `EventTypeUpdate` (PUT: create or replace; the name is in the path). */
export const EventTypeUpdate = z.strictObject({
  description: Description,
  archived: z.boolean().optional(),
  deprecated: z.boolean().optional(),
  featureFlag: FeatureFlag.nullish(),
  featureFlags: FeatureFlags.nullish(),
  groupName: GroupName.nullish(),
  schemas: EventTypeSchemas.nullish(),
});
export type EventTypeUpdate = z.infer<typeof EventTypeUpdate>;

/** Wire shape of Svix's `EventTypePatch`: absent = unchanged, `null` = cleared. */
export const EventTypePatch = z.strictObject({
  description: Description.optional(),
  archived: z.boolean().optional(),
  deprecated: z.boolean().optional(),
  featureFlag: FeatureFlag.nullish(),
  featureFlags: FeatureFlags.nullish(),
  groupName: GroupName.nullish(),
  schemas: EventTypeSchemas.nullish(),
});
export type EventTypePatch = z.infer<typeof EventTypePatch>;

/**
 * The one feature flag a body asks for: `featureFlags` (the current field)
 * wins over the deprecated `featureFlag`; both given and disagreeing is a 422.
 * `undefined` means neither was sent (PATCH: leave it unchanged).
 */
export function requestedFeatureFlag(input: {
  featureFlag?: string | null | undefined;
  featureFlags?: string[] | null | undefined;
}): string | null | undefined {
  const fromList = input.featureFlags === undefined ? undefined : (input.featureFlags?.[0] ?? null);
  if (fromList !== undefined && input.featureFlag !== undefined && fromList !== input.featureFlag) {
    const message = 'disagrees with featureFlag; send one of the two, or the same flag in both';
    throw new HeraldError('validation', `body.featureFlags: ${message}`, [{ path: 'body.featureFlags', message }]);
  }
  return fromList !== undefined ? fromList : input.featureFlag;
}

/** Wire shape of Svix's `EventTypeOut`; timestamps are ISO-8601 strings. */
export interface EventTypeOut {
  name: string;
  description: string;
  archived: boolean;
  deprecated: boolean;
  featureFlag: string | null;
  featureFlags: string[] | null;
  groupName: string | null;
  /** Absent when listed with `with_content=false`. */
  schemas?: EventTypeSchemas | null;
  createdAt: string;
  updatedAt: string;
}
