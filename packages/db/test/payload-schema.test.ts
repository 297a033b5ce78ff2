import { HeraldError } from '@herald/core';
import {
  assertEventTypeSchemasCompile,
  createEventType,
  createOrganization,
  createPayloadSchemaChecker,
  type Database,
  type DatabaseHandle,
  deleteEventType,
  enforcedSchemaVersion,
  MAX_SCHEMA_NODES,
  patchEventType,
  upsertEventType,
} from '@herald/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../../../test/support/harness';

const PAYMENT_SCHEMA = {
  type: 'object',
  required: ['amount'],
  properties: {
    amount: { type: 'number', minimum: 0 },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    customer: {
      type: 'object',
      properties: { email: { type: 'string', format: 'email' } },
      additionalProperties: false,
    },
    items: { type: 'array', items: { type: 'object', required: ['sku'] } },
  },
};

let handle: DatabaseHandle;
let db: Database;
let orgId: string;

beforeAll(async () => {
  handle = await testDatabase();
  db = handle.db;
  orgId = (await createOrganization(db, { name: 'Schema org' })).id;
});
afterAll(async () => {
  await handle?.close();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The HeraldError a refused payload throws, checked for shape. */
async function refusal(promise: Promise<void>): Promise<HeraldError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(HeraldError);
  const herald = error as HeraldError;
  expect(herald.code).toBe('validation');
  expect(herald.status).toBe(422);
  expect(herald.errors).toHaveLength(1);
  expect(herald.detail).toBe(`${herald.errors![0]!.path}: ${herald.errors![0]!.message}`);
  return herald;
}

async function expectRefused(promise: Promise<void>, path: string, message: string | RegExp) {
  const error = await refusal(promise);
  expect(error.errors![0]!.path).toBe(path);
  if (typeof message === 'string') expect(error.errors![0]!.message).toBe(message);
  else expect(error.errors![0]!.message).toMatch(message);
}

describe('createPayloadSchemaChecker', () => {
  beforeAll(async () => {
    await createEventType(db, orgId, { name: 'payment.made', description: '', schemas: { '1': PAYMENT_SCHEMA } });
  });

  it('accepts a payload that matches the schema', async () => {
    const checker = createPayloadSchemaChecker(db);
    await expect(checker.check(orgId, 'payment.made', { amount: 10 })).resolves.toBeUndefined();
    await expect(
      checker.check(orgId, 'payment.made', {
        amount: 0,
        currency: 'EUR',
        customer: { email: 'a@example.com' },
        items: [{ sku: 'x' }],
        extra: true,
      }),
    ).resolves.toBeUndefined();
  });

  it("refuses a payload that does not match, naming the field by body.payload and the instance path, with Ajv's message", async () => {
    const checker = createPayloadSchemaChecker(db);
    await expectRefused(checker.check(orgId, 'payment.made', { amount: 'ten' }), 'body.payload.amount', 'must be number');
    await expectRefused(checker.check(orgId, 'payment.made', { amount: -1 }), 'body.payload.amount', 'must be >= 0');
    await expectRefused(
      checker.check(orgId, 'payment.made', { amount: 1, currency: 'eur' }),
      'body.payload.currency',
      'must match pattern "^[A-Z]{3}$"',
    );
    await expectRefused(
      checker.check(orgId, 'payment.made', { amount: 1, customer: { email: 'not an email' } }),
      'body.payload.customer.email',
      'must match format "email"',
    );
    await expectRefused(
      checker.check(orgId, 'payment.made', { amount: 1, items: [{ sku: 'a' }, {}] }),
      'body.payload.items.1.sku',
      "must have required property 'sku'",
    );
    await expectRefused(checker.check(orgId, 'payment.made', ['not', 'an', 'object']), 'body.payload', 'must be object');
    await expectRefused(checker.check(orgId, 'payment.made', null), 'body.payload', 'must be object');
  });

  it('names the missing or unexpected property itself', async () => {
    const checker = createPayloadSchemaChecker(db);
    await expectRefused(checker.check(orgId, 'payment.made', {}), 'body.payload.amount', "must have required property 'amount'");
    await expectRefused(
      checker.check(orgId, 'payment.made', { amount: 1, customer: { email: 'a@example.com', phone: '1' } }),
      'body.payload.customer.phone',
      'must NOT have additional properties',
    );
  });

  it('decodes JSON pointer escapes in the instance path', async () => {
    await createEventType(db, orgId, {
      name: 'escaped.keys',
      description: '',
      schemas: { '1': { type: 'object', properties: { 'a/b': { type: 'string' }, 'c~d': { type: 'string' } } } },
    });
    const checker = createPayloadSchemaChecker(db);
    await expectRefused(checker.check(orgId, 'escaped.keys', { 'a/b': 1 }), 'body.payload.a/b', 'must be string');
    await expectRefused(checker.check(orgId, 'escaped.keys', { 'c~d': 1 }), 'body.payload.c~d', 'must be string');
  });

  it('accepts anything when no event type has the name', async () => {
    const checker = createPayloadSchemaChecker(db);
    await expect(checker.check(orgId, 'no.such.type', { anything: ['goes'] })).resolves.toBeUndefined();
    await expect(checker.check(orgId, 'no.such.type', 'a string')).resolves.toBeUndefined();
  });

  it('accepts anything when the event type has no schema, or no numeric version', async () => {
    await createEventType(db, orgId, { name: 'schemaless', description: '' });
    await createEventType(db, orgId, { name: 'named.versions.only', description: '', schemas: { draft: { type: 'string' } } });
    const checker = createPayloadSchemaChecker(db);
    await expect(checker.check(orgId, 'schemaless', 42)).resolves.toBeUndefined();
    await expect(checker.check(orgId, 'named.versions.only', 42)).resolves.toBeUndefined();
  });

  it('enforces version "1", or else the highest numeric version', async () => {
    await createEventType(db, orgId, {
      name: 'multi.version',
      description: '',
      schemas: { '1': { type: 'object' }, '2': { type: 'string' } },
    });
    await createEventType(db, orgId, {
      name: 'later.versions',
      description: '',
      schemas: { '2': { type: 'string' }, '10': { type: 'integer' }, '9': { type: 'boolean' }, beta: { type: 'null' } },
    });
    const checker = createPayloadSchemaChecker(db);
    await expect(checker.check(orgId, 'multi.version', {})).resolves.toBeUndefined();
    await expectRefused(checker.check(orgId, 'multi.version', 'text'), 'body.payload', 'must be object');
    await expect(checker.check(orgId, 'later.versions', 7)).resolves.toBeUndefined();
    await expectRefused(checker.check(orgId, 'later.versions', 'text'), 'body.payload', 'must be integer');

    expect(enforcedSchemaVersion({ '2': {}, '1': {} })).toBe('1');
    expect(enforcedSchemaVersion({ '2': {}, '10': {}, '9': {} })).toBe('10');
    expect(enforcedSchemaVersion({ v1: {} })).toBeUndefined();
    expect(enforcedSchemaVersion({})).toBeUndefined();
  });

  it('does not enforce the schema of an archived event type', async () => {
    await createEventType(db, orgId, { name: 'archived.type', description: '', schemas: { '1': { type: 'string' } } });
    const checker = createPayloadSchemaChecker(db);
    await expectRefused(checker.check(orgId, 'archived.type', 5), 'body.payload', 'must be string');

    expect(await deleteEventType(db, orgId, 'archived.type')).toBe(true);
    await expect(createPayloadSchemaChecker(db).check(orgId, 'archived.type', 5)).resolves.toBeUndefined();

    // Created again (unarchived): enforced again.
    await createEventType(db, orgId, { name: 'archived.type', description: '', schemas: { '1': { type: 'string' } } });
    await expectRefused(createPayloadSchemaChecker(db).check(orgId, 'archived.type', 5), 'body.payload', 'must be string');
  });

  it("never applies one organization's schema to another's messages", async () => {
    const other = await createOrganization(db, { name: 'Other schema org' });
    const checker = createPayloadSchemaChecker(db);
    await expect(checker.check(other.id, 'payment.made', { amount: 'ten' })).resolves.toBeUndefined();
    await createEventType(db, other.id, { name: 'payment.made', description: '', schemas: { '1': { type: 'string' } } });
    const fresh = createPayloadSchemaChecker(db);
    await expect(fresh.check(other.id, 'payment.made', 'a string')).resolves.toBeUndefined();
    await expect(fresh.check(orgId, 'payment.made', { amount: 1 })).resolves.toBeUndefined();
    await expectRefused(fresh.check(orgId, 'payment.made', 'a string'), 'body.payload', 'must be object');
  });

  it('picks up a schema change once the 1 s lookup cache expires', async () => {
    await createEventType(db, orgId, { name: 'changing', description: '', schemas: { '1': { type: 'string' } } });
    const checker = createPayloadSchemaChecker(db);
    const cachedAt = Date.now();
    await expect(checker.check(orgId, 'changing', 'text')).resolves.toBeUndefined();

    await patchEventType(db, orgId, 'changing', { schemas: { '1': { type: 'integer' } } });
    // Within the second the old schema may still apply (this process's cache).
    if (Date.now() - cachedAt < 800) await expect(checker.check(orgId, 'changing', 'text')).resolves.toBeUndefined();

    await pause(1100);
    await expectRefused(checker.check(orgId, 'changing', 'text'), 'body.payload', 'must be integer');
    await expect(checker.check(orgId, 'changing', 3)).resolves.toBeUndefined();

    // A PUT replacing the schema, and a PATCH clearing it, apply the same way.
    await upsertEventType(db, orgId, 'changing', { description: '', schemas: { '1': { type: 'boolean' } } });
    await pause(1100);
    await expectRefused(checker.check(orgId, 'changing', 3), 'body.payload', 'must be boolean');
    await patchEventType(db, orgId, 'changing', { schemas: null });
    await pause(1100);
    await expect(checker.check(orgId, 'changing', 'anything')).resolves.toBeUndefined();
  });

  it('notices back-to-back changes, which differ in updated_at only below the millisecond', async () => {
    await createEventType(db, orgId, { name: 'rapid', description: '', schemas: { '1': { type: 'string' } } });
    const checker = createPayloadSchemaChecker(db, { lookupTtlMs: 0 });
    for (const [type, good, bad] of [
      ['integer', 1, 'x'],
      ['string', 'x', 1],
      ['boolean', true, 1],
      ['null', null, 1],
    ] as const) {
      await patchEventType(db, orgId, 'rapid', { schemas: { '1': { type } } });
      await expect(checker.check(orgId, 'rapid', good)).resolves.toBeUndefined();
      await expectRefused(checker.check(orgId, 'rapid', bad), 'body.payload', `must be ${type}`);
    }
  });

  it('shares one lookup between concurrent checks and compiles once', async () => {
    await createEventType(db, orgId, { name: 'busy', description: '', schemas: { '1': PAYMENT_SCHEMA } });
    let selects = 0;
    const counted = new Proxy(db, {
      get(target, property, receiver) {
        if (property === 'select') selects++;
        return Reflect.get(target, property, receiver);
      },
    });
    const checker = createPayloadSchemaChecker(counted);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => checker.check(orgId, 'busy', { amount: i % 2 ? i : 'odd' })),
    );
    expect(selects).toBe(1);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(25);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(25);

    // Warm: a thousand checks cost no query and no compile.
    const started = performance.now();
    for (let i = 0; i < 1000; i++) await checker.check(orgId, 'busy', { amount: i });
    expect(selects).toBe(1);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('hostile schemas', () => {
  const checker = () => createPayloadSchemaChecker(db, { lookupTtlMs: 0 });

  async function timed(promise: Promise<void>) {
    const started = performance.now();
    const outcome = await promise.then(
      () => undefined,
      (error: unknown) => error,
    );
    return { outcome, ms: performance.now() - started };
  }

  it('runs patterns in linear time (no catastrophic backtracking)', async () => {
    await createEventType(db, orgId, { name: 'hostile.redos', description: '', schemas: { '1': { type: 'string', pattern: '^(a+)+$' } } });
    const { outcome, ms } = await timed(checker().check(orgId, 'hostile.redos', `${'a'.repeat(100_000)}!`));
    expect(outcome).toBeInstanceOf(HeraldError);
    expect((outcome as HeraldError).errors?.[0]).toEqual({ path: 'body.payload', message: 'must match pattern "^(a+)+$"' });
    expect(ms).toBeLessThan(2_000);
    await expect(checker().check(orgId, 'hostile.redos', 'aaaa')).resolves.toBeUndefined();
  });

  it('cuts off exponential $ref fan-out with a refusal instead of blocking', async () => {
    const definitions: Record<string, unknown> = { d0: { type: 'object' } };
    for (let i = 1; i <= 40; i++)
      definitions[`d${i}`] = { allOf: [{ $ref: `#/definitions/d${i - 1}` }, { $ref: `#/definitions/d${i - 1}` }] };
    await createEventType(db, orgId, {
      name: 'hostile.fanout',
      description: '',
      schemas: { '1': { definitions, $ref: '#/definitions/d40' } },
    });
    const { outcome, ms } = await timed(checker().check(orgId, 'hostile.fanout', {}));
    expect(outcome).toBeInstanceOf(HeraldError);
    expect((outcome as HeraldError).errors?.[0]?.path).toBe('body.payload');
    expect((outcome as HeraldError).errors?.[0]?.message).toMatch(/took too much work/);
    expect(ms).toBeLessThan(2_000);
  });

  it('checks uniqueItems without comparing every pair', async () => {
    await createEventType(db, orgId, { name: 'hostile.unique', description: '', schemas: { '1': { type: 'array', uniqueItems: true } } });
    const distinct = Array.from({ length: 50_000 }, (_, i) => ({ id: i }));
    const { outcome, ms } = await timed(checker().check(orgId, 'hostile.unique', distinct));
    expect(outcome).toBeUndefined();
    expect(ms).toBeLessThan(2_000);
    // Equal as JSON values, whatever the key order.
    await expectRefused(
      checker().check(orgId, 'hostile.unique', [{ a: 1, b: [1, 2] }, 'x', { b: [1, 2], a: 1 }]),
      'body.payload',
      'must NOT have duplicate items (items ## 0 and 2 are identical)',
    );
    await expect(checker().check(orgId, 'hostile.unique', [{ a: 1, b: [1, 2] }, { a: 1, b: [2, 1] }, 1, '1'])).resolves.toBeUndefined();
  });

  it('refuses, rather than crashes on, a schema that recurses without consuming data', async () => {
    await createEventType(db, orgId, { name: 'hostile.loop', description: '', schemas: { '1': { $ref: '#' } } });
    await expectRefused(checker().check(orgId, 'hostile.loop', {}), 'body.payload', /nested too deeply/);
  });

  it('refuses, at write time, what ingest could not run', () => {
    const paths = (schemas: Record<string, Record<string, unknown>>) => {
      try {
        assertEventTypeSchemasCompile(schemas);
        return [];
      } catch (error) {
        expect(error).toBeInstanceOf(HeraldError);
        expect((error as HeraldError).status).toBe(422);
        return (error as HeraldError).errors!;
      }
    };
    expect(paths({ '1': { type: 'object' }, '2': { $schema: 'https://json-schema.org/draft/2019-09/schema' } })).toEqual([]);
    expect(paths({ '1': { $ref: 'https://evil.example/schema.json' } })).toEqual([
      { path: 'body.schemas.1', message: "can't resolve reference https://evil.example/schema.json from id #" },
    ]);
    expect(paths({ '3': { properties: { a: { pattern: '(a)\\1' } } } })).toEqual([
      { path: 'body.schemas.3', message: expect.stringMatching(/^pattern "\(a\)\\\\1" is not supported/) },
    ]);
    expect(paths({ '1': { type: 'nope' }, '2': { minimum: 'zero' } }).map((e) => e.path)).toEqual(['body.schemas.1', 'body.schemas.2']);
    expect(paths({ '1': { type: 'string', pattern: '[a-z]{1000}[a-z]{1000}[a-z]{1000}' } })).toEqual([
      { path: 'body.schemas.1', message: expect.stringMatching(/is too complex \(3002 RE2 instructions; at most 2000\)$/) },
    ]);
  });

  it(`bounds compile time: at most ${MAX_SCHEMA_NODES} subschemas across an event type's versions`, () => {
    const wide = (count: number) => ({
      type: 'object',
      properties: Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${i}`, { type: 'integer' }])),
    });
    expect(() => assertEventTypeSchemasCompile({ '1': wide(400), '2': wide(400) })).not.toThrow();
    let error: unknown;
    try {
      assertEventTypeSchemasCompile({ '1': wide(600), '2': wide(600) });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(HeraldError);
    expect((error as HeraldError).errors).toEqual([
      { path: 'body.schemas', message: `hold 1202 subschemas in all; at most ${MAX_SCHEMA_NODES} are accepted per event type` },
    ]);
  });

  it('refuses a long string that would cost a complex pattern too much', async () => {
    await createEventType(db, orgId, {
      name: 'hostile.long',
      description: '',
      schemas: { '1': { type: 'string', pattern: '[a-z]{1000}' } },
    });
    const { outcome, ms } = await timed(checker().check(orgId, 'hostile.long', 'ab'.repeat(500_000)));
    expect((outcome as HeraldError).errors?.[0]?.message).toMatch(/took too much work/);
    expect(ms).toBeLessThan(2_000);
    await expect(checker().check(orgId, 'hostile.long', 'a'.repeat(1000))).resolves.toBeUndefined();
  });

  it('keeps organizations apart even when their schemas share an $id', async () => {
    const other = await createOrganization(db, { name: 'Same $id org' });
    const schema = (type: string) => ({ $id: 'https://example.com/shared', type });
    await createEventType(db, orgId, { name: 'shared.id', description: '', schemas: { '1': schema('string') } });
    await createEventType(db, other.id, { name: 'shared.id', description: '', schemas: { '1': schema('integer') } });
    const shared = createPayloadSchemaChecker(db);
    await expect(shared.check(orgId, 'shared.id', 'x')).resolves.toBeUndefined();
    await expect(shared.check(other.id, 'shared.id', 1)).resolves.toBeUndefined();
    await expectRefused(shared.check(other.id, 'shared.id', 'x'), 'body.payload', 'must be integer');
  });
});
