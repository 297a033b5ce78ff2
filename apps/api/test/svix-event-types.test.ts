import { ApiException, type EventTypeOut, Ordering, Svix } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHerald, type TestHerald } from '../../../test/support/harness';

const SCHEMAS = {
  '1': {
    type: 'object',
    required: ['email'],
    properties: { email: { type: 'string', format: 'email' }, plan: { enum: ['free', 'pro'] } },
  },
};

let herald: TestHerald;
let svix: Svix;

beforeAll(async () => {
  herald = await startTestHerald();
  // No retries: a 5xx from Herald should fail the test, not be papered over.
  // (`numRetries: 0` is falsy and falls back to two retries; an empty schedule means none.)
  svix = new Svix(herald.rootToken, { serverUrl: herald.url, retryScheduleInMs: [] });
});
afterAll(async () => {
  await herald?.close();
});

function expectValidDate(value: unknown) {
  expect(value).toBeInstanceOf(Date);
  expect(Number.isNaN((value as Date).getTime())).toBe(false);
}

/** What the client throws for a 4xx; `body` is Herald's parsed error. */
async function rejection(promise: Promise<unknown>): Promise<ApiException<{ code: string; errors?: { path: string }[] }>> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ApiException);
  return error as ApiException<{ code: string; errors?: { path: string }[] }>;
}

describe('the official svix client against Herald: event types', () => {
  let created: EventTypeOut;

  beforeAll(async () => {
    created = await svix.eventType.create({
      name: 'user.signup',
      description: 'A user signed up',
      featureFlags: ['beta'],
      groupName: 'user',
      schemas: SCHEMAS,
    });
  });

  it('eventType.create answers the new event type, field by field', () => {
    expect(created.name).toBe('user.signup');
    expect(created.description).toBe('A user signed up');
    expect(created.archived).toBe(false);
    expect(created.deprecated).toBe(false);
    expect(created.featureFlag).toBe('beta');
    expect(created.featureFlags).toEqual(['beta']);
    expect(created.groupName).toBe('user');
    expect(created.schemas).toEqual(SCHEMAS);
    expectValidDate(created.createdAt);
    expectValidDate(created.updatedAt);
    expect(Math.abs(created.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(created.updatedAt.getTime()).toBe(created.createdAt.getTime());
  });

  it('eventType.create with only the required fields answers the defaults', async () => {
    const type = await svix.eventType.create({ name: 'user.minimal', description: '' });
    expect(type).toEqual({
      name: 'user.minimal',
      description: '',
      archived: false,
      deprecated: false,
      featureFlag: null,
      featureFlags: null,
      groupName: null,
      schemas: null,
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
  });

  it('eventType.create rejects a name that exists with a 409', async () => {
    const error = await rejection(svix.eventType.create({ name: 'user.signup', description: 'again' }));
    expect(error.code).toBe(409);
    expect(error.body.code).toBe('conflict');
  });

  it('eventType.create rejects a schema that does not compile with a 422 naming it', async () => {
    const error = await rejection(svix.eventType.create({ name: 'user.bad', description: '', schemas: { '1': { type: 'nope' } } }));
    expect(error.code).toBe(422);
    expect(error.body.code).toBe('validation');
    expect(error.body.errors?.map((e) => e.path)).toEqual(['body.schemas.1']);
  });

  it('eventType.get finds it by name', async () => {
    expect(await svix.eventType.get('user.signup')).toEqual(created);
  });

  it('eventType.get rejects an unknown name with a 404', async () => {
    const error = await rejection(svix.eventType.get('user.nobody'));
    expect(error.code).toBe(404);
    expect(error.body.code).toBe('not_found');
  });

  it('eventType.update creates under a new name, then replaces it', async () => {
    const made = await svix.eventType.update('order.placed', { description: 'made by update', deprecated: true, featureFlag: 'orders' });
    expect(made).toEqual({
      name: 'order.placed',
      description: 'made by update',
      archived: false,
      deprecated: true,
      featureFlag: 'orders',
      featureFlags: ['orders'],
      groupName: null,
      schemas: null,
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });

    const replaced = await svix.eventType.update('order.placed', { description: 'replaced', groupName: 'order', schemas: SCHEMAS });
    expect(replaced.name).toBe('order.placed');
    expect(replaced.description).toBe('replaced');
    expect(replaced.deprecated).toBe(false);
    expect(replaced.featureFlag).toBeNull();
    expect(replaced.featureFlags).toBeNull();
    expect(replaced.groupName).toBe('order');
    expect(replaced.schemas).toEqual(SCHEMAS);
    expect(replaced.createdAt).toEqual(made.createdAt);
    expect(replaced.updatedAt.getTime()).toBeGreaterThanOrEqual(made.updatedAt.getTime());
    expect(await svix.eventType.get('order.placed')).toEqual(replaced);
  });

  it('eventType.patch changes what it sends and clears what it sends as null', async () => {
    await svix.eventType.create({
      name: 'order.shipped',
      description: 'before',
      groupName: 'order',
      featureFlag: 'ship',
      schemas: SCHEMAS,
    });
    const described = await svix.eventType.patch('order.shipped', { description: 'after', deprecated: true });
    expect(described.description).toBe('after');
    expect(described.deprecated).toBe(true);
    expect(described.groupName).toBe('order');
    expect(described.featureFlags).toEqual(['ship']);
    expect(described.schemas).toEqual(SCHEMAS);

    const cleared = await svix.eventType.patch('order.shipped', { groupName: null, featureFlags: null, schemas: null });
    expect(cleared).toEqual({
      ...described,
      groupName: null,
      featureFlag: null,
      featureFlags: null,
      schemas: null,
      updatedAt: expect.any(Date),
    });
  });

  it('eventType.delete archives; eventType.create unarchives', async () => {
    await svix.eventType.create({ name: 'order.cancelled', description: 'first' });
    const result = await svix.eventType.delete('order.cancelled');
    expect(result).toBeUndefined();
    const archived = await svix.eventType.get('order.cancelled');
    expect(archived.archived).toBe(true);

    const live = await svix.eventType.list({ limit: 250 });
    expect(live.data.map((type) => type.name)).not.toContain('order.cancelled');
    const all = await svix.eventType.list({ limit: 250, includeArchived: true });
    expect(all.data.find((type) => type.name === 'order.cancelled')?.archived).toBe(true);

    const revived = await svix.eventType.create({ name: 'order.cancelled', description: 'second' });
    expect(revived.archived).toBe(false);
    expect(revived.description).toBe('second');
    expect(revived.createdAt).toEqual(archived.createdAt);
  });

  it('eventType.delete with expunge removes it for good', async () => {
    await svix.eventType.create({ name: 'order.expunged', description: '' });
    await svix.eventType.delete('order.expunged', { expunge: true });
    const error = await rejection(svix.eventType.get('order.expunged'));
    expect(error.code).toBe(404);
  });

  it('eventType.list pages by name with the iterator', async () => {
    const everything = await svix.eventType.list({ limit: 250 });
    const names = everything.data.map((type) => type.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['order.placed', 'order.shipped', 'user.minimal', 'user.signup']));
    expect(everything.done).toBe(true);

    const first = await svix.eventType.list({ limit: 2 });
    expect(first.data).toEqual(everything.data.slice(0, 2));
    expect(first.done).toBe(false);
    expect(first.iterator).toBe(names[1]);
    const second = await svix.eventType.list({ limit: 2, iterator: first.iterator });
    expect(second.data).toEqual(everything.data.slice(2, 4));
    for (const type of second.data) {
      expectValidDate(type.createdAt);
      expectValidDate(type.updatedAt);
    }

    const descending = await svix.eventType.list({ limit: 250, order: Ordering.Descending });
    expect(descending.data.map((type) => type.name)).toEqual([...names].reverse());
  });

  it('eventType.list leaves the schemas out with withContent: false', async () => {
    const bare = await svix.eventType.list({ limit: 250, withContent: false });
    const signup = bare.data.find((type) => type.name === 'user.signup');
    expect(signup).toBeDefined();
    expect(signup?.schemas).toBeUndefined();
    expect(signup?.description).toBe('A user signed up');
    const full = await svix.eventType.list({ limit: 250, withContent: true });
    expect(full.data.find((type) => type.name === 'user.signup')?.schemas).toEqual(SCHEMAS);
  });
});
