import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type JsonValue,
  MAX_FILTER_CONDITIONS,
  MAX_FILTER_DEPTH,
  MAX_FILTER_PATH_SEGMENTS,
  matchesPayloadFilter,
  PayloadFilter,
} from '../src';

const PAYLOAD = {
  type: 'invoice.paid',
  data: {
    amount: 1500,
    currency: 'EUR',
    ratio: 0.25,
    customer: { id: 'cus_1', vip: true, tags: ['a', 'b'] },
    note: null,
    zero: 0,
    empty: '',
  },
  items: [
    { sku: 'A-1', qty: 2 },
    { sku: 'B-2', qty: 1 },
  ],
  'dotted.key': 1,
};

type Case = [what: string, filter: PayloadFilter, expected: boolean];

const CASES: Case[] = [
  // Literals (shorthand for $eq)
  ['an empty filter matches everything', {}, true],
  ['a top-level string literal', { type: 'invoice.paid' }, true],
  ['a different string literal', { type: 'invoice.voided' }, false],
  ['a nested number literal', { 'data.amount': 1500 }, true],
  ['a number literal against a string value', { 'data.currency': 1500 }, false],
  ['a string literal against a number value (no coercion)', { 'data.amount': '1500' }, false],
  ['false against 0 (no coercion)', { 'data.zero': false }, false],
  ['"" against null (no coercion)', { 'data.note': '' }, false],
  ['a boolean literal', { 'data.customer.vip': true }, true],
  ['null matches a null value', { 'data.note': null }, true],
  ['null does not match a missing path', { 'data.missing': null }, false],
  ['an array literal, in order', { 'data.customer.tags': ['a', 'b'] }, true],
  ['an array literal, out of order', { 'data.customer.tags': ['b', 'a'] }, false],
  ['an object literal, whatever the key order', { 'items.0': { qty: 2, sku: 'A-1' } }, true],
  ['an object literal is equality, not a subset', { 'items.0': { sku: 'A-1' } }, false],
  ['several keys are ANDed (all true)', { type: 'invoice.paid', 'data.currency': 'EUR' }, true],
  ['several keys are ANDed (one false)', { type: 'invoice.paid', 'data.currency': 'USD' }, false],

  // $eq / $neq
  ['$eq on a number', { 'data.amount': { $eq: 1500 } }, true],
  ['$eq on a deep object', { 'data.customer': { $eq: { tags: ['a', 'b'], vip: true, id: 'cus_1' } } }, true],
  ['$eq with an object holding "$" keys', { 'data.customer': { $eq: { $id: 'cus_1' } } }, false],
  ['$eq on a missing path', { 'data.missing': { $eq: 1 } }, false],
  ['$neq on a different value', { 'data.currency': { $neq: 'USD' } }, true],
  ['$neq on the same value', { 'data.currency': { $neq: 'EUR' } }, false],
  ['$neq on a missing path', { 'data.missing': { $neq: 'EUR' } }, true],
  ['$neq across types', { 'data.amount': { $neq: '1500' } }, true],

  // $gt $gte $lt $lte
  ['$gt below', { 'data.amount': { $gt: 1000 } }, true],
  ['$gt equal', { 'data.amount': { $gt: 1500 } }, false],
  ['$gte equal', { 'data.amount': { $gte: 1500 } }, true],
  ['$gte above', { 'data.amount': { $gte: 1501 } }, false],
  ['$lt above', { 'data.amount': { $lt: 2000 } }, true],
  ['$lt equal', { 'data.amount': { $lt: 1500 } }, false],
  ['$lte equal', { 'data.amount': { $lte: 1500 } }, true],
  ['$lte below', { 'data.amount': { $lte: 1499 } }, false],
  ['$gt on a fraction', { 'data.ratio': { $gt: 0.2 } }, true],
  ['a range, inside', { 'data.amount': { $gt: 1000, $lt: 2000 } }, true],
  ['a range, outside', { 'data.amount': { $gt: 1000, $lt: 1200 } }, false],
  ['$gt on strings', { 'data.currency': { $gt: 'ABC' } }, true],
  ['$lt on strings', { 'data.currency': { $lt: 'EUA' } }, false],
  ['$gte on equal strings', { 'data.currency': { $gte: 'EUR' } }, true],
  ['$lte on the empty string', { 'data.empty': { $lte: '' } }, true],
  ['$gt: a number against a string value', { 'data.currency': { $gt: 1 } }, false],
  ['$lt: a string against a number value', { 'data.amount': { $lt: '9999' } }, false],
  ['$gte against null', { 'data.note': { $gte: 0 } }, false],
  ['$lte against a boolean', { 'data.customer.vip': { $lte: 1 } }, false],
  ['$gt against an object', { 'data.customer': { $gt: 'a' } }, false],
  ['$gt against an array', { 'data.customer.tags': { $gt: 'a' } }, false],
  ['$gt on a missing path', { 'data.missing': { $gt: 0 } }, false],
  ['$lt on a missing path', { 'data.missing': { $lt: 0 } }, false],

  // $in / $nin
  ['$in, listed', { 'data.currency': { $in: ['USD', 'EUR'] } }, true],
  ['$in, not listed', { 'data.currency': { $in: ['USD', 'GBP'] } }, false],
  ['$in, empty list', { 'data.currency': { $in: [] } }, false],
  ['$in compares deeply', { 'items.1': { $in: [{ sku: 'B-2', qty: 1 }, 'x'] } }, true],
  ['$in does not coerce', { 'data.amount': { $in: ['1500'] } }, false],
  ['$in with null, on a null value', { 'data.note': { $in: [null] } }, true],
  ['$in on a missing path', { 'data.missing': { $in: [null, 1] } }, false],
  ['$nin, not listed', { 'data.currency': { $nin: ['USD'] } }, true],
  ['$nin, listed', { 'data.currency': { $nin: ['USD', 'EUR'] } }, false],
  ['$nin, empty list', { 'data.currency': { $nin: [] } }, true],
  ['$nin on a missing path', { 'data.missing': { $nin: [1] } }, true],

  // $exists
  ['$exists true, present', { 'data.amount': { $exists: true } }, true],
  ['$exists true, null counts as present', { 'data.note': { $exists: true } }, true],
  ['$exists true, missing', { 'data.missing': { $exists: true } }, false],
  ['$exists false, missing', { 'data.missing': { $exists: false } }, true],
  ['$exists false, present', { 'data.amount': { $exists: false } }, false],
  ['$exists with another operator', { 'data.amount': { $exists: true, $gt: 2000 } }, false],

  // Paths
  ['arrays by index', { 'items.0.sku': 'A-1' }, true],
  ['arrays by index, second item', { 'items.1.qty': { $lt: 2 } }, true],
  ['a nested array by index', { 'data.customer.tags.1': 'b' }, true],
  ['an index past the end', { 'items.2.sku': { $exists: true } }, false],
  ['a negative index', { 'items.-1.sku': { $exists: true } }, false],
  ['a non-canonical index', { 'items.01.sku': 'B-2' }, false],
  ['a name on an array', { 'items.sku': { $exists: true } }, false],
  ['array length is not a path', { 'items.length': 2 }, false],
  ['a path through a string', { 'type.length': 12 }, false],
  ['a path through a number', { 'data.amount.0': { $exists: true } }, false],
  ['a path through null', { 'data.note.x': { $exists: false } }, true],
  ['a missing intermediate', { 'data.nothing.deeper': { $exists: true } }, false],
  ['inherited properties are not followed', { 'data.constructor': { $exists: true } }, false],
  ['__proto__ is not followed', { 'data.__proto__': { $exists: true } }, false],
  ['toString is not followed', { 'items.toString': { $exists: true } }, false],
  ['a key holding a dot cannot be addressed', { 'dotted.key': 1 }, false],

  // Logical operators
  ['$and, all true', { $and: [{ type: 'invoice.paid' }, { 'data.amount': { $gt: 1000 } }] }, true],
  ['$and, one false', { $and: [{ type: 'invoice.paid' }, { 'data.amount': { $gt: 2000 } }] }, false],
  ['$or, one true', { $or: [{ type: 'x' }, { 'data.currency': 'EUR' }] }, true],
  ['$or, none true', { $or: [{ type: 'x' }, { 'data.currency': 'USD' }] }, false],
  ['$not of false', { $not: { type: 'x' } }, true],
  ['$not of true', { $not: { type: 'invoice.paid' } }, false],
  ['$not of $not', { $not: { $not: { type: 'invoice.paid' } } }, true],
  ['a path next to a logical operator (ANDed)', { type: 'invoice.paid', $or: [{ 'data.amount': 1 }, { 'items.0.qty': 2 }] }, true],
  ['a path next to a logical operator, path false', { type: 'x', $or: [{ 'data.amount': 1500 }] }, false],
  ['$and next to $or', { $and: [{ 'data.zero': 0 }], $or: [{ 'data.zero': 1 }] }, false],
  [
    'deep nesting',
    {
      $or: [
        { $and: [{ type: 'invoice.paid' }, { $not: { 'data.customer.vip': false } }, { 'items.1.sku': { $in: ['B-2'] } }] },
        { 'items.5': { $exists: true } },
      ],
    },
    true,
  ],
  [
    'deep nesting, false',
    { $and: [{ $or: [{ type: 'a' }, { type: 'b' }] }, { $not: { $or: [{ 'data.zero': 1 }, { 'data.zero': 0 }] } }] },
    false,
  ],
];

describe('matchesPayloadFilter', () => {
  it.each(CASES)('%s', (_what, filter, expected) => {
    expect(PayloadFilter.safeParse(filter).success, 'the case must be a valid filter').toBe(true);
    expect(matchesPayloadFilter(filter, PAYLOAD)).toBe(expected);
    // $not inverts every case.
    expect(matchesPayloadFilter({ $not: filter }, PAYLOAD)).toBe(!expected);
  });

  it.each([
    ['null', null],
    ['a number', 42],
    ['a string', 'invoice.paid'],
    ['undefined', undefined],
  ])('treats every path as missing on %s', (_what, payload) => {
    expect(matchesPayloadFilter({}, payload)).toBe(true);
    expect(matchesPayloadFilter({ type: 'invoice.paid' }, payload)).toBe(false);
    expect(matchesPayloadFilter({ type: { $exists: false } }, payload)).toBe(true);
  });

  it('indexes a top-level array', () => {
    expect(matchesPayloadFilter({ '1.sku': 'B-2' }, PAYLOAD.items)).toBe(true);
    expect(matchesPayloadFilter({ '0.sku': 'B-2' }, PAYLOAD.items)).toBe(false);
  });

  it('matches nothing for a filter outside the grammar instead of throwing', () => {
    const invalid: unknown[] = [
      { $bogus: 1 },
      { a: { $regex: 'x' } },
      { $and: 'x' },
      { $or: {} },
      { $not: [1] },
      { a: { $in: 'a' } },
      { a: { $exists: 1 } },
    ];
    for (const filter of invalid) expect(matchesPayloadFilter(filter as PayloadFilter, { a: 'a' })).toBe(false);
    expect(matchesPayloadFilter(null as unknown as PayloadFilter, {})).toBe(false);
    expect(matchesPayloadFilter([] as unknown as PayloadFilter, {})).toBe(false);
  });

  it('stops at the depth limit even for a filter that was never validated', () => {
    let filter: PayloadFilter = { a: 1 };
    for (let i = 0; i < 10_000; i++) filter = { $not: filter };
    expect(() => matchesPayloadFilter(filter, { a: 1 })).not.toThrow();
  });

  it('handles payloads that are not plain JSON', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(matchesPayloadFilter({ 'self.self.self.a': 1 }, cyclic)).toBe(true);
    expect(matchesPayloadFilter({ self: { $eq: { a: 1 } } }, cyclic)).toBe(false);
    const hostile = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(matchesPayloadFilter({ boom: 1 }, hostile)).toBe(false);
    expect(matchesPayloadFilter({ 'a.b': { $eq: [1, 2] } }, { a: { b: new Array(3) } })).toBe(false);
  });
});

/** Nests `leaf` inside `levels - 1` `$not`s: a filter `levels` deep. */
function nested(levels: number, leaf: PayloadFilter = { a: 1 }): PayloadFilter {
  let filter = leaf;
  for (let i = 1; i < levels; i++) filter = { $not: filter };
  return filter;
}

function issuesOf(filter: unknown) {
  const result = PayloadFilter.safeParse(filter);
  expect(result.success).toBe(false);
  return result.error!.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

describe('PayloadFilter schema', () => {
  it('accepts filters right at the limits', () => {
    const conditions = Object.fromEntries(Array.from({ length: MAX_FILTER_CONDITIONS }, (_, i) => [`f${i}`, i]));
    expect(PayloadFilter.safeParse(conditions).success).toBe(true);
    expect(PayloadFilter.safeParse(nested(MAX_FILTER_DEPTH)).success).toBe(true);
    const longPath = Array.from({ length: MAX_FILTER_PATH_SEGMENTS }, () => 'a').join('.');
    expect(PayloadFilter.safeParse({ [longPath]: 1 }).success).toBe(true);
    expect(PayloadFilter.safeParse({ a: { $in: Array.from({ length: 256 }, (_, i) => i) } }).success).toBe(true);
  });

  it('refuses more than 64 conditions, counting every operator and every level', () => {
    const flat = Object.fromEntries(Array.from({ length: MAX_FILTER_CONDITIONS + 1 }, (_, i) => [`f${i}`, i]));
    expect(issuesOf(flat)).toContainEqual({ path: '', message: 'has more than 64 conditions' });
    const operators = { a: { $gt: 1, $lt: 9 } };
    const spread = { $or: Array.from({ length: 33 }, () => operators) };
    expect(issuesOf(spread)).toContainEqual({ path: '', message: 'has more than 64 conditions' });
    expect(PayloadFilter.safeParse({ $or: Array.from({ length: 32 }, () => operators) }).success).toBe(true);
  });

  it('refuses nesting deeper than 8 levels, however wide', () => {
    expect(issuesOf(nested(MAX_FILTER_DEPTH + 1))).toContainEqual({ path: '', message: 'nests deeper than 8 levels of $and/$or/$not' });
    let deep: PayloadFilter = { a: 1 };
    for (let i = 0; i < 100_000; i++) deep = { $and: [deep] };
    expect(issuesOf(deep).map((issue) => issue.message)).toContain('nests deeper than 8 levels of $and/$or/$not');
    const wide = { $or: Array.from({ length: 64 }, () => ({ $or: Array.from({ length: 64 }, () => ({ $not: {} })) })) };
    expect(() => PayloadFilter.safeParse(wide)).not.toThrow();
    expect(PayloadFilter.safeParse(wide).success).toBe(false);
  });

  it.each<[string, unknown, string, string | RegExp]>([
    ['an array', [], '', /record/i],
    ['a string', 'type = x', '', /record/i],
    ['an unknown logical operator', { $xor: [] }, '$xor', /not a logical operator/],
    ['$and that is not an array', { $and: { a: 1 } }, '$and', 'must be an array of filters'],
    ['an empty $or', { $or: [] }, '$or', 'must have at least one filter'],
    ['$not that is not an object', { $not: [{ a: 1 }] }, '$not', 'must be a filter object'],
    ['an element of $and that is not an object', { $and: [{ a: 1 }, 2] }, '$and.1', 'must be a filter object'],
    ['an empty nested filter', { $and: [{}] }, '$and.0', 'must not be an empty filter'],
    ['an unknown comparison operator', { a: { $regex: '^x' } }, 'a.$regex', /not a comparison operator/],
    ['$gt with a boolean', { a: { $gt: true } }, 'a.$gt', 'must be a number or a string'],
    ['$lte with null', { a: { $lte: null } }, 'a.$lte', 'must be a number or a string'],
    ['$lt with an array', { a: { $lt: [1] } }, 'a.$lt', 'must be a number or a string'],
    ['$in with a scalar', { a: { $in: 'x' } }, 'a.$in', 'must be an array'],
    ['$nin with an object', { a: { $nin: { b: 1 } } }, 'a.$nin', 'must be an array'],
    ['$in over 256 items', { a: { $in: Array.from({ length: 257 }, (_, i) => i) } }, 'a.$in', 'must have at most 256 items'],
    ['$exists with a string', { a: { $exists: 'yes' } }, 'a.$exists', 'must be a boolean'],
    ['operators mixed with fields', { a: { $eq: 1, b: 2 } }, 'a', /mixes operators and fields/],
    ['an empty path segment', { 'a..b': 1 }, 'a..b', /not a valid path/],
    ['a leading dot', { '.a': 1 }, '.a', /not a valid path/],
    ['a trailing dot', { 'a.': 1 }, 'a.', /not a valid path/],
    ['an empty path', { '': 1 }, '', /not a valid path/],
    ['a path of 33 segments', { [Array.from({ length: 33 }, () => 'a').join('.')]: 1 }, Array(33).fill('a').join('.'), /more than 32/],
    ['a NUL in a path', { 'a\u0000': 1 }, 'a\u0000', 'must not contain NUL characters'],
    ['a NUL in a literal', { a: { b: ['x\u0000'] } }, 'a', 'must not contain NUL characters'],
    ['a NUL in an operand', { a: { $in: ['\u0000'] } }, 'a.$in', 'must not contain NUL characters'],
    ['a literal nested too deep', { a: { $eq: nestedArray(40) } }, 'a.$eq', /nest deeper than 32/],
    ['a nested failure', { $or: [{ a: 1 }, { $not: { b: { $gt: {} } } }] }, '$or.1.$not.b.$gt', 'must be a number or a string'],
  ])('refuses %s, naming where', (_what, filter, path, message) => {
    const issues = issuesOf(filter);
    expect(issues.map((issue) => issue.path)).toContain(path);
    const found = issues.find((issue) => issue.path === path)!;
    if (typeof message === 'string') expect(found.message).toBe(message);
    else expect(found.message).toMatch(message);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 6 }), (input) => {
        PayloadFilter.safeParse(input);
      }),
      { numRuns: 500 },
    );
  });
});

function nestedArray(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

// Properties: filters and payloads drawn from a shared vocabulary, so paths often hit.
const KEYS = ['a', 'b', 'c', '0', '1'];
const scalar: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.constantFrom<JsonValue>(null, true, false, 0, 1, -1, 2.5, '', 'a', 'b'),
  fc.integer({ min: -5, max: 5 }),
  fc.string({ maxLength: 3 }),
);
const payloadArb: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 4 }),
  ),
})).value;
const anyPayload = fc.oneof(payloadArb, fc.jsonValue({ maxDepth: 4 }), fc.anything({ maxDepth: 3 }));

const path = fc.array(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 3 }).map((segments) => segments.join('.'));
const literal: fc.Arbitrary<JsonValue> = fc.oneof(scalar, payloadArb, fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>);
const comparable = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 2 }),
);
const operator = fc.oneof(
  fc.record({ $eq: literal }),
  fc.record({ $neq: literal }),
  fc.record({ $gt: comparable }),
  fc.record({ $gte: comparable }),
  fc.record({ $lt: comparable }),
  fc.record({ $lte: comparable }),
  fc.record({ $in: fc.array(literal, { maxLength: 4 }) }),
  fc.record({ $nin: fc.array(literal, { maxLength: 4 }) }),
  fc.record({ $exists: fc.boolean() }),
);
/** One or two operators on one path. */
const operators = fc.oneof(
  operator,
  fc.tuple(operator, operator).map(([a, b]) => ({ ...a, ...b })),
);
/** At most 2 paths of at most 2 operators: 4 conditions. */
const leaf = fc.dictionary(path, fc.oneof(literal, operators), { minKeys: 1, maxKeys: 2 }) as fc.Arbitrary<PayloadFilter>;

/**
 * Filters `levels` deep at most. Conditions grow as c(1) = 4 and
 * c(n) = 4 + 2 c(n - 1), so 4 levels hold at most 60: inside the limit.
 */
function filterArb(levels: number): fc.Arbitrary<PayloadFilter> {
  if (levels <= 1) return leaf;
  const child = filterArb(levels - 1);
  const children = fc.array(child, { minLength: 1, maxLength: 2 });
  return fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.record({ $and: children }),
    fc.record({ $or: children }),
    fc.record({ $not: child }),
    fc.tuple(leaf, fc.oneof(fc.record({ $and: children }), fc.record({ $or: children }))).map(([a, b]) => ({ ...a, ...b })),
  ) as fc.Arbitrary<PayloadFilter>;
}

/** Valid filters (the filter only drops the rare NUL or "$"-keyed literal), wrappable in `$not`. */
const validFilter = filterArb(4).filter((filter) => PayloadFilter.safeParse(filter).success);

describe('matchesPayloadFilter properties', () => {
  it('never throws, for arbitrary payloads and valid filters, and $not inverts', () => {
    fc.assert(
      fc.property(validFilter, anyPayload, (filter, payload) => {
        const matched = matchesPayloadFilter(filter, payload);
        expect(typeof matched).toBe('boolean');
        expect(PayloadFilter.safeParse({ $not: filter }).success).toBe(true);
        expect(matchesPayloadFilter({ $not: filter }, payload)).toBe(!matched);
      }),
      { numRuns: 1000 },
    );
  });

  it('$and is conjunction and $or disjunction', () => {
    fc.assert(
      fc.property(validFilter, validFilter, payloadArb, (f, g, payload) => {
        const [a, b] = [matchesPayloadFilter(f, payload), matchesPayloadFilter(g, payload)];
        expect(matchesPayloadFilter({ $and: [f, g] }, payload)).toBe(a && b);
        expect(matchesPayloadFilter({ $or: [f, g] }, payload)).toBe(a || b);
      }),
      { numRuns: 300 },
    );
  });

  it('a literal is shorthand for $eq, and $nin is the negation of $in', () => {
    fc.assert(
      fc.property(path, scalar, fc.array(literal, { maxLength: 3 }), payloadArb, (at, value, list, payload) => {
        expect(matchesPayloadFilter({ [at]: value }, payload)).toBe(matchesPayloadFilter({ [at]: { $eq: value as JsonValue } }, payload));
        expect(matchesPayloadFilter({ [at]: { $nin: list } }, payload)).toBe(!matchesPayloadFilter({ [at]: { $in: list } }, payload));
        expect(matchesPayloadFilter({ [at]: { $exists: false } }, payload)).toBe(
          !matchesPayloadFilter({ [at]: { $exists: true } }, payload),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('never throws for arbitrary, unvalidated filters', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), anyPayload, (filter, payload) => {
        expect(typeof matchesPayloadFilter(filter as PayloadFilter, payload)).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });
});
