import { z } from 'zod';
import type { FieldError } from '../errors';
import { PayloadFilter } from '../payload-filter';
import { ENDPOINT_SECRET_PATTERN, isEndpointSecret } from '../secrets';
import { Metadata, Name, NameList, noNul, RatePerSecond, Uid } from './common';
import { KafkaEndpointSettings, QueueEndpointSettings } from './endpoint-settings';

/** An endpoint uid may not look like an endpoint id: `PUT …/endpoint/{id}` must tell them apart. */
export const EndpointUid = Uid.refine((uid) => !uid.startsWith('ep_'), 'may not start with "ep_", which marks endpoint ids');

export const EndpointUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
  .max(65_536)
  .refine(noNul, 'must not contain NUL characters');

/** 1-10 distinct channels of at most 128 characters. */
export const EndpointChannels = NameList(10, 128);

/** At least one distinct event type name. */
export const EndpointFilterTypes = z
  .array(Name(256))
  .min(1)
  .refine((items) => new Set(items).size === items.length, 'must not repeat an event type');

const Description = z.string().refine(noNul, 'must not contain NUL characters');

/** Base64 of the signing key, optionally prefixed with `whsec_` (Standard Webhooks); exactly what the signer accepts. */
export const EndpointSecret = z
  .string()
  .regex(ENDPOINT_SECRET_PATTERN, 'must be base64 ("=" only as padding at the end), optionally prefixed with "whsec_"')
  .refine(isEndpointSecret, 'must be 32-100 base64 characters, optionally prefixed with "whsec_"');

/** Stored in a PostgreSQL integer. */
const EndpointVersion = z.number().int().min(1).max(2_147_483_647);

/**
 * Headers Herald sets on every delivery (or that the HTTP client owns): a
 * custom header may not override them.
 */
export const RESERVED_ENDPOINT_HEADERS: ReadonlySet<string> = new Set([
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'content-type',
  'content-length',
  'host',
  'user-agent',
  // Hop-by-hop headers: Node's HTTP client refuses requests carrying them.
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'expect',
]);

/** Prefixes reserved the same way (Svix's own signature headers). */
const RESERVED_HEADER_PREFIXES = ['svix-'];

/** Header names whose values `GET …/headers` never shows (compared case-insensitively). */
export const SENSITIVE_ENDPOINT_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'x-auth-token',
  'www-authenticate',
  'proxy-authenticate',
]);

export const isSensitiveHeader = (name: string) => SENSITIVE_ENDPOINT_HEADERS.has(name.toLowerCase());

export function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_ENDPOINT_HEADERS.has(lower) || RESERVED_HEADER_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/** RFC 9110 token. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Visible ASCII, spaces, tabs and obs-text; never CR, LF or NUL. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

const HeaderName = z.string().min(1).max(256).regex(HEADER_NAME, 'is not a valid HTTP header name');

/**
 * Custom headers sent with every delivery. Names keep the caller's case but
 * must be unique case-insensitively; each failure names its header.
 */
export const EndpointHeaders = z.record(z.string(), z.string()).superRefine((headers, ctx) => {
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    const nameCheck = HeaderName.safeParse(name);
    if (!nameCheck.success) {
      ctx.addIssue({ code: 'custom', path: [name], message: nameCheck.error.issues[0]?.message ?? 'is not a valid HTTP header name' });
      continue;
    }
    const lower = name.toLowerCase();
    if (isReservedHeader(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'is set by Herald and cannot be overridden' });
    if (seen.has(lower)) ctx.addIssue({ code: 'custom', path: [name], message: 'repeats a header name (names are case-insensitive)' });
    seen.add(lower);
    if (!HEADER_VALUE.test(value)) ctx.addIssue({ code: 'custom', path: [name], message: 'value contains a control character' });
    else if (value.length > 4096) ctx.addIssue({ code: 'custom', path: [name], message: 'value is longer than 4096 characters' });
  }
});

/** Endpoint kinds: only webhooks are delivered yet (kafka and queue land with their issues). */
export const ENDPOINT_TYPES = ['webhook', 'kafka', 'queue'] as const;
export type EndpointType = (typeof ENDPOINT_TYPES)[number];
const SUPPORTED_ENDPOINT_TYPES: ReadonlySet<EndpointType> = new Set(ENDPOINT_TYPES);

/** Herald extension: the kind of endpoint; `kafka` and `queue` are refused until they are implemented. */
export const EndpointTypeIn = z
  .enum(ENDPOINT_TYPES)
  .superRefine((type, ctx) => {
    if (!SUPPORTED_ENDPOINT_TYPES.has(type)) ctx.addIssue({ code: 'custom', message: `"${type}" endpoints are not supported yet` });
  })
  .describe('"webhook" (the default); "kafka" and "queue" are refused as not supported yet');

/** Herald extension: 1-20 retry delays in seconds (0 to 24 h each); null uses the global schedule. */
export const EndpointRetrySchedule = z.array(z.number().int().min(0).max(86_400)).min(1).max(20);

/**
 * Herald's extension fields, shared by create, PUT and PATCH. Absent leaves a
 * field alone on PATCH (defaults on create and PUT); `null` clears `filter`
 * and `retrySchedule`.
 */
const extensionFields = {
  /** Payload filter (Convoy/Outpost style); null delivers every payload. */
  filter: PayloadFilter.nullish(),
  retrySchedule: EndpointRetrySchedule.nullish(),
  /** Stored only for now: ordered delivery lands with its issue. */
  fifo: z.boolean().optional(),
  type: EndpointTypeIn.optional(),
  /** Settings of `kafka` and `queue` endpoints (checked against the type by `endpointKindProblems`). */
  settings: z.record(z.string(), z.unknown()).nullish(),
};

/** Wire shape of Svix's `EndpointIn` (create), plus Herald's extension fields. */
export const EndpointIn = z.strictObject({
  // Required for webhooks; kafka and queue endpoints have no URL (see endpointKindProblems).
  url: EndpointUrl.optional(),
  uid: EndpointUid.nullish(),
  description: Description.optional(),
  version: EndpointVersion.nullish(),
  disabled: z.boolean().optional(),
  filterTypes: EndpointFilterTypes.nullish(),
  channels: EndpointChannels.nullish(),
  rateLimit: RatePerSecond.nullish(),
  throttleRate: RatePerSecond.nullish(),
  metadata: Metadata.optional(),
  headers: EndpointHeaders.nullish(),
  secret: EndpointSecret.nullish(),
  ...extensionFields,
});
export type EndpointIn = z.infer<typeof EndpointIn>;

/** Wire shape of Svix's `EndpointUpdate` (PUT, a full replace): `EndpointIn` without headers and secret. */
export const EndpointUpdate = EndpointIn.omit({ headers: true, secret: true });
export type EndpointUpdate = z.infer<typeof EndpointUpdate>;

/** Wire shape of Svix's `EndpointPatch`: absent leaves a field alone, `null` clears it. */
export const EndpointPatch = z.strictObject({
  url: EndpointUrl.optional(),
  uid: EndpointUid.nullish(),
  description: Description.optional(),
  version: EndpointVersion.optional(),
  disabled: z.boolean().optional(),
  filterTypes: EndpointFilterTypes.nullish(),
  channels: EndpointChannels.nullish(),
  rateLimit: RatePerSecond.nullish(),
  throttleRate: RatePerSecond.nullish(),
  metadata: Metadata.optional(),
  /** Deprecated upstream in favour of rotation; `null` generates a new secret. */
  secret: EndpointSecret.nullish(),
  ...extensionFields,
});
export type EndpointPatch = z.infer<typeof EndpointPatch>;

/** `PUT …/headers`: replaces every custom header. */
export const EndpointHeadersIn = z.strictObject({
  headers: EndpointHeaders,
});
export type EndpointHeadersIn = z.infer<typeof EndpointHeadersIn>;

/** `PATCH …/headers`: sets `headers`, removes `deleteHeaders` (names compared case-insensitively). */
export const EndpointHeadersPatchIn = z.strictObject({
  headers: EndpointHeaders,
  deleteHeaders: z.array(z.string().min(1).max(256)).optional(),
});
export type EndpointHeadersPatchIn = z.infer<typeof EndpointHeadersPatchIn>;

export const DEFAULT_SECRET_GRACE_SECONDS = 86_400;

/** `POST …/secret/rotate`: the old secret keeps signing for the grace period. */
export const EndpointSecretRotateIn = z.strictObject({
  key: EndpointSecret.nullish(),
  gracePeriodSeconds: z.number().int().min(0).max(604_800).nullish(),
});
export type EndpointSecretRotateIn = z.infer<typeof EndpointSecretRotateIn>;

/** Wire shape of Svix's `EndpointOut` plus Herald's extension fields; timestamps are ISO-8601 strings. */
export interface EndpointOut {
  id: string;
  uid: string | null;
  url: string;
  description: string;
  version: number;
  disabled: boolean;
  filterTypes: string[] | null;
  channels: string[] | null;
  rateLimit: number | null;
  throttleRate: number | null;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  /** Herald extensions. */
  filter: PayloadFilter | null;
  retrySchedule: number[] | null;
  fifo: boolean;
  type: EndpointType;
  settings: Record<string, unknown>;
}

/** Sensitive headers are listed by name in `sensitive` and left out of `headers`. */
export interface EndpointHeadersOut {
  headers: Record<string, string>;
  sensitive: string[];
}

export interface EndpointSecretOut {
  key: string;
}

/**
 * What an endpoint of each type needs: a webhook a URL and no settings, a
 * kafka endpoint its topic settings, a queue endpoint its queue settings.
 */
export function endpointKindProblems(endpoint: { type: EndpointType; url: string | null | undefined; settings: unknown }): FieldError[] {
  const settings = endpoint.settings ?? {};
  if (endpoint.type === 'webhook') {
    const problems: FieldError[] = [];
    if (!endpoint.url) problems.push({ path: 'body.url', message: 'is required for a webhook endpoint' });
    if (Object.keys(settings as object).length > 0) problems.push({ path: 'body.settings', message: 'webhook endpoints take no settings' });
    return problems;
  }
  const schema = endpoint.type === 'kafka' ? KafkaEndpointSettings : QueueEndpointSettings;
  const parsed = schema.safeParse(settings);
  return parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ path: ['body.settings', ...issue.path.map(String)].join('.'), message: issue.message }));
}
