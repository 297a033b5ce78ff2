import { createRequire } from 'node:module';
import { type FieldError, HeraldError } from '@herald/core';
import Ajv, { type AnySchemaObject, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import Ajv2019 from 'ajv/dist/2019.js';
import Ajv2020 from 'ajv/dist/2020.js';
import type { RegExpEngine } from 'ajv/dist/types/index.js';
import addFormats from 'ajv-formats';
import { and, eq, sql } from 'drizzle-orm';
import { RE2JS } from 're2js';
import type { Database } from './client';
import { eventTypes } from './schema';

/*
 * Event type JSON Schemas are written by API users and run on the ingest hot
 * path of a shared process, so a schema is treated as hostile input:
 *
 * - every compile gets a fresh Ajv instance: no schema of one organization can
 *   `$ref` another's by `$id`, and a reused `$id` never collides;
 * - no `loadSchema`: a remote `$ref` fails to compile instead of being fetched;
 * - `pattern` and `patternProperties` run on RE2 (linear time), not on the
 *   backtracking `RegExp`, so `^(a+)+$` cannot stall the event loop;
 * - `uniqueItems` is reimplemented in O(n log n) (Ajv's compares every pair);
 * - every subschema evaluation is metered: a schema whose `$ref`s fan out
 *   exponentially, or any other blow-up, is cut off after a fixed amount of
 *   work and the payload refused, instead of blocking the process;
 * - a schema that recurses without consuming data overflows the stack, which
 *   is caught and answered as a refusal;
 * - compiling is synchronous and costs roughly 0.2-0.5 ms per subschema, so an
 *   event type's schemas may hold at most MAX_SCHEMA_NODES subschemas in all,
 *   and one pattern at most MAX_PATTERN_INSTRUCTIONS RE2 instructions.
 */

/** Work units one payload may cost; calibrated to stay well under 100 ms. */
const DEFAULT_WORK_BUDGET = 10_000_000;
const DEFAULT_LOOKUP_TTL_MS = 1000;
const MAX_CACHED_LOOKUPS = 10_000;
const MAX_CACHED_VALIDATORS = 1000;
/** Subschemas across all versions of one event type: bounds compile time (about 0.5 s at worst). */
export const MAX_SCHEMA_NODES = 1000;
/** RE2 program size of one pattern: bounds what one test of a long string costs. */
const MAX_PATTERN_INSTRUCTIONS = 2000;

/** The metering keyword injected into every subschema; its value is the subschema's weight. */
const STEP = 'x-herald-step';

/** Keywords whose values are data, never schemas: left exactly as written. */
const DATA_KEYWORDS = new Set(['const', 'default', 'enum', 'examples', 'example', 'dependentRequired', '$vocabulary']);
/** Keywords whose values map names to schemas: their entries are schemas, the map itself is not. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas', 'dependencies']);

const requireJson = createRequire(import.meta.url);

function compilePattern(pattern: string): RE2JS {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(RE2JS.translateRegExp(pattern));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `pattern ${JSON.stringify(pattern)} is not supported (patterns run on RE2, which has no lookahead or backreferences): ${reason}`,
    );
  }
  const size = compiled.re2().numberOfInstructions() as number;
  if (size > MAX_PATTERN_INSTRUCTIONS) {
    throw new Error(
      `pattern ${JSON.stringify(pattern.slice(0, 100))} is too complex (${size} RE2 instructions; at most ${MAX_PATTERN_INSTRUCTIONS})`,
    );
  }
  return compiled;
}

/** What one pattern test costs per unit of input, next to a structural check. */
function patternWeight(pattern: unknown): number {
  if (typeof pattern !== 'string') return 0;
  try {
    return 30 + (compilePattern(pattern).re2().numberOfInstructions() as number);
  } catch {
    return 0; // the compile proper reports it
  }
}

const re2: RegExpEngine = Object.assign(
  (pattern: string, flags: string) => {
    const compiled = compilePattern(pattern);
    return {
      test: (input: string) => compiled.test(input),
      // Ajv dedupes compiled patterns by this string: it must name the pattern.
      toString: () => `/${pattern}/${flags}`,
    };
  },
  { code: 'herald.re2' },
);

/** Work done on the payload being validated; validation is synchronous, so one meter serves all. */
const meter = { units: 0, budget: Number.POSITIVE_INFINITY };
const OVER_BUDGET = Symbol('over budget');

function sizeOf(data: unknown): number {
  if (typeof data === 'string') return data.length >> 3;
  if (Array.isArray(data)) return data.length;
  if (data !== null && typeof data === 'object') {
    let keys = 0;
    for (const key in data) if (Object.hasOwn(data, key)) keys++;
    return keys;
  }
  return 0;
}

/** JSON equality as JSON Schema defines it: key order does not matter, array order does. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function uniqueItems(schema: boolean, data: unknown[]): boolean {
  if (!schema) return true;
  const seen = new Map<string, number>();
  for (let i = 0; i < data.length; i++) {
    const key = canonical(data[i]);
    const first = seen.get(key);
    if (first !== undefined) {
      uniqueItems.errors = [
        {
          keyword: 'uniqueItems',
          message: `must NOT have duplicate items (items ## ${first} and ${i} are identical)`,
          params: { i: first, j: i },
        },
      ];
      return false;
    }
    seen.set(key, i);
  }
  return true;
}
uniqueItems.errors = [] as Partial<ErrorObject>[];

const AJV_OPTIONS: Options = {
  allErrors: false,
  strict: false,
  logger: false,
  ownProperties: true,
  code: { regExp: re2 },
};

function newAjv(schema: AnySchemaObject): Ajv {
  const dialect = typeof schema.$schema === 'string' ? schema.$schema.replace(/#$/, '') : undefined;
  let ajv: Ajv;
  if (dialect === 'https://json-schema.org/draft/2020-12/schema') ajv = new Ajv2020(AJV_OPTIONS);
  else if (dialect === 'https://json-schema.org/draft/2019-09/schema') ajv = new Ajv2019(AJV_OPTIONS);
  else {
    ajv = new Ajv(AJV_OPTIONS);
    ajv.addMetaSchema(requireJson('ajv/dist/refs/json-schema-draft-06.json'));
  }
  addFormats(ajv);
  ajv.removeKeyword('uniqueItems');
  ajv.addKeyword({ keyword: 'uniqueItems', type: 'array', schemaType: 'boolean', validate: uniqueItems });
  ajv.addKeyword({
    keyword: STEP,
    schemaType: 'number',
    errors: false,
    validate: (weight: number, data: unknown) => {
      meter.units += weight * (1 + sizeOf(data));
      if (meter.units > meter.budget) throw OVER_BUDGET;
      return true;
    },
  });
  return ajv;
}

/** Roughly what evaluating one subschema costs per unit of data: its keywords, their direct entries, its patterns. */
function weightOf(node: Record<string, unknown>): number {
  let weight = 1;
  for (const [key, value] of Object.entries(node)) {
    weight += 1;
    if (key === 'pattern') weight += patternWeight(value);
    if (Array.isArray(value)) weight += value.length;
    else if (value !== null && typeof value === 'object') {
      for (const name of Object.keys(value)) weight += key === 'patternProperties' ? 1 + patternWeight(name) : 1;
    }
  }
  return weight;
}

/**
 * A copy of the schema with the metering keyword in every object that may be
 * evaluated as a schema (including under unknown keywords, which a `$ref` may
 * point into); data keywords are copied untouched. `count.nodes` tallies the
 * subschemas.
 */
function instrument(node: unknown, count: { nodes: number }): unknown {
  if (Array.isArray(node)) return node.map((item) => instrument(item, count));
  if (node === null || typeof node !== 'object') return node;
  count.nodes++;
  const source = node as Record<string, unknown>;
  const entries: [string, unknown][] = [];
  for (const [key, value] of Object.entries(source)) {
    if (key === STEP) continue;
    if (DATA_KEYWORDS.has(key)) entries.push([key, value]);
    else if (SCHEMA_MAPS.has(key) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      entries.push([key, Object.fromEntries(Object.entries(value).map(([name, entry]) => [name, instrument(entry, count)]))]);
    } else entries.push([key, instrument(value, count)]);
  }
  entries.push([STEP, weightOf(source)]);
  // fromEntries defines properties: a "__proto__" key stays a key instead of replacing the prototype.
  return Object.fromEntries(entries);
}

function messageOf(error: unknown): string {
  if (error instanceof RangeError) return 'schema is too large or too deeply nested to compile';
  return error instanceof Error ? error.message : String(error);
}

/** Compiles one JSON Schema the way the ingest path will run it; throws with the compiler's message. */
export function compilePayloadSchema(schema: Record<string, unknown>): ValidateFunction {
  return newAjv(schema).compile(instrument(schema, { nodes: 0 }) as AnySchemaObject);
}

/**
 * Throws a 422 naming `body.schemas.<version>` for every schema that does not
 * compile (or `body.schemas` when they are too large together): what is
 * stored is always what ingest can run.
 */
export function assertEventTypeSchemasCompile(schemas: Record<string, Record<string, unknown>> | null | undefined): void {
  if (!schemas) return;
  const errors: FieldError[] = [];
  const count = { nodes: 0 };
  for (const [version, schema] of Object.entries(schemas)) {
    try {
      instrument(schema, count);
    } catch (error) {
      errors.push({ path: `body.schemas.${version}`, message: messageOf(error) });
    }
  }
  if (count.nodes > MAX_SCHEMA_NODES) {
    const message = `hold ${count.nodes} subschemas in all; at most ${MAX_SCHEMA_NODES} are accepted per event type`;
    throw new HeraldError('validation', `body.schemas: ${message}`, [{ path: 'body.schemas', message }]);
  }
  if (errors.length === 0) {
    for (const [version, schema] of Object.entries(schemas)) {
      try {
        compilePayloadSchema(schema);
      } catch (error) {
        errors.push({ path: `body.schemas.${version}`, message: messageOf(error) });
      }
    }
  }
  const [first] = errors;
  if (!first) return;
  const detail = `${first.path}: ${first.message}`;
  throw new HeraldError('validation', errors.length > 1 ? `${detail} (and ${errors.length - 1} more)` : detail, errors);
}

/** The version ingest enforces: "1", or else the highest numeric version; none → nothing enforced. */
export function enforcedSchemaVersion(schemas: Record<string, unknown>): string | undefined {
  if (Object.hasOwn(schemas, '1')) return '1';
  let best: string | undefined;
  for (const version of Object.keys(schemas)) {
    if (!/^\d+$/.test(version)) continue;
    if (best === undefined || Number(version) > Number(best)) best = version;
  }
  return best;
}

function refused(path: string, message: string): HeraldError {
  return new HeraldError('validation', `${path}: ${message}`, [{ path, message }]);
}

const unescapePointer = (segment: string) => segment.replaceAll('~1', '/').replaceAll('~0', '~');

/** `body.payload` + the failing instance path, dotted; for a missing or extra property, that property too. */
function pathOf(error: ErrorObject): string {
  const segments = error.instancePath === '' ? [] : error.instancePath.slice(1).split('/').map(unescapePointer);
  const params = error.params as Record<string, unknown>;
  const named = params.missingProperty ?? params.additionalProperty ?? params.unevaluatedProperty;
  if (typeof named === 'string') segments.push(named);
  return ['body', 'payload', ...segments].join('.');
}

type PayloadValidator = (payload: unknown, budget: number) => void;

function payloadValidator(eventType: string, version: string, schema: unknown): PayloadValidator {
  let validate: ValidateFunction;
  try {
    if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) throw new Error('schema is not an object');
    validate = compilePayloadSchema(schema as Record<string, unknown>);
  } catch (error) {
    // Writes refuse schemas that do not compile, so this is a row written
    // some other way: refuse loudly rather than silently accept everything.
    const message = `the schema of event type "${eventType}" (version ${version}) does not compile: ${messageOf(error)}`;
    return () => {
      throw refused('body.payload', message);
    };
  }
  return (payload, budget) => {
    meter.units = 0;
    meter.budget = budget;
    let valid: boolean;
    try {
      valid = validate(payload) as boolean;
    } catch (error) {
      if (error === OVER_BUDGET) {
        throw refused('body.payload', `validating against the schema of event type "${eventType}" took too much work; simplify the schema`);
      }
      if (error instanceof RangeError) {
        throw refused('body.payload', `the payload is nested too deeply for the schema of event type "${eventType}"`);
      }
      throw error;
    } finally {
      meter.budget = Number.POSITIVE_INFINITY;
    }
    if (valid) return;
    const error = validate.errors?.[0];
    if (!error) throw refused('body.payload', 'does not match the event type schema');
    throw refused(pathOf(error), error.message ?? 'does not match the event type schema');
  };
}

interface ActiveSchema {
  /** `updated_at` to the microsecond: changes with every write to the row. */
  stamp: string;
  version: string;
  schema: unknown;
}

export interface PayloadSchemaChecker {
  /**
   * Resolves when the payload may be sent as this event type; throws a 422
   * HeraldError (`body.payload...`) when it does not match the schema the
   * organization's non-archived event type of that name declares.
   */
  check(orgId: string, eventType: string, payload: unknown): Promise<void>;
}

export interface PayloadSchemaCheckerOptions {
  /** How long one event type lookup is trusted; default 1000 ms. */
  lookupTtlMs?: number;
  /** Work units one payload may cost before it is refused. */
  workBudget?: number;
}

/**
 * Enforces event type JSON Schemas at ingest. Lookups are cached per process
 * for at most `lookupTtlMs`; compiled validators per (org, name, updated_at),
 * so a schema change applies within a second and nothing compiles per request.
 */
export function createPayloadSchemaChecker(db: Database, options: PayloadSchemaCheckerOptions = {}): PayloadSchemaChecker {
  const ttl = options.lookupTtlMs ?? DEFAULT_LOOKUP_TTL_MS;
  const budget = options.workBudget ?? DEFAULT_WORK_BUDGET;
  const lookups = new Map<string, { expiresAt: number; active: Promise<ActiveSchema | null> }>();
  const validators = new Map<string, { stamp: string; version: string; validate: PayloadValidator }>();

  async function load(orgId: string, name: string): Promise<ActiveSchema | null> {
    const [row] = await db
      .select({ schemas: eventTypes.schemas, archived: eventTypes.archived, stamp: sql<string>`${eventTypes.updatedAt}::text` })
      .from(eventTypes)
      .where(and(eq(eventTypes.orgId, orgId), eq(eventTypes.name, name)))
      .limit(1);
    if (!row || row.archived || row.schemas === null || typeof row.schemas !== 'object') return null;
    const version = enforcedSchemaVersion(row.schemas);
    return version === undefined ? null : { stamp: row.stamp, version, schema: row.schemas[version] };
  }

  function lookup(key: string, orgId: string, name: string): Promise<ActiveSchema | null> {
    const now = Date.now();
    const cached = lookups.get(key);
    if (cached && cached.expiresAt > now) return cached.active;
    if (lookups.size >= MAX_CACHED_LOOKUPS) {
      for (const [k, entry] of lookups) if (entry.expiresAt <= now) lookups.delete(k);
      if (lookups.size >= MAX_CACHED_LOOKUPS) lookups.clear();
    }
    // Concurrent checks of one event type share one query.
    const active = load(orgId, name);
    const entry = { expiresAt: now + ttl, active };
    lookups.set(key, entry);
    active.catch(() => {
      if (lookups.get(key) === entry) lookups.delete(key);
    });
    return active;
  }

  function validatorFor(key: string, name: string, active: ActiveSchema): PayloadValidator {
    const cached = validators.get(key);
    validators.delete(key);
    if (cached && cached.stamp === active.stamp && cached.version === active.version) {
      validators.set(key, cached); // most recently used last: eviction takes the oldest
      return cached.validate;
    }
    const validate = payloadValidator(name, active.version, active.schema);
    if (validators.size >= MAX_CACHED_VALIDATORS) {
      const oldest = validators.keys().next().value;
      if (oldest !== undefined) validators.delete(oldest);
    }
    validators.set(key, { stamp: active.stamp, version: active.version, validate });
    return validate;
  }

  return {
    async check(orgId, eventType, payload) {
      const key = `${orgId}\u0000${eventType}`;
      const active = await lookup(key, orgId, eventType);
      if (!active) return;
      validatorFor(key, eventType, active)(payload, budget);
    },
  };
}
