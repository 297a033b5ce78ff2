import { ApiException, type ApplicationOut, Svix } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHerald, type TestHerald } from '../../../test/support/harness';

const ID = /^app_[0-9A-Za-z]{22}$/;

let herald: TestHerald;
let svix: Svix;

beforeAll(async () => {
  herald = await startTestHerald();
  // No retries: a 5xx from Herald should fail the test, not be papered over.
  // (`numRetries: 0` is falsy and falls back to the client's default of 2.)
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
async function rejection(promise: Promise<unknown>): Promise<ApiException<{ code: string }>> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ApiException);
  return error as ApiException<{ code: string }>;
}

describe('the official svix client against Herald', () => {
  let created: ApplicationOut;

  beforeAll(async () => {
    created = await svix.application.create({ name: 'Svix Customer', uid: 'svix-customer' });
  });

  it('application.create answers the new application, field by field', () => {
    expect(created.id).toMatch(ID);
    expect(created.uid).toBe('svix-customer');
    expect(created.name).toBe('Svix Customer');
    expect(created.rateLimit).toBeNull();
    expect(created.throttleRate).toBeNull();
    expect(created.metadata).toEqual({});
    expectValidDate(created.createdAt);
    expectValidDate(created.updatedAt);
    expect(Math.abs(created.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('application.create round-trips metadata and throttleRate', async () => {
    const app = await svix.application.create({ name: 'Tuned', uid: 'svix-tuned', throttleRate: 7, metadata: { tier: 'gold' } });
    expect(app).toEqual({
      id: expect.stringMatching(ID),
      uid: 'svix-tuned',
      name: 'Tuned',
      rateLimit: null,
      throttleRate: 7,
      metadata: { tier: 'gold' },
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
  });

  it('application.get finds it by id and by uid', async () => {
    expect(await svix.application.get(created.id)).toEqual(created);
    expect(await svix.application.get('svix-customer')).toEqual(created);
  });

  it('application.get rejects an unknown application with a 404', async () => {
    const error = await rejection(svix.application.get('svix-nobody'));
    expect(error.code).toBe(404);
    expect(error.body.code).toBe('not_found');
  });

  it('application.create rejects a taken uid with a 409', async () => {
    const error = await rejection(svix.application.create({ name: 'Duplicate', uid: 'svix-customer' }));
    expect(error.code).toBe(409);
    expect(error.body.code).toBe('conflict');
  });

  it('application.list pages newest first with the iterator', async () => {
    const newest = await svix.application.create({ name: 'Newest', uid: 'svix-newest' });
    const first = await svix.application.list({ limit: 1 });
    expect(first.data).toEqual([newest]);
    expect(first.done).toBe(false);
    expect(first.iterator).toBe(newest.id);

    const second = await svix.application.list({ limit: 1, iterator: first.iterator! });
    expect(second.data).toHaveLength(1);
    expect(second.data[0]!.id).not.toBe(newest.id);
    expectValidDate(second.data[0]!.createdAt);
    expect(second.data[0]!.createdAt.getTime()).toBeLessThanOrEqual(newest.createdAt.getTime());
  });

  it('application.getOrCreate answers the existing application for a taken uid', async () => {
    const app = await svix.application.getOrCreate({ name: 'Would be renamed', uid: 'svix-customer' });
    expect(app).toEqual(created);
  });

  it('application.getOrCreate creates when the uid is free', async () => {
    const app = await svix.application.getOrCreate({ name: 'Brand new', uid: 'svix-brand-new' });
    expect(app.id).toMatch(ID);
    expect(app.name).toBe('Brand new');
    expect(app.uid).toBe('svix-brand-new');
    expect(await svix.application.get('svix-brand-new')).toEqual(app);
  });
});
