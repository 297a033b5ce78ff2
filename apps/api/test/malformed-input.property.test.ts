import { EndpointIn, MessageIn } from '@herald/core';
import { schema } from '@herald/db';
import { count } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHerald, type TestHerald } from '../../../test/support/harness';

/**
 * Property: whatever a client sends to the two busiest write routes, the
 * answer is a 2xx only for input the route's own schema accepts, otherwise a
 * 4xx in the one error shape; never a 5xx; the server keeps answering; and the
 * number of rows written equals the number of 2xx answers (nothing partial).
 */
let herald: TestHerald;
let appId: string;

beforeAll(async () => {
  herald = await startTestHerald();
  const response = await fetch(`${herald.url}/api/v1/app`, {
    method: 'POST',
    headers: { authorization: `Bearer ${herald.rootToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Fuzzed' }),
  });
  appId = ((await response.json()) as { id: string }).id;
});
afterAll(async () => {
  await herald?.close();
});

/** Strings a parser or a database tends to choke on. */
const oddString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }), // lone surrogates and every plane
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', '\udfff', '🦜'.repeat(300), 'ǅ̈̀', '\u202e', ' ', 'x'.repeat(70_000)),
);

/** Numbers at and beyond the edges of what JSON, JavaScript and PostgreSQL agree on. */
const oddNumberText = fc.constantFrom('1e400', '-1e400', '123456789012345678901234567890', '-0', '4.9e-324', '9007199254740993', '1E+2');

/** A JSON value nested `depth` levels deep, as text (built iteratively). */
const nestedText = fc.integer({ min: 50, max: 5000 }).map((depth) => `${'['.repeat(depth)}1${']'.repeat(depth)}`);

const anyJson = fc.jsonValue({ maxDepth: 4 });

/** A valid body with one field replaced by something of another shape, plus maybe an unknown field. */
const mutated = (valid: Record<string, unknown>) =>
  fc
    .tuple(
      fc.constantFrom(...Object.keys(valid), 'unknownField'),
      fc.oneof(anyJson, oddString, fc.constant(null), fc.array(oddString, { maxLength: 12 }), fc.double()),
    )
    .map(([key, value]) => JSON.stringify({ ...valid, [key]: value }));

/** Raw request texts: broken JSON, JSON of the wrong shape, odd numbers, deep nesting, and mutated valid bodies. */
const bodies = (valid: Record<string, unknown>, numberField: string) =>
  fc.oneof(
    fc.string().map((s) => s),
    anyJson.map((v) => JSON.stringify(v)),
    mutated(valid),
    oddNumberText.map((n) => JSON.stringify(valid).replace(/}$/, `,"${numberField}":${n}}`)),
    nestedText.map((nested) => JSON.stringify(valid).replace(/}$/, `,"deep":${nested}}`)),
    nestedText.map((nested) => JSON.stringify({ ...valid, payload: { x: 1 } }).replace('{"x":1}', `{"x":${nested}}`)),
    fc.constantFrom('', 'null', '[]', '{', '{"eventType":', '\u0000', '{"a":1}garbage'),
  );

async function post(path: string, body: string) {
  const response = await fetch(`${herald.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${herald.rootToken}`, 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  return { status: response.status, text };
}

async function checkRoute(
  path: string,
  table: typeof schema.messages | typeof schema.endpoints,
  accepts: (body: unknown) => boolean,
  arbitrary: fc.Arbitrary<string>,
) {
  const [before] = await herald.database.db.select({ n: count() }).from(table);
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(arbitrary, async (body) => {
      const { status, text } = await post(path, body);
      expect(status, text).toBeLessThan(500);
      expect(text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
      if (status < 300) {
        accepted++;
        expect(accepts(JSON.parse(body)), `accepted a body its schema refuses: ${body.slice(0, 200)}`).toBe(true);
      } else {
        expect(status).toBeGreaterThanOrEqual(400);
        const error = JSON.parse(text);
        expect(Object.keys(error)).toEqual(expect.arrayContaining(['code', 'detail', 'requestId']));
      }
    }),
    { numRuns: 250 },
  );
  const [after] = await herald.database.db.select({ n: count() }).from(table);
  expect(after!.n - before!.n).toBe(accepted);
  // Still up and answering.
  expect((await fetch(`${herald.url}/api/v1/health`)).status).toBe(200);
}

describe('malformed input', () => {
  it('message create answers 4xx in the error shape and writes nothing for it', async () => {
    await checkRoute(
      `/api/v1/app/${appId}/msg`,
      schema.messages,
      (body) => MessageIn.safeParse(body).success,
      bodies({ eventType: 'fuzz.event', payload: { n: 1 } }, 'payloadRetentionPeriod'),
    );
  });

  it('endpoint create answers 4xx in the error shape and writes nothing for it', async () => {
    await checkRoute(
      `/api/v1/app/${appId}/endpoint`,
      schema.endpoints,
      (body) => EndpointIn.safeParse(body).success,
      bodies({ url: 'https://receiver.test/hook' }, 'version'),
    );
  });
});
