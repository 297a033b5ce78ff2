import { newEndpointSecret, newId } from '@herald/core';
import { createOrganization, insertApplication, schema } from '@herald/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_BACKENDS, testConfig, testDatabase, testQueue } from '../../../test/support/harness';
import { fanOutMessage, startWorker } from '../src';

type Db = Awaited<ReturnType<typeof testDatabase>>;

async function seed(database: Db) {
  const { db } = database;
  const org = await createOrganization(db, { name: 'fanout' });
  const app = (await insertApplication(db, org.id, { name: 'app' }))!;
  const endpoint = async (overrides: Partial<typeof schema.endpoints.$inferInsert> = {}) => {
    const [row] = await db
      .insert(schema.endpoints)
      .values({
        id: newId('endpoint'),
        orgId: org.id,
        appId: app.id,
        url: 'http://127.0.0.1:9/hook',
        secret: newEndpointSecret(),
        ...overrides,
      })
      .returning();
    return row!;
  };
  const matching = {
    all: await endpoint(),
    typed: await endpoint({ filterTypes: ['invoice.paid', 'invoice.voided'] }),
    channel: await endpoint({ channels: ['eu'] }),
  };
  const notMatching = {
    disabled: await endpoint({ disabled: true }),
    otherType: await endpoint({ filterTypes: ['user.created'] }),
    otherChannel: await endpoint({ channels: ['us'] }),
  };
  const otherApp = (await insertApplication(db, org.id, { name: 'other' }))!;
  await db
    .insert(schema.endpoints)
    .values({ id: newId('endpoint'), orgId: org.id, appId: otherApp.id, url: 'http://127.0.0.1:9/other', secret: newEndpointSecret() });
  const [message] = await db
    .insert(schema.messages)
    .values({ id: newId('message'), orgId: org.id, appId: app.id, eventType: 'invoice.paid', payload: { amount: 1 }, channels: ['eu'] })
    .returning();
  return { message: message!, matching, notMatching, endpoint };
}

const deliveriesOf = (database: Db, messageId: string) =>
  database.db.select().from(schema.deliveries).where(eq(schema.deliveries.messageId, messageId));

describe('fan-out', () => {
  let database: Db;
  beforeAll(async () => {
    database = await testDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  it('creates one pending delivery per matching endpoint, and none twice', async () => {
    const { message, matching } = await seed(database);
    expect((await fanOutMessage(database.db, message.id)).created).toBe(3);
    // Repeats (a retried job, the sweeper) change nothing.
    expect((await fanOutMessage(database.db, message.id)).created).toBe(0);
    const rows = await deliveriesOf(database, message.id);
    expect(rows.map((r) => r.endpointId).sort()).toEqual(
      Object.values(matching)
        .map((e) => e.id)
        .sort(),
    );
    expect(rows.every((r) => r.status === 'pending' && r.attemptCount === 0)).toBe(true);
  });

  it('does nothing for a message that no longer exists', async () => {
    expect((await fanOutMessage(database.db, newId('message'))).created).toBe(0);
  });

  it('applies payload filters after the event type and channel match', async () => {
    const { message, matching, endpoint } = await seed(database);
    await database.db
      .update(schema.messages)
      .set({ payload: { amount: 1500, currency: 'EUR', customer: { tier: 'gold' }, items: [{ sku: 'A-1' }] } })
      .where(eq(schema.messages.id, message.id));
    const passing = {
      literal: await endpoint({ payloadFilter: { currency: 'EUR' } }),
      range: await endpoint({ payloadFilter: { amount: { $gte: 1000, $lt: 2000 } } }),
      nested: await endpoint({ payloadFilter: { $or: [{ 'customer.tier': 'platinum' }, { 'items.0.sku': { $in: ['A-1', 'B-2'] } }] } }),
      negated: await endpoint({ payloadFilter: { $not: { 'customer.blocked': { $exists: true } } } }),
      empty: await endpoint({ payloadFilter: {} }),
      typedAndFiltered: await endpoint({ filterTypes: ['invoice.paid'], payloadFilter: { amount: 1500 } }),
    };
    const failing = {
      literal: await endpoint({ payloadFilter: { currency: 'USD' } }),
      range: await endpoint({ payloadFilter: { amount: { $gt: 2000 } } }),
      typeMismatch: await endpoint({ payloadFilter: { amount: '1500' } }),
      missing: await endpoint({ payloadFilter: { 'customer.id': { $exists: true } } }),
      negated: await endpoint({ payloadFilter: { $not: { currency: 'EUR' } } }),
      outsideTheGrammar: await endpoint({ payloadFilter: { amount: { $regex: '^1' } } }),
      // The payload filter would match, but the SQL match already dropped these.
      disabled: await endpoint({ disabled: true, payloadFilter: { currency: 'EUR' } }),
      otherType: await endpoint({ filterTypes: ['user.created'], payloadFilter: { currency: 'EUR' } }),
      otherChannel: await endpoint({ channels: ['us'], payloadFilter: { currency: 'EUR' } }),
    };

    const result = await fanOutMessage(database.db, message.id);
    const expected = [...Object.values(matching), ...Object.values(passing)].map((e) => e.id).sort();
    expect(result.created).toBe(expected.length);
    expect(result.deliveries).toHaveLength(expected.length);
    const rows = await deliveriesOf(database, message.id);
    expect(rows.map((r) => r.endpointId).sort()).toEqual(expected);
    expect(rows.map((r) => r.id).sort()).toEqual(result.deliveries.map((d) => d.id).sort());
    const delivered = new Set(rows.map((r) => r.endpointId));
    for (const [name, e] of Object.entries(failing)) expect(delivered.has(e.id), name).toBe(false);

    // A repeat changes nothing, filters included.
    expect((await fanOutMessage(database.db, message.id)).created).toBe(0);
  });

  it('gives a message without channels only to endpoints without a channel filter', async () => {
    const { message } = await seed(database);
    await database.db.update(schema.messages).set({ channels: null }).where(eq(schema.messages.id, message.id));
    expect((await fanOutMessage(database.db, message.id)).created).toBe(2);
  });
});

describe.each(QUEUE_BACKENDS)('fan-out worker on %s', (backend) => {
  let database: Db;
  beforeAll(async () => {
    database = await testDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  it('processes fan-out jobs from the queue', async () => {
    const queue = testQueue(backend, database.url);
    const worker = startWorker({ config: testConfig(), db: database.db, queue });
    try {
      const { message } = await seed(database);
      await queue.enqueue('fanout', { messageId: message.id });
      const deadline = Date.now() + 15_000;
      let rows = await deliveriesOf(database, message.id);
      while (rows.length < 3 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        rows = await deliveriesOf(database, message.id);
      }
      expect(rows).toHaveLength(3);
    } finally {
      await worker.close();
      await queue.close();
    }
  });
});
