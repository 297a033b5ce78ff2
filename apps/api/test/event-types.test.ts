import type { ApplicationOut, ErrorBody, EventTypeOut, ListPage } from '@herald/core';
import { createOrganization, issueApiKey } from '@herald/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, call, startTestHerald, type TestHerald } from '../../../test/support/harness';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const OUT_FIELDS = [
  'archived',
  'createdAt',
  'deprecated',
  'description',
  'featureFlag',
  'featureFlags',
  'groupName',
  'name',
  'schemas',
  'updatedAt',
];

const AMOUNT_SCHEMA = {
  type: 'object',
  required: ['amount'],
  properties: { amount: { type: 'number', minimum: 0 }, currency: { type: 'string', pattern: '^[A-Z]{3}$' } },
};

let herald: TestHerald;

beforeAll(async () => {
  herald = await startTestHerald();
});
afterAll(async () => {
  await herald?.close();
});

const path = (name: string) => `/api/v1/event-type/${encodeURIComponent(name)}`;
const createType = (token: string, json: unknown) => call<EventTypeOut>(herald.url, 'POST', '/api/v1/event-type', { token, json });
const getType = (token: string, name: string) => call<EventTypeOut>(herald.url, 'GET', path(name), { token });
const putType = (token: string, name: string, json: unknown) => call<EventTypeOut>(herald.url, 'PUT', path(name), { token, json });
const patchType = (token: string, name: string, json: unknown) => call<EventTypeOut>(herald.url, 'PATCH', path(name), { token, json });
const deleteType = (token: string, name: string, query = '') => call(herald.url, 'DELETE', `${path(name)}${query}`, { token });
const listTypes = (token: string, query = '') => call<ListPage<EventTypeOut>>(herald.url, 'GET', `/api/v1/event-type${query}`, { token });

async function created(token: string, json: Record<string, unknown>): Promise<EventTypeOut> {
  const response = await createType(token, json);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

async function newOrganization(name: string) {
  const org = await createOrganization(herald.database.db, { name });
  const { token } = await issueApiKey(herald.database.db, { orgId: org.id, scope: 'org', name: `${name} key` });
  return { orgId: org.id, token };
}

/** A 422 naming exactly these fields (in any order; one field may fail more than one rule). */
function expectInvalid(response: ApiResponse<unknown>, paths: string[]) {
  expect(response.status, JSON.stringify(response.body)).toBe(422);
  const error = response.body as ErrorBody;
  expect(error.code).toBe('validation');
  expect(error.requestId).toBe(response.headers.get('x-request-id'));
  expect([...new Set(error.errors?.map((e) => e.path))].sort()).toEqual([...paths].sort());
  for (const field of error.errors ?? []) expect(field.message).toEqual(expect.any(String));
  return error;
}

function expectError(response: ApiResponse<unknown>, status: number, code: string) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect((response.body as ErrorBody).code).toBe(code);
}

/** Follows `iterator` until `done`, failing instead of looping forever. */
async function walk(token: string, params: Record<string, string>) {
  const pages: ListPage<EventTypeOut>[] = [];
  let iterator: string | null = null;
  for (let i = 0; i < 20; i++) {
    const query = new URLSearchParams(params);
    if (iterator) query.set('iterator', iterator);
    const response = await listTypes(token, `?${query}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    pages.push(response.body);
    if (response.body.done) return pages;
    iterator = response.body.iterator;
    expect(iterator).toEqual(expect.any(String));
  }
  throw new Error('pagination never reported done');
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('POST /api/v1/event-type', () => {
  it('creates an event type and answers 201 with every field', async () => {
    const before = Date.now();
    const response = await createType(herald.rootToken, {
      name: 'invoice.paid',
      description: 'An invoice was paid',
      archived: false,
      deprecated: true,
      featureFlags: ['beta-billing'],
      groupName: 'invoice',
      schemas: { '1': AMOUNT_SCHEMA },
    });
    const after = Date.now();

    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const type = response.body;
    expect(Object.keys(type).sort()).toEqual(OUT_FIELDS);
    expect(type.name).toBe('invoice.paid');
    expect(type.description).toBe('An invoice was paid');
    expect(type.archived).toBe(false);
    expect(type.deprecated).toBe(true);
    expect(type.featureFlag).toBe('beta-billing');
    expect(type.featureFlags).toEqual(['beta-billing']);
    expect(type.groupName).toBe('invoice');
    expect(type.schemas).toEqual({ '1': AMOUNT_SCHEMA });
    expect(type.createdAt).toMatch(ISO);
    expect(type.updatedAt).toMatch(ISO);
    expect(Date.parse(type.createdAt)).toBeGreaterThanOrEqual(before - 5_000);
    expect(Date.parse(type.createdAt)).toBeLessThanOrEqual(after + 5_000);
    expect(type.updatedAt).toBe(type.createdAt);
  });

  it('answers false and null for the optional fields left out', async () => {
    const type = await created(herald.rootToken, { name: 'user.signup', description: 'A user signed up' });
    expect(type).toEqual({
      name: 'user.signup',
      description: 'A user signed up',
      archived: false,
      deprecated: false,
      featureFlag: null,
      featureFlags: null,
      groupName: null,
      schemas: null,
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
    });
  });

  it('accepts an empty description and explicit nulls', async () => {
    const type = await created(herald.rootToken, {
      name: 'nulls.everywhere',
      description: '',
      featureFlag: null,
      featureFlags: null,
      groupName: null,
      schemas: null,
    });
    expect(type).toMatchObject({ description: '', featureFlag: null, featureFlags: null, groupName: null, schemas: null });
  });

  it('takes the deprecated featureFlag and answers it in both fields', async () => {
    const type = await created(herald.rootToken, { name: 'flagged.old-style', description: '', featureFlag: 'old-flag' });
    expect(type.featureFlag).toBe('old-flag');
    expect(type.featureFlags).toEqual(['old-flag']);

    const same = await created(herald.rootToken, { name: 'flagged.both', description: '', featureFlag: 'f', featureFlags: ['f'] });
    expect(same.featureFlags).toEqual(['f']);

    const empty = await created(herald.rootToken, { name: 'flagged.empty-list', description: '', featureFlags: [] });
    expect(empty.featureFlag).toBeNull();
    expect(empty.featureFlags).toBeNull();
  });

  it('keeps every schema version, in any JSON Schema dialect Ajv knows', async () => {
    const schemas = {
      '1': { type: 'object' },
      '2': { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', prefixItems: [{ type: 'string' }] },
      '3': { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', definitions: { x: { type: 'string' } } },
    };
    const type = await created(herald.rootToken, { name: 'versioned', description: 'three versions', schemas });
    expect(type.schemas).toEqual(schemas);
    expect((await getType(herald.rootToken, 'versioned')).body.schemas).toEqual(schemas);
  });

  it('refuses a name that exists and is not archived with 409 conflict and keeps the original', async () => {
    const original = await created(herald.rootToken, { name: 'taken.name', description: 'first', groupName: 'g' });
    const again = await createType(herald.rootToken, { name: 'taken.name', description: 'second' });
    expectError(again, 409, 'conflict');
    expect((again.body as unknown as ErrorBody).requestId).toBe(again.headers.get('x-request-id'));
    expect((await getType(herald.rootToken, 'taken.name')).body).toEqual(original);
  });

  it('treats names as case-sensitive', async () => {
    await created(herald.rootToken, { name: 'Case.Sensitive', description: '' });
    const lower = await created(herald.rootToken, { name: 'case.sensitive', description: '' });
    expect(lower.name).toBe('case.sensitive');
  });

  it('creates an archived event type when asked to', async () => {
    const type = await created(herald.rootToken, { name: 'born.archived', description: '', archived: true });
    expect(type.archived).toBe(true);
  });

  it('answers 422 naming each invalid field', async () => {
    expectInvalid(await createType(herald.rootToken, { description: 'no name' }), ['body.name']);
    expectInvalid(await createType(herald.rootToken, { name: 'no.description' }), ['body.description']);
    expectInvalid(await createType(herald.rootToken, { name: 'has space', description: '' }), ['body.name']);
    expectInvalid(await createType(herald.rootToken, { name: '', description: '' }), ['body.name']);
    expectInvalid(await createType(herald.rootToken, { name: 'a'.repeat(257), description: '' }), ['body.name']);
    expectInvalid(await createType(herald.rootToken, { name: 'ok.name', description: 'line\nbreak' }), ['body.description']);
    expectInvalid(await createType(herald.rootToken, { name: 'ok.name', description: '', featureFlag: 'bad flag' }), ['body.featureFlag']);
    expectInvalid(await createType(herald.rootToken, { name: 'ok.name', description: '', featureFlags: ['a', 'b'] }), [
      'body.featureFlags',
    ]);
    expectInvalid(await createType(herald.rootToken, { name: 'ok.name', description: '', featureFlags: ['no/slash'] }), [
      'body.featureFlags.0',
    ]);
    expectInvalid(await createType(herald.rootToken, { name: 'ok.name', description: '', archived: 'yes' }), ['body.archived']);
    expectInvalid(await createType(herald.rootToken, { name: 'ok.name', description: '', deprecated: 1 }), ['body.deprecated']);
    expectInvalid(await createType(herald.rootToken, { name: 'ok.name', description: '', groupName: 7 }), ['body.groupName']);
    expectInvalid(await createType(herald.rootToken, { name: 'ok.name', description: '', unknown: 1, other: 2 }), [
      'body.other',
      'body.unknown',
    ]);
    expectInvalid(await createType(herald.rootToken, { name: 'ok.name', description: '', schemas: [] }), ['body.schemas']);
    expectInvalid(await createType(herald.rootToken, { name: 'ok.name', description: '', schemas: { '1': 'string' } }), ['body.schemas.1']);
    expectInvalid(await createType(herald.rootToken, { name: 'ok.name', description: '', schemas: { '1': true } }), ['body.schemas.1']);
    // Nothing was created along the way.
    expectError(await getType(herald.rootToken, 'ok.name'), 404, 'not_found');
  });

  it('refuses featureFlag and featureFlags that disagree', async () => {
    const error = expectInvalid(
      await createType(herald.rootToken, { name: 'ok.name', description: '', featureFlag: 'a', featureFlags: ['b'] }),
      ['body.featureFlags'],
    );
    expect(error.errors?.[0]?.message).toMatch(/featureFlag/);
  });

  it('answers 422 naming body.schemas.<version> with the compiler message for a schema that does not compile', async () => {
    const badType = expectInvalid(
      await createType(herald.rootToken, {
        name: 'bad.schema',
        description: '',
        schemas: { '1': { type: 'object' }, '2': { type: 'not-a-type' } },
      }),
      ['body.schemas.2'],
    );
    expect(badType.errors?.[0]?.message).toMatch(/schema is invalid: data\/type must be equal to one of the allowed values/);
    expect(badType.detail).toMatch(/^body\.schemas\.2: /);

    const remote = expectInvalid(
      await createType(herald.rootToken, {
        name: 'bad.schema',
        description: '',
        schemas: { '1': { $ref: 'https://example.com/schema.json' } },
      }),
      ['body.schemas.1'],
    );
    expect(remote.errors?.[0]?.message).toMatch(/can't resolve reference https:\/\/example\.com\/schema\.json/);

    const regex = expectInvalid(
      await createType(herald.rootToken, {
        name: 'bad.schema',
        description: '',
        schemas: { '1': { type: 'string', pattern: '(' }, '7': { properties: { a: { pattern: '(?=x)' } } } },
      }),
      ['body.schemas.1', 'body.schemas.7'],
    );
    expect(regex.errors?.find((e) => e.path === 'body.schemas.1')?.message).toMatch(/missing closing \)/);
    expect(regex.errors?.find((e) => e.path === 'body.schemas.7')?.message).toMatch(/not supported/);

    const dialect = expectInvalid(
      await createType(herald.rootToken, {
        name: 'bad.schema',
        description: '',
        schemas: { '1': { $schema: 'http://example.com/my-meta' } },
      }),
      ['body.schemas.1'],
    );
    expect(dialect.errors?.[0]?.message).toMatch(/no schema with key or ref "http:\/\/example\.com\/my-meta"/);

    const huge = {
      type: 'object',
      properties: Object.fromEntries(Array.from({ length: 1200 }, (_, i) => [`p${i}`, { type: 'string' }])),
    };
    const tooBig = expectInvalid(await createType(herald.rootToken, { name: 'bad.schema', description: '', schemas: { '1': huge } }), [
      'body.schemas',
    ]);
    expect(tooBig.errors?.[0]?.message).toMatch(/at most 1000 are accepted per event type/);

    expectError(await getType(herald.rootToken, 'bad.schema'), 404, 'not_found');
  });
});

describe('GET /api/v1/event-type/{event_type_name}', () => {
  it('finds an event type by name', async () => {
    const type = await created(herald.rootToken, {
      name: 'findable',
      description: 'find me',
      groupName: 'g',
      schemas: { '1': AMOUNT_SCHEMA },
    });
    const response = await getType(herald.rootToken, 'findable');
    expect(response.status).toBe(200);
    expect(response.body).toEqual(type);
  });

  it('answers 404 not_found for a name that does not exist', async () => {
    expectError(await getType(herald.rootToken, 'no.such.type'), 404, 'not_found');
  });

  it('answers 422 naming the path parameter for a name that cannot exist', async () => {
    expectInvalid(await getType(herald.rootToken, 'not a name'), ['param.event_type_name']);
  });
});

describe('PUT /api/v1/event-type/{event_type_name}', () => {
  it('creates the event type under the name in the path with 201', async () => {
    const response = await putType(herald.rootToken, 'put.created', {
      description: 'made by PUT',
      featureFlag: 'ff',
      groupName: 'put',
      schemas: { '1': AMOUNT_SCHEMA },
      deprecated: true,
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(response.body).toEqual({
      name: 'put.created',
      description: 'made by PUT',
      archived: false,
      deprecated: true,
      featureFlag: 'ff',
      featureFlags: ['ff'],
      groupName: 'put',
      schemas: { '1': AMOUNT_SCHEMA },
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
    });
    expect((await getType(herald.rootToken, 'put.created')).body).toEqual(response.body);
  });

  it('replaces every field of an existing event type with 200, resetting what the body leaves out', async () => {
    const original = await created(herald.rootToken, {
      name: 'put.replaced',
      description: 'before',
      deprecated: true,
      featureFlags: ['old'],
      groupName: 'before',
      schemas: { '1': AMOUNT_SCHEMA },
    });
    await pause(5);
    const response = await putType(herald.rootToken, 'put.replaced', { description: 'after' });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toEqual({
      name: 'put.replaced',
      description: 'after',
      archived: false,
      deprecated: false,
      featureFlag: null,
      featureFlags: null,
      groupName: null,
      schemas: null,
      createdAt: original.createdAt,
      updatedAt: expect.stringMatching(ISO),
    });
    expect(Date.parse(response.body.updatedAt)).toBeGreaterThan(Date.parse(original.updatedAt));
    expect((await getType(herald.rootToken, 'put.replaced')).body).toEqual(response.body);
  });

  it('unarchives an archived event type unless the body archives it', async () => {
    await created(herald.rootToken, { name: 'put.archived', description: '' });
    expect((await deleteType(herald.rootToken, 'put.archived')).status).toBe(204);
    const revived = await putType(herald.rootToken, 'put.archived', { description: 'back' });
    expect(revived.status).toBe(200);
    expect(revived.body.archived).toBe(false);
    const stillArchived = await putType(herald.rootToken, 'put.archived', { description: 'away', archived: true });
    expect(stillArchived.body.archived).toBe(true);
  });

  it('answers 422 for a bad body or name, and creates nothing', async () => {
    expectInvalid(await putType(herald.rootToken, 'put.invalid', {}), ['body.description']);
    expectInvalid(await putType(herald.rootToken, 'put.invalid', { description: '', name: 'put.invalid' }), ['body.name']);
    expectInvalid(await putType(herald.rootToken, 'put.invalid', { description: '', schemas: { '1': { minimum: 'zero' } } }), [
      'body.schemas.1',
    ]);
    expectInvalid(await putType(herald.rootToken, 'bad name!', { description: '' }), ['param.event_type_name']);
    expectError(await getType(herald.rootToken, 'put.invalid'), 404, 'not_found');
  });
});

describe('PATCH /api/v1/event-type/{event_type_name}', () => {
  let original: EventTypeOut;

  beforeAll(async () => {
    original = await created(herald.rootToken, {
      name: 'patched',
      description: 'original',
      deprecated: false,
      featureFlag: 'flag-a',
      groupName: 'group-a',
      schemas: { '1': AMOUNT_SCHEMA },
    });
  });

  it('changes only the fields sent', async () => {
    await pause(5);
    const response = await patchType(herald.rootToken, 'patched', { description: 'changed', deprecated: true });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toEqual({
      ...original,
      description: 'changed',
      deprecated: true,
      updatedAt: expect.stringMatching(ISO),
    });
    expect(Date.parse(response.body.updatedAt)).toBeGreaterThan(Date.parse(original.updatedAt));
  });

  it('leaves everything as it was for an empty body', async () => {
    const before = (await getType(herald.rootToken, 'patched')).body;
    const response = await patchType(herald.rootToken, 'patched', {});
    expect(response.status).toBe(200);
    expect(response.body).toEqual(before);
  });

  it('replaces the feature flag through either field', async () => {
    const viaList = await patchType(herald.rootToken, 'patched', { featureFlags: ['flag-b'] });
    expect(viaList.body.featureFlag).toBe('flag-b');
    expect(viaList.body.featureFlags).toEqual(['flag-b']);
    const viaSingle = await patchType(herald.rootToken, 'patched', { featureFlag: 'flag-c' });
    expect(viaSingle.body.featureFlags).toEqual(['flag-c']);
  });

  it('replaces the schemas', async () => {
    const schemas = { '1': { type: 'object' }, '2': AMOUNT_SCHEMA };
    const response = await patchType(herald.rootToken, 'patched', { schemas });
    expect(response.body.schemas).toEqual(schemas);
  });

  it('clears the nullable fields sent as null', async () => {
    const response = await patchType(herald.rootToken, 'patched', { featureFlag: null, groupName: null, schemas: null });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ featureFlag: null, featureFlags: null, groupName: null, schemas: null, description: 'changed' });

    await patchType(herald.rootToken, 'patched', { featureFlags: ['again'] });
    const cleared = await patchType(herald.rootToken, 'patched', { featureFlags: null });
    expect(cleared.body.featureFlag).toBeNull();
    expect(cleared.body.featureFlags).toBeNull();
  });

  it('archives and unarchives through the archived field', async () => {
    expect((await patchType(herald.rootToken, 'patched', { archived: true })).body.archived).toBe(true);
    expect((await getType(herald.rootToken, 'patched')).body.archived).toBe(true);
    expect((await patchType(herald.rootToken, 'patched', { archived: false })).body.archived).toBe(false);
  });

  it('answers 422 for invalid fields and leaves the event type alone', async () => {
    const before = (await getType(herald.rootToken, 'patched')).body;
    expectInvalid(await patchType(herald.rootToken, 'patched', { description: null }), ['body.description']);
    expectInvalid(await patchType(herald.rootToken, 'patched', { archived: null }), ['body.archived']);
    expectInvalid(await patchType(herald.rootToken, 'patched', { name: 'renamed' }), ['body.name']);
    expectInvalid(await patchType(herald.rootToken, 'patched', { schemas: { '1': { type: 'object', required: 'amount' } } }), [
      'body.schemas.1',
    ]);
    expect((await getType(herald.rootToken, 'patched')).body).toEqual(before);
  });

  it('answers 404 for a name that does not exist', async () => {
    expectError(await patchType(herald.rootToken, 'never.created', { description: 'x' }), 404, 'not_found');
    expectError(await patchType(herald.rootToken, 'never.created', {}), 404, 'not_found');
  });
});

describe('DELETE /api/v1/event-type/{event_type_name}', () => {
  it('archives with 204 and no body; the event type stays readable', async () => {
    const type = await created(herald.rootToken, { name: 'deleted.archived', description: 'soon archived', groupName: 'g' });
    const response = await deleteType(herald.rootToken, 'deleted.archived');
    expect(response.status).toBe(204);
    expect(response.body).toBe('');

    const after = await getType(herald.rootToken, 'deleted.archived');
    expect(after.status).toBe(200);
    expect(after.body).toEqual({ ...type, archived: true, updatedAt: expect.stringMatching(ISO) });

    // Deleting again is harmless.
    expect((await deleteType(herald.rootToken, 'deleted.archived')).status).toBe(204);
  });

  it('lets create unarchive an archived name with the new fields, keeping its creation time', async () => {
    const first = await created(herald.rootToken, {
      name: 'deleted.revived',
      description: 'first life',
      groupName: 'old',
      featureFlag: 'old-flag',
      schemas: { '1': AMOUNT_SCHEMA },
      deprecated: true,
    });
    expect((await deleteType(herald.rootToken, 'deleted.revived')).status).toBe(204);
    await pause(5);

    const revived = await createType(herald.rootToken, { name: 'deleted.revived', description: 'second life' });
    expect(revived.status, JSON.stringify(revived.body)).toBe(201);
    expect(revived.body).toEqual({
      name: 'deleted.revived',
      description: 'second life',
      archived: false,
      deprecated: false,
      featureFlag: null,
      featureFlags: null,
      groupName: null,
      schemas: null,
      createdAt: first.createdAt,
      updatedAt: expect.stringMatching(ISO),
    });
    expect(Date.parse(revived.body.updatedAt)).toBeGreaterThan(Date.parse(first.updatedAt));

    // Now it is live again, so creating it once more conflicts.
    expectError(await createType(herald.rootToken, { name: 'deleted.revived', description: '' }), 409, 'conflict');
  });

  it('deletes for good with expunge=true, freeing the name', async () => {
    const first = await created(herald.rootToken, { name: 'deleted.expunged', description: 'gone' });
    const response = await deleteType(herald.rootToken, 'deleted.expunged', '?expunge=true');
    expect(response.status).toBe(204);
    expect(response.body).toBe('');
    expectError(await getType(herald.rootToken, 'deleted.expunged'), 404, 'not_found');
    const all = (await walk(herald.rootToken, { include_archived: 'true', limit: '250' })).flatMap((page) => page.data);
    expect(all.map((type) => type.name)).not.toContain('deleted.expunged');

    await pause(5);
    const reborn = await created(herald.rootToken, { name: 'deleted.expunged', description: 'new' });
    expect(Date.parse(reborn.createdAt)).toBeGreaterThan(Date.parse(first.createdAt));
  });

  it('archives with expunge=false', async () => {
    await created(herald.rootToken, { name: 'deleted.not-expunged', description: '' });
    expect((await deleteType(herald.rootToken, 'deleted.not-expunged', '?expunge=false')).status).toBe(204);
    expect((await getType(herald.rootToken, 'deleted.not-expunged')).body.archived).toBe(true);
  });

  it('answers 404 for a name that does not exist, and 422 for a bad expunge', async () => {
    expectError(await deleteType(herald.rootToken, 'never.created'), 404, 'not_found');
    expectError(await deleteType(herald.rootToken, 'never.created', '?expunge=true'), 404, 'not_found');
    expectInvalid(await deleteType(herald.rootToken, 'never.created', '?expunge=yes'), ['query.expunge']);
  });
});

describe('GET /api/v1/event-type', () => {
  // An organization of its own, so the list holds exactly the event types made here.
  let token: string;
  let types: EventTypeOut[];

  beforeAll(async () => {
    ({ token } = await newOrganization('Event type list org'));
    types = [];
    // Created out of order: the list orders by name, not by creation.
    for (const letter of ['c', 'a', 'e', 'b', 'd']) {
      types.push(await created(token, { name: `list.${letter}`, description: `type ${letter}`, schemas: { '1': { type: 'object' } } }));
    }
    types.sort((x, y) => (x.name < y.name ? -1 : 1));
    await created(token, { name: 'list.f-archived', description: 'archived', archived: true });
  });

  it('lists live event types by name, ascending, with their schemas, in one page when it fits', async () => {
    const response = await listTypes(token);
    expect(response.status).toBe(200);
    const page = response.body;
    expect(Object.keys(page).sort()).toEqual(['data', 'done', 'iterator', 'prevIterator']);
    expect(page.data).toEqual(types);
    expect(page.done).toBe(true);
    expect(page.iterator).toBe('list.e');
    expect(page.prevIterator).toBe('~list.a');
    for (const type of page.data) expect(Object.keys(type).sort()).toEqual(OUT_FIELDS);
  });

  it('walks back to the previous page with prevIterator', async () => {
    const first = await listTypes(token, '?limit=2');
    const second = await listTypes(token, `?limit=2&iterator=${first.body.iterator}`);
    expect(second.body.data.map((t) => t.name)).toEqual(['list.c', 'list.d']);
    const back = await listTypes(token, `?limit=2&iterator=${encodeURIComponent(second.body.prevIterator!)}`);
    expect(back.body.data).toEqual(first.body.data);
  });

  it('walks pages of two with the iterator, seeing every event type exactly once', async () => {
    const pages = await walk(token, { limit: '2' });
    expect(pages.map((page) => page.data.length)).toEqual([2, 2, 1]);
    expect(pages.map((page) => page.done)).toEqual([false, false, true]);
    expect(pages.flatMap((page) => page.data.map((type) => type.name))).toEqual(['list.a', 'list.b', 'list.c', 'list.d', 'list.e']);
  });

  it('walks backwards with order=descending', async () => {
    const pages = await walk(token, { limit: '2', order: 'descending' });
    expect(pages.flatMap((page) => page.data)).toEqual([...types].reverse());
  });

  it('reports done on a page that ends exactly at the last event type', async () => {
    const response = await listTypes(token, '?limit=5');
    expect(response.body.data).toHaveLength(5);
    expect(response.body.done).toBe(true);
  });

  it('includes archived event types with include_archived=true', async () => {
    const all = (await listTypes(token, '?include_archived=true')).body;
    expect(all.data.map((type) => type.name)).toEqual(['list.a', 'list.b', 'list.c', 'list.d', 'list.e', 'list.f-archived']);
    expect(all.data.at(-1)?.archived).toBe(true);
    const live = (await listTypes(token, '?include_archived=false')).body;
    expect(live.data).toEqual(types);
  });

  it('leaves schemas out with with_content=false and keeps them with with_content=true', async () => {
    const bare = (await listTypes(token, '?with_content=false')).body;
    expect(bare.data).toHaveLength(5);
    for (const [i, type] of bare.data.entries()) {
      expect(type).not.toHaveProperty('schemas');
      const { schemas: _schemas, ...rest } = types[i]!;
      expect(type).toEqual(rest);
    }
    const full = (await listTypes(token, '?with_content=true')).body;
    expect(full.data).toEqual(types);
  });

  it('answers 422 naming bad query parameters', async () => {
    expectInvalid(await listTypes(token, '?limit=0'), ['query.limit']);
    expectInvalid(await listTypes(token, '?limit=251'), ['query.limit']);
    expectInvalid(await listTypes(token, '?order=sideways'), ['query.order']);
    expectInvalid(await listTypes(token, '?include_archived=1'), ['query.include_archived']);
    expectInvalid(await listTypes(token, '?with_content=no'), ['query.with_content']);
  });
});

describe('tenancy', () => {
  let other: { orgId: string; token: string };

  beforeAll(async () => {
    await created(herald.rootToken, { name: 'tenant.shared', description: 'mine', schemas: { '1': AMOUNT_SCHEMA } });
    other = await newOrganization('Other event type org');
  });

  it("hides one organization's event type from another organization's key", async () => {
    expectError(await getType(other.token, 'tenant.shared'), 404, 'not_found');
    expectError(await patchType(other.token, 'tenant.shared', { description: 'hijacked' }), 404, 'not_found');
    expectError(await deleteType(other.token, 'tenant.shared'), 404, 'not_found');
    expectError(await deleteType(other.token, 'tenant.shared', '?expunge=true'), 404, 'not_found');
    const mine = await getType(herald.rootToken, 'tenant.shared');
    expect(mine.body.description).toBe('mine');
    expect(mine.body.archived).toBe(false);
  });

  it('lets each organization use the same name and lists only its own', async () => {
    const theirs = await created(other.token, { name: 'tenant.shared', description: 'theirs' });
    expect(theirs.description).toBe('theirs');
    expect((await getType(other.token, 'tenant.shared')).body).toEqual(theirs);
    expect((await getType(herald.rootToken, 'tenant.shared')).body.description).toBe('mine');

    const otherList = await listTypes(other.token, '?include_archived=true&limit=250');
    expect(otherList.body.data).toEqual([theirs]);

    // A PUT in one organization creates there, never touching the other's.
    const put = await putType(other.token, 'tenant.put-only-theirs', { description: 'x' });
    expect(put.status).toBe(201);
    expectError(await getType(herald.rootToken, 'tenant.put-only-theirs'), 404, 'not_found');
  });

  describe('an app-scoped key', () => {
    let appToken: string;

    beforeAll(async () => {
      const app = await call<ApplicationOut>(herald.url, 'POST', '/api/v1/app', {
        token: herald.rootToken,
        json: { name: 'Event type reader' },
      });
      expect(app.status).toBe(201);
      ({ token: appToken } = await issueApiKey(herald.database.db, {
        orgId: herald.orgId,
        scope: 'app',
        appId: app.body.id,
        name: 'reader',
      }));
    });

    it('reads and lists the event types of its organization', async () => {
      const response = await getType(appToken, 'tenant.shared');
      expect(response.status).toBe(200);
      expect(response.body).toEqual((await getType(herald.rootToken, 'tenant.shared')).body);
      const list = await listTypes(appToken, '?limit=250');
      expect(list.status).toBe(200);
      expect(list.body.data.map((type) => type.name)).toContain('tenant.shared');
    });

    it('may not create, replace, change or delete them (403 forbidden)', async () => {
      expectError(await createType(appToken, { name: 'tenant.sneaky', description: '' }), 403, 'forbidden');
      expectError(await putType(appToken, 'tenant.sneaky', { description: '' }), 403, 'forbidden');
      expectError(await putType(appToken, 'tenant.shared', { description: 'overwritten' }), 403, 'forbidden');
      expectError(await patchType(appToken, 'tenant.shared', { description: 'changed' }), 403, 'forbidden');
      expectError(await deleteType(appToken, 'tenant.shared'), 403, 'forbidden');
      expectError(await deleteType(appToken, 'tenant.shared', '?expunge=true'), 403, 'forbidden');

      expectError(await getType(herald.rootToken, 'tenant.sneaky'), 404, 'not_found');
      const mine = (await getType(herald.rootToken, 'tenant.shared')).body;
      expect(mine.description).toBe('mine');
      expect(mine.archived).toBe(false);
    });
  });

  it('answers 401 without a key', async () => {
    expectError(await call(herald.url, 'GET', '/api/v1/event-type'), 401, 'unauthorized');
    expectError(await call(herald.url, 'POST', '/api/v1/event-type', { json: { name: 'x', description: '' } }), 401, 'unauthorized');
  });
});
