import { ApiException, Svix } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHerald, type TestHerald } from '../../../test/support/harness';

let herald: TestHerald;
let svix: Svix;

beforeAll(async () => {
  herald = await startTestHerald();
  svix = new Svix(herald.rootToken, { serverUrl: herald.url, retryScheduleInMs: [] });
  await svix.application.create({ name: 'Messages', uid: 'svix-messages' });
});
afterAll(async () => {
  await herald?.close();
});

const statusOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => 0,
    (error: unknown) => (error instanceof ApiException ? error.code : -1),
  );

describe('messages through the svix client', () => {
  it('creates, gets and lists messages with the Svix models', async () => {
    const created = await svix.message.create('svix-messages', {
      eventType: 'invoice.paid',
      eventId: 'inv-1',
      payload: { amount: 10 },
      channels: ['billing'],
      tags: ['t1'],
    });
    expect(created).toMatchObject({
      eventType: 'invoice.paid',
      eventId: 'inv-1',
      payload: { amount: 10 },
      channels: ['billing'],
      tags: ['t1'],
    });
    expect(created.id).toMatch(/^msg_/);
    expect(created.timestamp).toBeInstanceOf(Date);

    const got = await svix.message.get('svix-messages', 'inv-1');
    expect(got).toEqual(created);

    await svix.message.create('svix-messages', { eventType: 'invoice.voided', payload: { amount: 3 } });
    const all = await svix.message.list('svix-messages');
    expect(all.data.map((m) => m.eventType)).toEqual(['invoice.voided', 'invoice.paid']);
    const paid = await svix.message.list('svix-messages', { eventTypes: ['invoice.paid'], channel: 'billing' });
    expect(paid.data.map((m) => m.id)).toEqual([created.id]);
    const since = await svix.message.list('svix-messages', { after: new Date(created.timestamp.getTime()) });
    expect(since.data.map((m) => m.eventType)).toEqual(['invoice.voided']);
  });

  it('refuses a repeated eventId with 409 and replays a repeated idempotency key', async () => {
    await svix.message.create('svix-messages', { eventType: 'a.b', payload: {}, eventId: 'once' });
    expect(await statusOf(svix.message.create('svix-messages', { eventType: 'a.b', payload: {}, eventId: 'once' }))).toBe(409);

    const first = await svix.message.create('svix-messages', { eventType: 'a.b', payload: { k: 1 } }, { idempotencyKey: 'same-request' });
    const again = await svix.message.create('svix-messages', { eventType: 'a.b', payload: { k: 1 } }, { idempotencyKey: 'same-request' });
    expect(again.id).toBe(first.id);
  });

  it('creates the application with the first message when asked to', async () => {
    const message = await svix.message.create('created-by-message', { eventType: 'a.b', payload: {}, application: { name: 'Auto' } });
    expect(message.id).toMatch(/^msg_/);
    expect((await svix.application.get('created-by-message')).name).toBe('Auto');
  });

  it('updates, patches and deletes applications', async () => {
    const app = await svix.application.update('svix-upsert', { name: 'Upserted' });
    expect(app).toMatchObject({ uid: 'svix-upsert', name: 'Upserted' });
    const patched = await svix.application.patch('svix-upsert', { metadata: { team: 'core' } });
    expect(patched).toMatchObject({ name: 'Upserted', metadata: { team: 'core' } });
    await svix.application.delete('svix-upsert');
    expect(await statusOf(svix.application.get('svix-upsert'))).toBe(404);
  });
});

describe('app portal through the svix client', () => {
  it('issues a token that works with the client for that application only', async () => {
    const access = await svix.authentication.appPortalAccess('svix-messages', {});
    expect(access.url).toContain(encodeURIComponent(access.token));
    const subscriber = new Svix(access.token, { serverUrl: herald.url, retryScheduleInMs: [] });
    const endpoint = await subscriber.endpoint.create('svix-messages', { url: 'https://subscriber.test/hook' });
    expect((await subscriber.endpoint.list('svix-messages')).data.map((e) => e.id)).toEqual([endpoint.id]);
    expect((await subscriber.message.list('svix-messages')).data.length).toBeGreaterThan(0);
    expect(await statusOf(subscriber.application.list())).toBe(403);
    expect(await statusOf(subscriber.message.list('created-by-message'))).toBe(404);

    await svix.authentication.expireAll('svix-messages', {});
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await statusOf(subscriber.endpoint.list('svix-messages'))).toBe(401);
  });
});
