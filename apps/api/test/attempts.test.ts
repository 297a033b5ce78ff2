import { newId } from '@herald/core';
import { schema } from '@herald/db';
import { Svix } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHerald, type TestHerald } from '../../../test/support/harness';

/**
 * Attempts are written by the delivery worker; here they are seeded straight
 * into the attempt log so the read API is checked on known rows.
 */
let herald: TestHerald;
let svix: Svix;
const ids = { app: '', ok: '', broken: '', first: '', second: '' };
const attemptIds: Record<string, string> = {};

async function seedAttempt(
  messageId: string,
  endpointId: string,
  deliveryId: string,
  status: 'succeeded' | 'failed',
  code: number | null,
  at: Date,
) {
  const id = newId('attempt', at.getTime());
  await herald.database.db.insert(schema.attempts).values({
    id,
    orgId: herald.orgId,
    appId: ids.app,
    messageId,
    endpointId,
    deliveryId,
    status,
    url: 'https://receiver.test/hook',
    responseStatusCode: code,
    response: code === null ? 'connection refused' : `status ${code}`,
    durationMs: 12,
    createdAt: at,
  });
  return id;
}

beforeAll(async () => {
  herald = await startTestHerald();
  svix = new Svix(herald.rootToken, { serverUrl: herald.url, retryScheduleInMs: [] });
  ids.app = (await svix.application.create({ name: 'Attempts', uid: 'attempts' })).id;
  ids.ok = (await svix.endpoint.create('attempts', { url: 'https://ok.test/hook', uid: 'ok' })).id;
  ids.broken = (await svix.endpoint.create('attempts', { url: 'https://broken.test/hook', uid: 'broken' })).id;
  ids.first = (
    await svix.message.create('attempts', { eventType: 'order.created', payload: { n: 1 }, eventId: 'first', channels: ['eu'] })
  ).id;
  ids.second = (await svix.message.create('attempts', { eventType: 'order.paid', payload: { n: 2 }, eventId: 'second' })).id;

  const db = herald.database.db;
  const delivery = async (messageId: string, endpointId: string, status: 'succeeded' | 'failed' | 'dead', next: Date | null) => {
    const id = newId('delivery');
    await db
      .insert(schema.deliveries)
      .values({ id, orgId: herald.orgId, appId: ids.app, messageId, endpointId, status, nextAttemptAt: next });
    return id;
  };
  const t0 = Date.now() - 60_000;
  const firstOk = await delivery(ids.first, ids.ok, 'succeeded', null);
  const firstBroken = await delivery(ids.first, ids.broken, 'failed', new Date(t0 + 3_600_000));
  const secondBroken = await delivery(ids.second, ids.broken, 'dead', null);
  attemptIds.firstOk = await seedAttempt(ids.first, ids.ok, firstOk, 'succeeded', 200, new Date(t0));
  attemptIds.firstBroken1 = await seedAttempt(ids.first, ids.broken, firstBroken, 'failed', 500, new Date(t0 + 1000));
  attemptIds.firstBroken2 = await seedAttempt(ids.first, ids.broken, firstBroken, 'failed', null, new Date(t0 + 2000));
  attemptIds.secondBroken = await seedAttempt(ids.second, ids.broken, secondBroken, 'failed', 404, new Date(t0 + 3000));
});
afterAll(async () => {
  await herald?.close();
});

describe('message attempts through the svix client', () => {
  it('lists the attempts of a message newest first, with Svix field values', async () => {
    const page = await svix.messageAttempt.listByMsg('attempts', 'first');
    expect(page.data.map((a) => a.id)).toEqual([attemptIds.firstBroken2, attemptIds.firstBroken1, attemptIds.firstOk]);
    const [refused, failed, ok] = page.data;
    expect(ok).toMatchObject({
      msgId: ids.first,
      endpointId: ids.ok,
      status: 0,
      statusText: 'success',
      responseStatusCode: 200,
      responseDurationMs: 12,
      triggerType: 0,
      url: 'https://receiver.test/hook',
    });
    expect(ok!.timestamp).toBeInstanceOf(Date);
    expect(failed).toMatchObject({ status: 2, statusText: 'fail', responseStatusCode: 500 });
    expect(refused).toMatchObject({ status: 2, responseStatusCode: 0, response: 'connection refused' });
    expect(page.done).toBe(true);
  });

  it('filters by status, status code class and endpoint', async () => {
    expect((await svix.messageAttempt.listByMsg('attempts', ids.first, { status: 0 })).data.map((a) => a.id)).toEqual([attemptIds.firstOk]);
    expect((await svix.messageAttempt.listByMsg('attempts', ids.first, { status: 1 })).data).toEqual([]);
    expect((await svix.messageAttempt.listByMsg('attempts', ids.first, { statusCodeClass: 500 })).data.map((a) => a.id)).toEqual([
      attemptIds.firstBroken1,
    ]);
    expect((await svix.messageAttempt.listByMsg('attempts', ids.first, { statusCodeClass: 0 })).data.map((a) => a.id)).toEqual([
      attemptIds.firstBroken2,
    ]);
    expect((await svix.messageAttempt.listByMsg('attempts', ids.first, { endpointId: 'ok' })).data.map((a) => a.id)).toEqual([
      attemptIds.firstOk,
    ]);
  });

  it('lists the attempts to an endpoint, optionally with their message, filtered by event type and channel', async () => {
    const page = await svix.messageAttempt.listByEndpoint('attempts', 'broken', { withMsg: true });
    expect(page.data.map((a) => a.id)).toEqual([attemptIds.secondBroken, attemptIds.firstBroken2, attemptIds.firstBroken1]);
    expect(page.data[0]!.msg).toMatchObject({ id: ids.second, eventType: 'order.paid' });
    const paid = await svix.messageAttempt.listByEndpoint('attempts', 'broken', { eventTypes: ['order.paid'] });
    expect(paid.data.map((a) => a.id)).toEqual([attemptIds.secondBroken]);
    const eu = await svix.messageAttempt.listByEndpoint('attempts', 'broken', { channel: 'eu' });
    expect(eu.data.map((a) => a.msgId)).toEqual([ids.first, ids.first]);
    const paged = await svix.messageAttempt.listByEndpoint('attempts', 'broken', { limit: 2 });
    expect(paged.done).toBe(false);
    const rest = await svix.messageAttempt.listByEndpoint('attempts', 'broken', { limit: 2, iterator: paged.iterator });
    expect(rest.data.map((a) => a.id)).toEqual([attemptIds.firstBroken1]);
  });

  it('shows where a message went and what went to an endpoint, with delivery states', async () => {
    const destinations = await svix.messageAttempt.listAttemptedDestinations('attempts', ids.first);
    const byId = Object.fromEntries(destinations.data.map((d) => [d.id, d]));
    expect(byId[ids.ok]).toMatchObject({ status: 0, statusText: 'success', url: 'https://ok.test/hook', nextAttempt: null });
    expect(byId[ids.broken]).toMatchObject({ status: 1, statusText: 'pending' });
    expect(byId[ids.broken]!.nextAttempt).toBeInstanceOf(Date);

    const sent = await svix.messageAttempt.listAttemptedMessages('attempts', 'broken');
    expect(sent.data.map((m) => [m.id, m.statusText])).toEqual([
      [ids.second, 'fail'],
      [ids.first, 'pending'],
    ]);
    expect(sent.data[0]!.payload).toEqual({ n: 2 });
    expect((await svix.messageAttempt.listAttemptedMessages('attempts', 'broken', { status: 2 })).data.map((m) => m.id)).toEqual([
      ids.second,
    ]);
  });

  it('gets one attempt, and 404s across messages and tenants', async () => {
    const one = await svix.messageAttempt.get('attempts', ids.first, attemptIds.firstOk!);
    expect(one).toMatchObject({ id: attemptIds.firstOk, status: 0 });
    const wrongMessage = await call(herald.url, 'GET', `/api/v1/app/attempts/msg/${ids.second}/attempt/${attemptIds.firstOk}`, {
      token: herald.rootToken,
    });
    expect(wrongMessage.status).toBe(404);
    const { createOrganization, issueApiKey } = await import('@herald/db');
    const org = await createOrganization(herald.database.db, { name: 'stranger' });
    const { token } = await issueApiKey(herald.database.db, { orgId: org.id, scope: 'org', name: 's' });
    for (const path of [
      `/api/v1/app/${ids.app}/attempt/msg/${ids.first}`,
      `/api/v1/app/${ids.app}/attempt/endpoint/${ids.ok}`,
      `/api/v1/app/${ids.app}/msg/${ids.first}/endpoint`,
    ]) {
      expect((await call(herald.url, 'GET', path, { token })).status, path).toBe(404);
    }
  });

  it.each(['?status=9', '?status_code_class=250', '?before=soon'])('answers 422 for %s', async (query) => {
    const response = await call<{ errors: { path: string }[] }>(herald.url, 'GET', `/api/v1/app/attempts/attempt/msg/first${query}`, {
      token: herald.rootToken,
    });
    expect(response.status).toBe(422);
    expect(response.body.errors[0]!.path).toMatch(/^query\./);
  });
});
