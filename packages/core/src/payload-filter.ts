import { z } from 'zod';
import { jsonDepth } from './schemas/message';

/**
 * Endpoint payload filters, in the style of Convoy and Outpost.
 *
 * A filter is an object whose keys are ANDed. A key is either a logical
 * operator (`$and: Filter[]`, `$or: Filter[]`, `$not: Filter`) or a dotted
 * path into the payload (`"data.amount"`, `"items.0.sku"`) whose value is a
 * literal (shorthand for `$eq`) or an object of comparison operators
 * (`$eq $neq $gt $gte $lt $lte $in $nin $exists`). See docs/api.md.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * A filter as JSON: the grammar (above) is enforced by the `PayloadFilter`
 * schema, not by this type, which must stay plain JSON for the API's typing.
 */
export type PayloadFilter = { [key: string]: JsonValue };

/** Comparison operators across the whole filter (a literal counts as one `$eq`). */
export const MAX_FILTER_CONDITIONS = 64;
/** Nesting of filter objects: the top-level filter is depth 1, each `$and`/`$or`/`$not` adds one. */
export const MAX_FILTER_DEPTH = 8;
/** Segments of one dotted path. */
export const MAX_FILTER_PATH_SEGMENTS = 32;
/** Characters of one dotted path. */
export const MAX_FILTER_PATH_LENGTH = 1024;
/** Values of one `$in`/`$nin` list. */
export const MAX_FILTER_LIST_ITEMS = 256;
/** Nesting of a literal value compared against the payload. */
export const MAX_FILTER_LITERAL_DEPTH = 32;

const LOGICAL = new Set(['$and', '$or', '$not']);
const COMPARISONS = new Set(['$eq', '$neq', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists']);
const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** An object value is an operator object when it has keys and every one starts with `$`. */
const isOperatorObject = (value: unknown): value is Record<string, unknown> =>
  isPlainObject(value) && Object.keys(value).length > 0 && Object.keys(value).every((key) => key.startsWith('$'));

type Issue = { path: (string | number)[]; message: string };

/** True when a JSON value holds a NUL character in a string or key (PostgreSQL jsonb refuses them). */
function hasNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node === 'string') {
      if (node.includes('\u0000')) return true;
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (key.includes('\u0000')) return true;
        stack.push(child);
      }
    }
  }
  return false;
}

function checkLiteral(value: unknown, path: (string | number)[], issues: Issue[]) {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
    issues.push({ path, message: 'must be a JSON value' });
  } else if (typeof value === 'number' && !Number.isFinite(value)) {
    issues.push({ path, message: 'must be a finite number' });
  } else if (jsonDepth(value, MAX_FILTER_LITERAL_DEPTH) > MAX_FILTER_LITERAL_DEPTH) {
    issues.push({ path, message: `must not nest deeper than ${MAX_FILTER_LITERAL_DEPTH} levels` });
  } else if (hasNul(value)) {
    issues.push({ path, message: 'must not contain NUL characters' });
  }
}

function checkPath(key: string, path: (string | number)[], issues: Issue[]): boolean {
  if (key.length > MAX_FILTER_PATH_LENGTH) {
    issues.push({ path, message: `is a path longer than ${MAX_FILTER_PATH_LENGTH} characters` });
    return false;
  }
  if (key.includes('\u0000')) {
    issues.push({ path, message: 'must not contain NUL characters' });
    return false;
  }
  const segments = key.split('.');
  if (segments.length > MAX_FILTER_PATH_SEGMENTS) {
    issues.push({ path, message: `is a path of more than ${MAX_FILTER_PATH_SEGMENTS} segments` });
    return false;
  }
  if (segments.some((segment) => segment.length === 0)) {
    issues.push({ path, message: 'is not a valid path: segments are separated by single dots and may not be empty' });
    return false;
  }
  return true;
}

/** Checks one path's operator object; returns the number of conditions it holds. */
function checkOperators(operators: Record<string, unknown>, path: (string | number)[], issues: Issue[]): number {
  let conditions = 0;
  for (const [op, operand] of Object.entries(operators)) {
    const at = [...path, op];
    conditions++;
    switch (op) {
      case '$eq':
      case '$neq':
        checkLiteral(operand, at, issues);
        break;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        if (typeof operand === 'string') checkLiteral(operand, at, issues);
        else if (typeof operand !== 'number' || !Number.isFinite(operand))
          issues.push({ path: at, message: 'must be a number or a string' });
        break;
      case '$in':
      case '$nin':
        if (!Array.isArray(operand)) issues.push({ path: at, message: 'must be an array' });
        else if (operand.length > MAX_FILTER_LIST_ITEMS)
          issues.push({ path: at, message: `must have at most ${MAX_FILTER_LIST_ITEMS} items` });
        else checkLiteral(operand, at, issues);
        break;
      case '$exists':
        if (typeof operand !== 'boolean') issues.push({ path: at, message: 'must be a boolean' });
        break;
      default:
        issues.push({
          path: at,
          message: `is not a comparison operator (expected one of ${[...COMPARISONS].join(', ')})`,
        });
    }
  }
  return conditions;
}

/**
 * Every problem of a would-be filter, each with the path inside the filter
 * where it was found. Walks iteratively and stops descending at the depth
 * and condition limits, so hostile input costs little.
 */
export function payloadFilterIssues(filter: unknown): Issue[] {
  const issues: Issue[] = [];
  let conditions = 0;
  let tooDeep = false;
  let nodes = 0;
  const stack: { node: unknown; path: (string | number)[]; depth: number }[] = [{ node: filter, path: [], depth: 1 }];
  while (stack.length > 0) {
    const { node, path, depth } = stack.pop()!;
    if (depth > MAX_FILTER_DEPTH) {
      tooDeep = true;
      continue;
    }
    if (!isPlainObject(node)) {
      issues.push({ path, message: 'must be a filter object' });
      continue;
    }
    // A valid filter has at most one filter object per condition and level; more means it is refused anyway.
    if (++nodes > MAX_FILTER_CONDITIONS * MAX_FILTER_DEPTH) {
      issues.push({ path: [], message: `is too large: at most ${MAX_FILTER_CONDITIONS} conditions` });
      break;
    }
    const keys = Object.keys(node);
    // An empty filter matches everything: fine on its own, meaningless (and unbounded in number) nested.
    if (keys.length === 0 && depth > 1) issues.push({ path, message: 'must not be an empty filter' });
    for (const key of keys) {
      const value = node[key];
      const at = [...path, key];
      if (key === '$and' || key === '$or') {
        if (!Array.isArray(value)) issues.push({ path: at, message: 'must be an array of filters' });
        else if (value.length === 0) issues.push({ path: at, message: 'must have at least one filter' });
        else if (value.length > MAX_FILTER_CONDITIONS)
          issues.push({ path: at, message: `must have at most ${MAX_FILTER_CONDITIONS} filters` });
        else for (const [index, child] of value.entries()) stack.push({ node: child, path: [...at, index], depth: depth + 1 });
      } else if (key === '$not') {
        stack.push({ node: value, path: at, depth: depth + 1 });
      } else if (key.startsWith('$')) {
        issues.push({ path: at, message: `is not a logical operator (expected ${[...LOGICAL].join(', ')}) nor a path` });
      } else if (checkPath(key, at, issues)) {
        if (isOperatorObject(value)) {
          conditions += checkOperators(value, at, issues);
        } else if (isPlainObject(value) && Object.keys(value).some((k) => k.startsWith('$'))) {
          issues.push({ path: at, message: 'mixes operators and fields: use {"$eq": {…}} to compare with an object holding "$" keys' });
        } else {
          conditions++;
          checkLiteral(value, at, issues);
        }
      }
      if (conditions > MAX_FILTER_CONDITIONS) break;
    }
    if (conditions > MAX_FILTER_CONDITIONS) break;
  }
  if (conditions > MAX_FILTER_CONDITIONS) issues.push({ path: [], message: `has more than ${MAX_FILTER_CONDITIONS} conditions` });
  if (tooDeep) issues.push({ path: [], message: `nests deeper than ${MAX_FILTER_DEPTH} levels of $and/$or/$not` });
  return issues;
}

/** A payload filter, checked against the grammar and its limits; every failure names where in the filter. */
export const PayloadFilter = z
  .record(z.string(), z.unknown())
  .superRefine((filter, ctx) => {
    for (const issue of payloadFilterIssues(filter)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  })
  .describe(
    'Payload filter: keys are ANDed; each is $and/$or (arrays of filters), $not (a filter) or a dotted path whose value is a ' +
      'literal or an object of $eq $neq $gt $gte $lt $lte $in $nin $exists. At most 64 conditions, depth 8.',
  ) as unknown as z.ZodType<PayloadFilter, Record<string, unknown>>;

const MISSING = Symbol('missing');

/** The value at a dotted path, or MISSING. Only own properties are followed; arrays take canonical indexes. */
function lookup(payload: unknown, path: string): unknown {
  let node: unknown = payload;
  for (const segment of path.split('.', MAX_FILTER_PATH_SEGMENTS + 1)) {
    if (Array.isArray(node)) {
      if (!ARRAY_INDEX.test(segment)) return MISSING;
      const index = Number(segment);
      if (index >= node.length) return MISSING;
      node = node[index];
    } else if (node !== null && typeof node === 'object') {
      if (!Object.hasOwn(node, segment)) return MISSING;
      node = (node as Record<string, unknown>)[segment];
    } else {
      return MISSING;
    }
  }
  return node === undefined ? MISSING : node;
}

/**
 * Deep JSON equality: objects by their keys whatever the order, arrays in
 * order. Iterative, and driven by the (bounded) expected side, so it ends on
 * any payload.
 */
function jsonEqual(actual: unknown, expected: unknown): boolean {
  const stack: [unknown, unknown][] = [[actual, expected]];
  while (stack.length > 0) {
    const [a, b] = stack.pop()!;
    if (a === b) continue;
    if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) return false;
      for (let i = 0; i < b.length; i++) stack.push([a[i], b[i]]);
      continue;
    }
    const bKeys = Object.keys(b);
    if (Object.keys(a).length !== bKeys.length) return false;
    for (const key of bKeys) {
      if (!Object.hasOwn(a, key)) return false;
      stack.push([(a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]]);
    }
  }
  return true;
}

/** Numbers compare with numbers and strings with strings (UTF-16 code unit order); anything else is false. */
function compare(actual: unknown, expected: unknown, test: (order: number) => boolean): boolean {
  if (typeof actual === 'number' && typeof expected === 'number') {
    return test(actual < expected ? -1 : actual > expected ? 1 : 0) && !Number.isNaN(actual) && !Number.isNaN(expected);
  }
  if (typeof actual === 'string' && typeof expected === 'string') return test(actual < expected ? -1 : actual > expected ? 1 : 0);
  return false;
}

function matchesOperator(op: string, operand: unknown, actual: unknown): boolean {
  const present = actual !== MISSING;
  switch (op) {
    case '$eq':
      return present && jsonEqual(actual, operand);
    case '$neq':
      return !(present && jsonEqual(actual, operand));
    case '$gt':
      return present && compare(actual, operand, (o) => o > 0);
    case '$gte':
      return present && compare(actual, operand, (o) => o >= 0);
    case '$lt':
      return present && compare(actual, operand, (o) => o < 0);
    case '$lte':
      return present && compare(actual, operand, (o) => o <= 0);
    case '$in':
      return present && Array.isArray(operand) && operand.some((item) => jsonEqual(actual, item));
    case '$nin':
      return Array.isArray(operand) && !(present && operand.some((item) => jsonEqual(actual, item)));
    case '$exists':
      return typeof operand === 'boolean' && present === operand;
    default:
      // Not a valid filter: match nothing rather than guess.
      return false;
  }
}

function evaluate(filter: unknown, payload: unknown, depth: number): boolean {
  if (depth > MAX_FILTER_DEPTH || !isPlainObject(filter)) return false;
  for (const [key, value] of Object.entries(filter)) {
    let ok: boolean;
    if (key === '$and') {
      ok = Array.isArray(value) && value.every((child) => evaluate(child, payload, depth + 1));
    } else if (key === '$or') {
      ok = Array.isArray(value) && value.some((child) => evaluate(child, payload, depth + 1));
    } else if (key === '$not') {
      ok = isPlainObject(value) && depth + 1 <= MAX_FILTER_DEPTH && !evaluate(value, payload, depth + 1);
    } else if (key.startsWith('$')) {
      ok = false;
    } else {
      const actual = lookup(payload, key);
      ok = isOperatorObject(value)
        ? Object.entries(value).every(([op, operand]) => matchesOperator(op, operand, actual))
        : matchesOperator('$eq', value, actual);
    }
    if (!ok) return false;
  }
  return true;
}

/**
 * True when the payload passes the filter. Never throws: a filter outside
 * the grammar (which `PayloadFilter` refuses) matches nothing, and recursion
 * is bounded by MAX_FILTER_DEPTH.
 */
export function matchesPayloadFilter(filter: PayloadFilter, payload: unknown): boolean {
  try {
    return evaluate(filter, payload, 1);
  } catch {
    return false;
  }
}
