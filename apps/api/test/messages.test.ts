import type { ErrorBody, ListPage, MessageOut } from '@herald/core';
import { newEndpointSecret, newId } from '@herald/core';
import { schema } from '@herald/db';
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHerald, startTestWorker, type TestHerald } from '../../../test/support/harness';

let herald: TestHerald;
let appId: string;

beforeAll(async () => {
  herald = await startTestHerald({ queue: 'redis' });
  const app = await call<{ id: string }>(herald.url, 'POST', '/api/v1/app', {
    token: herald.rootToken,
    json: { name: 'Shop', uid: 'shop' },
  });
  appId = app.body.id;
});
afterAll(async () => {
  await herald?.close();
});

const publish = (json: unknown, options: { app?: string; query?: string; headers?: Record<string, string> } = {}) =>
  call<MessageOut>(herald.url, 'POST', `/api/v1/app/${options.app ?? 'shop'}/msg${options.query ?? ''}`, {
    token: herald.rootToken,
    json,
    headers: options.headers,
  });

const rowsOf = (eventId: string) => herald.database.db.select().from(schema.messages).where(eq(schema.messages.eventId, eventId));

describe('POST /api/v1/app/{app_id}/msg', () => {
  it('commits the message before answering 202 with the Svix MessageOut', async () => {
    const response = await publish({
      eventType: 'invoice.paid',
      payload: { amount: 42, currency: 'EUR' },
      eventId: 'evt-1',
      channels: ['eu'],
      tags: ['vip'],
    });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    expect(response.body).toEqual({
      id: expect.stringMatching(/^msg_[0-9A-Za-z]{22}$/),
      eventType: 'invoice.paid',
      eventId: 'evt-1',
      payload: { amount: 42, currency: 'EUR' },
      channels: ['eu'],
      tags: ['vip'],
      deliverAt: null,
      timestamp: expect.stringMatching(/Z$/),
    });
    const [row] = await rowsOf('evt-1');
    expect(row?.id).toBe(response.body.id);
    expect(row?.appId).toBe(appId);
  });

  it('keeps the payload key order it was given', async () => {
    const response = await publish({ eventType: 'a.b', payload: { z: 1, a: 2, m: { y: 1, b: 2 } } });
    const fetched = await fetch(`${herald.url}/api/v1/app/shop/msg/${response.body.id}`, {
      headers: { authorization: `Bearer ${herald.rootToken}` },
    });
    expect(await fetched.text()).toContain('"payload":{"z":1,"a":2,"m":{"y":1,"b":2}}');
  });

  it('leaves the payload out with with_content=false', async () => {
    const response = await publish({ eventType: 'a.b', payload: { secret: 1 } }, { query: '?with_content=false' });
    expect(response.status).toBe(202);
    expect(response.body.payload).toEqual({});
  });

  it('answers 409 for an eventId already used in the application, and writes nothing', async () => {
    expect((await publish({ eventType: 'a.b', payload: {}, eventId: 'dup-1' })).status).toBe(202);
    const again = await publish({ eventType: 'a.b', payload: { other: true }, eventId: 'dup-1' });
    expect(again.status).toBe(409);
    expect((again.body as unknown as ErrorBody).code).toBe('conflict');
    expect(await rowsOf('dup-1')).toHaveLength(1);
  });

  it('creates the application on the first message when the body describes it', async () => {
    const response = await publish({ eventType: 'a.b', payload: {}, application: { name: 'Fresh' } }, { app: 'fresh-app' });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    const app = await call<{ uid: string; name: string }>(herald.url, 'GET', '/api/v1/app/fresh-app', { token: herald.rootToken });
    expect(app.body).toMatchObject({ uid: 'fresh-app', name: 'Fresh' });
  });

  it('answers 404 for an unknown application without `application` in the body', async () => {
    const response = await publish({ eventType: 'a.b', payload: {} }, { app: 'nowhere' });
    expect(response.status).toBe(404);
  });

  it.each([
    [{ payload: {} }, 'body.eventType'],
    [{ eventType: 'has space', payload: {} }, 'body.eventType'],
    [{ eventType: 'a.b' }, 'body.payload'],
    [{ eventType: 'a.b', payload: [1, 2] }, 'body.payload'],
    [{ eventType: 'a.b', payload: 'text' }, 'body.payload'],
    [{ eventType: 'a.b', payload: {}, channels: ['a', 'a'] }, 'body.channels'],
    [{ eventType: 'a.b', payload: {}, channels: ['1', '2', '3', '4', '5', '6'] }, 'body.channels'],
    [{ eventType: 'a.b', payload: {}, eventId: '' }, 'body.eventId'],
    [{ eventType: 'a.b', payload: {}, deliverAt: 'tomorrow' }, 'body.deliverAt'],
    [{ eventType: 'a.b', payload: {}, surprise: 1 }, 'body.surprise'],
  ])('refuses %j with 422 naming %s', async (json, path) => {
    const response = await publish(json);
    expect(response.status).toBe(422);
    const body = response.body as unknown as ErrorBody;
    expect(body.code).toBe('validation');
    expect(body.errors?.map((e) => e.path)).toContain(path);
  });

  it("enforces the event type's JSON Schema, naming the failing path", async () => {
    const type = await call(herald.url, 'POST', '/api/v1/event-type', {
      token: herald.rootToken,
      json: {
        name: 'typed.event',
        description: 'has a schema',
        schemas: { '1': { type: 'object', required: ['amount'], properties: { amount: { type: 'integer', minimum: 0 } } } },
      },
    });
    expect(type.status).toBe(201);
    const bad = await publish({ eventType: 'typed.event', payload: { amount: -5 } });
    expect(bad.status).toBe(422);
    expect((bad.body as unknown as ErrorBody).errors?.[0]?.path).toBe('body.payload.amount');
    const missing = await publish({ eventType: 'typed.event', payload: {} });
    expect((missing.body as unknown as ErrorBody).errors?.[0]?.path).toBe('body.payload.amount');
    expect((await publish({ eventType: 'typed.event', payload: { amount: 5 } })).status).toBe(202);
  });

  it('refuses a payload nested deeper than 64 levels', async () => {
    let payload: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 100; i++) payload = { next: payload };
    const response = await publish({ eventType: 'a.b', payload });
    expect(response.status).toBe(422);
    expect((response.body as unknown as ErrorBody).errors?.[0]?.path).toBe('body.payload');
  });
});

describe('idempotency-key', () => {
  it('replays the first response for the same key and body, creating one message', async () => {
    const headers = { 'idempotency-key': `key-${newId('message')}` };
    const first = await publish({ eventType: 'a.b', payload: { n: 1 }, eventId: 'idem-1' }, { headers });
    const second = await publish({ eventType: 'a.b', payload: { n: 1 }, eventId: 'idem-1' }, { headers });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await rowsOf('idem-1')).toHaveLength(1);
  });

  it('refuses the same key with a different body', async () => {
    const headers = { 'idempotency-key': `key-${newId('message')}` };
    expect((await publish({ eventType: 'a.b', payload: { n: 1 } }, { headers })).status).toBe(202);
    const other = await publish({ eventType: 'a.b', payload: { n: 2 } }, { headers });
    expect(other.status).toBe(409);
    expect((other.body as unknown as ErrorBody).detail).toMatch(/different request/);
  });

  it('replays 4xx answers too, and forgets a key after 24 hours', async () => {
    const key = `key-${newId('message')}`;
    const invalid = await publish({ eventType: 'a.b' }, { headers: { 'idempotency-key': key } });
    const replayed = await publish({ eventType: 'a.b' }, { headers: { 'idempotency-key': key } });
    expect(invalid.status).toBe(422);
    expect(replayed.status).toBe(422);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');

    await herald.database.db
      .update(schema.idempotencyKeys)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(like(schema.idempotencyKeys.key, `%:${key}`));
    const fresh = await publish({ eventType: 'a.b' }, { headers: { 'idempotency-key': key } });
    expect(fresh.status).toBe(422);
    expect(fresh.headers.get('idempotent-replayed')).toBeNull();
  });

  it('keeps keys of different organizations apart', async () => {
    const key = `key-${newId('message')}`;
    const first = await publish({ eventType: 'a.b', payload: {} }, { headers: { 'idempotency-key': key } });
    const { createOrganization, issueApiKey } = await import('@herald/db');
    const org = await createOrganization(herald.database.db, { name: 'other' });
    const { token } = await issueApiKey(herald.database.db, { orgId: org.id, scope: 'org', name: 'k' });
    await call(herald.url, 'POST', '/api/v1/app', { token, json: { name: 'Shop', uid: 'shop' } });
    const second = await call<MessageOut>(herald.url, 'POST', '/api/v1/app/shop/msg', {
      token,
      json: { eventType: 'a.b', payload: {} },
      headers: { 'idempotency-key': key },
    });
    expect(second.status).toBe(202);
    expect(second.body.id).not.toBe(first.body.id);
  });
});

describe('idempotency keys and credentials', () => {
  it('replays a response only to the credential that caused it', async () => {
    const { issueApiKey } = await import('@herald/db');
    const { token: other } = await issueApiKey(herald.database.db, { orgId: herald.orgId, scope: 'org', name: 'second key' });
    const key = `key-${newId('message')}`;
    const first = await publish({ eventType: 'a.b', payload: {} }, { headers: { 'idempotency-key': key } });
    const again = await publish({ eventType: 'a.b', payload: {} }, { headers: { 'idempotency-key': key } });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    const byOther = await call<MessageOut>(herald.url, 'POST', '/api/v1/app/shop/msg', {
      token: other,
      json: { eventType: 'a.b', payload: {} },
      headers: { 'idempotency-key': key },
    });
    expect(byOther.status).toBe(202);
    expect(byOther.headers.get('idempotent-replayed')).toBeNull();
    expect(byOther.body.id).not.toBe(first.body.id);
  });

  it('never stores a response carrying a new API key or portal token', async () => {
    const key = `key-${newId('message')}`;
    const issue = () =>
      call<{ token: string }>(herald.url, 'POST', '/api/v1/api-key', {
        token: herald.rootToken,
        json: { name: 'retried', scope: 'org' },
        headers: { 'idempotency-key': key },
      });
    const [a, b] = [await issue(), await issue()];
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body.token).not.toBe(a.body.token);
    const portal = await call<{ token: string }>(herald.url, 'POST', '/api/v1/auth/app-portal-access/shop', {
      token: herald.rootToken,
      json: {},
      headers: { 'idempotency-key': `${key}-portal` },
    });
    expect(portal.status).toBe(200);
    const stored = await herald.database.db
      .select()
      .from(schema.idempotencyKeys)
      .where(like(schema.idempotencyKeys.key, `%${key}%`));
    expect(stored).toEqual([]);
  });
});

describe('GET messages', () => {
  it('gets a message by id and by eventId', async () => {
    const created = await publish({ eventType: 'order.created', payload: { o: 1 }, eventId: 'order-77' });
    for (const key of [created.body.id, 'order-77']) {
      const got = await call<MessageOut>(herald.url, 'GET', `/api/v1/app/shop/msg/${key}`, { token: herald.rootToken });
      expect(got.status).toBe(200);
      expect(got.body).toEqual(created.body);
    }
    expect((await call(herald.url, 'GET', '/api/v1/app/shop/msg/missing', { token: herald.rootToken })).status).toBe(404);
  });

  it('lists newest first, filtered by event type, channel, tag and time, across pages', async () => {
    await call(herald.url, 'POST', '/api/v1/app', { token: herald.rootToken, json: { name: 'Lister', uid: 'lister' } });
    const sent: MessageOut[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await publish(
        {
          eventType: i % 2 ? 'odd.one' : 'even.one',
          payload: { i },
          channels: i < 2 ? ['early'] : ['late'],
          tags: i === 4 ? ['last'] : null,
        },
        { app: 'lister' },
      );
      sent.push(response.body);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const list = (query: string) =>
      call<ListPage<MessageOut>>(herald.url, 'GET', `/api/v1/app/lister/msg${query}`, { token: herald.rootToken });

    expect((await list('')).body.data.map((m) => m.id)).toEqual(sent.map((m) => m.id).reverse());
    expect((await list('?event_types=odd.one')).body.data.map((m) => m.id)).toEqual([sent[3]!.id, sent[1]!.id]);
    expect((await list('?event_types=odd.one%2Ceven.one')).body.data).toHaveLength(5);
    expect((await list('?channel=early')).body.data.map((m) => m.id)).toEqual([sent[1]!.id, sent[0]!.id]);
    expect((await list('?tag=last')).body.data.map((m) => m.id)).toEqual([sent[4]!.id]);
    const after = encodeURIComponent(sent[2]!.timestamp);
    const afterPage = await list(`?after=${after}`);
    expect(afterPage.status, JSON.stringify(afterPage.body)).toBe(200);
    expect(afterPage.body.data.map((m) => m.id)).toEqual([sent[4]!.id, sent[3]!.id]);

    const first = await list('?limit=2');
    expect(first.body.done).toBe(false);
    const second = await list(`?limit=2&iterator=${first.body.iterator}`);
    const third = await list(`?limit=2&iterator=${second.body.iterator}`);
    expect([...first.body.data, ...second.body.data, ...third.body.data].map((m) => m.id)).toEqual(sent.map((m) => m.id).reverse());
    expect(third.body.done).toBe(true);
  });

  it.each(['?before=yesterday', '?limit=0', '?with_content=maybe'])('answers 422 for %s', async (query) => {
    const response = await call<ErrorBody>(herald.url, 'GET', `/api/v1/app/shop/msg${query}`, { token: herald.rootToken });
    expect(response.status).toBe(422);
    expect(response.body.errors?.[0]?.path).toMatch(/^query\./);
  });
});

describe('dispatch', () => {
  it('hands each committed message to the fan-out worker', async () => {
    const worker = startTestWorker(herald);
    try {
      const [endpoint] = await herald.database.db
        .insert(schema.endpoints)
        .values({ id: newId('endpoint'), orgId: herald.orgId, appId, url: 'http://127.0.0.1:9/h', secret: newEndpointSecret() })
        .returning();
      const response = await publish({ eventType: 'ship.it', payload: {} });
      const deadline = Date.now() + 15_000;
      let deliveries: (typeof schema.deliveries.$inferSelect)[] = [];
      while (deliveries.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        deliveries = await herald.database.db.select().from(schema.deliveries).where(eq(schema.deliveries.messageId, response.body.id));
      }
      expect(deliveries.map((d) => d.endpointId)).toEqual([endpoint!.id]);
      const [message] = await herald.database.db.select().from(schema.messages).where(eq(schema.messages.id, response.body.id));
      expect(message?.dispatchedAt).not.toBeNull();
    } finally {
      await worker.close();
    }
  });
});
