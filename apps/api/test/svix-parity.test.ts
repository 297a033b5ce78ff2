import { schema } from '@herald/db';
import { eq } from 'drizzle-orm';
import { Svix as Svix1 } from 'svix';
import { Svix as Svix2 } from 'svix2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHerald, type TestHerald } from '../../../test/support/harness';

/**
 * Svix parity, through both major versions of the official client (svix 1.x
 * and 2.x, which asks for `with_content=false` by default), plus what the
 * clients do not exercise: trailing slashes, the liveness ping, expunge.
 */
let herald: TestHerald;

beforeAll(async () => {
  herald = await startTestHerald();
});
afterAll(async () => {
  await herald?.close();
});

// The two clients' types differ in details no test here touches; what both share is used.
type Client = Svix1;

describe.each([
  ['svix 1.x', (token: string, url: string) => new Svix1(token, { serverUrl: url, retryScheduleInMs: [] })],
  ['svix 2.x', (token: string, url: string) => new Svix2(token, { serverUrl: url, retryScheduleInMs: [] }) as unknown as Client],
])('%s against Herald', (name, connect) => {
  let svix: Client;
  const uid = `parity-${name.replace(/\W/g, '')}`;

  beforeAll(async () => {
    svix = connect(herald.rootToken, herald.url);
    await svix.application.create({ name: `Parity ${name}`, uid });
  });

  it('checks health', async () => {
    await expect(svix.health.get()).resolves.toBeUndefined();
  });

  it('publishes and reads back a message, with and without its content', async () => {
    await svix.endpoint.create(uid, { url: 'https://receiver.test/hook' });
    const created = await svix.message.create(uid, { eventType: 'parity.checked', payload: { n: 1, s: 'ü' } });
    expect(created.id).toMatch(/^msg_/);
    // 2.x asks for no content back (with_content=false) and, unlike 1.x, does not fill in what it sent.
    expect(created.payload).toEqual(name === 'svix 1.x' ? { n: 1, s: 'ü' } : {});
    const full = await svix.message.get(uid, created.id, { withContent: true } as never);
    expect(full.payload).toEqual({ n: 1, s: 'ü' });
    const page = await svix.message.list(uid, { withContent: true } as never);
    expect(page.data.map((m) => m.id)).toContain(created.id);
  });

  it('expunges a message content: the message stays, its payload reads {"expired": true}', async () => {
    const created = await svix.message.create(uid, { eventType: 'parity.secret', payload: { secret: 'do not keep' } });
    await svix.message.expungeContent(uid, created.id);
    const after = await svix.message.get(uid, created.id, { withContent: true } as never);
    expect(after).toMatchObject({ id: created.id, eventType: 'parity.secret', payload: { expired: true } });
    const page = await svix.message.list(uid, { withContent: true } as never);
    const listed = page.data.find((m) => m.id === created.id);
    expect(listed?.payload).toEqual({ expired: true });
  });
});

describe('the svix 2.x defaults', () => {
  it('get and list without with_content answer an empty payload, as Svix does', async () => {
    const svix = new Svix2(herald.rootToken, { serverUrl: herald.url, retryScheduleInMs: [] });
    await svix.application.create({ name: 'Defaults', uid: 'parity-defaults' });
    const created = await svix.message.create('parity-defaults', { eventType: 'parity.default', payload: { kept: true } });
    expect((await svix.message.get('parity-defaults', created.id)).payload).toEqual({});
    const stored = await call<{ payload: unknown }>(herald.url, 'GET', `/api/v1/app/parity-defaults/msg/${created.id}`, {
      token: herald.rootToken,
    });
    expect(stored.body.payload).toEqual({ kept: true });
  });
});

describe('expunge', () => {
  const api = <T = Record<string, unknown>>(method: string, path: string, json?: unknown) =>
    call<T>(herald.url, method, path, { token: herald.rootToken, json });

  it('answers 404 for an unknown message and keeps the content of every other message', async () => {
    await api('POST', '/api/v1/app', { name: 'Expunge', uid: 'expunge' });
    const kept = await api<{ id: string }>('POST', '/api/v1/app/expunge/msg', { eventType: 'a.b', payload: { keep: 1 } });
    const gone = await api<{ id: string }>('POST', '/api/v1/app/expunge/msg', { eventType: 'a.b', payload: { drop: 1 }, eventId: 'evt-x' });
    expect((await api('DELETE', '/api/v1/app/expunge/msg/msg_0000000000000000000000/content')).status).toBe(404);
    // By eventId, as every message route takes it; twice is harmless.
    expect((await api('DELETE', '/api/v1/app/expunge/msg/evt-x/content')).status).toBe(204);
    expect((await api('DELETE', `/api/v1/app/expunge/msg/${gone.body.id}/content`)).status).toBe(204);
    expect((await api<{ payload: unknown }>('GET', `/api/v1/app/expunge/msg/${gone.body.id}`)).body.payload).toEqual({ expired: true });
    expect((await api<{ payload: unknown }>('GET', `/api/v1/app/expunge/msg/${kept.body.id}`)).body.payload).toEqual({ keep: 1 });
  });

  it('refuses to resend an expunged message, and marks one still waiting for its deliverAt as never to be fanned out', async () => {
    const endpoint = await api<{ id: string }>('POST', '/api/v1/app/expunge/endpoint', { url: 'https://receiver.test/later' });
    const message = await api<{ id: string }>('POST', '/api/v1/app/expunge/msg', {
      eventType: 'a.b',
      payload: { later: true },
      deliverAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    expect((await api('DELETE', `/api/v1/app/expunge/msg/${message.body.id}/content`)).status).toBe(204);
    const resend = await api<{ code: string; detail: string }>(
      'POST',
      `/api/v1/app/expunge/msg/${message.body.id}/endpoint/${endpoint.body.id}/resend`,
      {},
    );
    expect(resend.status).toBe(409);
    expect(resend.body.detail).toMatch(/expunged/);
    const [row] = await herald.database.db.select().from(schema.messages).where(eq(schema.messages.id, message.body.id));
    expect(row).toMatchObject({ payload: { expired: true }, expungedAt: expect.any(Date), fannedOutAt: expect.any(Date) });
  });
});

describe('expunge and what was still to be sent', () => {
  it('dead-letters a delivery waiting for its retry with the reason, and leaves a finished one alone', async () => {
    const api = <T = Record<string, unknown>>(method: string, path: string, json?: unknown) =>
      call<T>(herald.url, method, path, { token: herald.rootToken, json });
    const app = await api<{ id: string }>('POST', '/api/v1/app', { name: 'Waiting', uid: 'waiting' });
    const [first, second] = [
      await api<{ id: string }>('POST', '/api/v1/app/waiting/endpoint', { url: 'https://receiver.test/a' }),
      await api<{ id: string }>('POST', '/api/v1/app/waiting/endpoint', { url: 'https://receiver.test/b' }),
    ];
    const message = await api<{ id: string }>('POST', '/api/v1/app/waiting/msg', { eventType: 'a.b', payload: { n: 1 } });
    // The state a worker leaves: one delivery failed with a retry due later, one delivered.
    const base = { orgId: herald.orgId, appId: app.body.id, messageId: message.body.id };
    await herald.database.db.insert(schema.deliveries).values([
      {
        ...base,
        id: 'dlv_waiting000000000000001',
        endpointId: first.body.id,
        status: 'failed',
        attemptCount: 1,
        nextAttemptAt: new Date(Date.now() + 3600_000),
      },
      { ...base, id: 'dlv_waiting000000000000002', endpointId: second.body.id, status: 'succeeded', attemptCount: 1 },
    ]);
    expect((await api('DELETE', `/api/v1/app/waiting/msg/${message.body.id}/content`)).status).toBe(204);
    const rows = await herald.database.db.select().from(schema.deliveries).where(eq(schema.deliveries.messageId, message.body.id));
    const byEndpoint = new Map(rows.map((row) => [row.endpointId, row]));
    expect(byEndpoint.get(first.body.id)).toMatchObject({ status: 'dead', nextAttemptAt: null, lastError: 'message content expunged' });
    expect(byEndpoint.get(second.body.id)).toMatchObject({ status: 'succeeded' });
  });
});

describe('paths', () => {
  it('GET /api/v1/health/ping answers 204 without a key', async () => {
    const response = await fetch(`${herald.url}/api/v1/health/ping`);
    expect(response.status).toBe(204);
  });

  it('every GET operation answers the same with a trailing slash, as Svix trims it', async () => {
    const api = (method: string, path: string, json?: unknown) => call(herald.url, method, path, { token: herald.rootToken, json });
    await api('POST', '/api/v1/app/', { name: 'Slash', uid: 'slash' });
    const endpoint = (await api('POST', '/api/v1/app/slash/endpoint/', { url: 'https://receiver.test/slash' })).body as { id: string };
    const message = (await api('POST', '/api/v1/app/slash/msg/', { eventType: 'slash.ed', payload: {} })).body as { id: string };
    await api('POST', '/api/v1/event-type/', { name: 'slash.ed', description: 'slashed' });
    const values: Record<string, string> = {
      app_id: 'slash',
      endpoint_id: endpoint.id,
      msg_id: message.id,
      event_type_name: 'slash.ed',
      attempt_id: 'atmpt_0000000000000000000000',
      delivery_id: 'dlv_0000000000000000000000',
      replay_id: 'rpl_0000000000000000000000',
      operator_id: 'op_0000000000000000000000',
      key_id: 'key_0000000000000000000000',
      task_id: 'qtask_0000000000000000000000',
    };
    const document = (await call<{ paths: Record<string, Record<string, unknown>> }>(herald.url, 'GET', '/api/v1/openapi.json')).body;
    const paths = Object.entries(document.paths)
      .filter(([path, operations]) => 'get' in operations && !path.includes('/stream'))
      .map(([path]) => path.replace(/\{(\w+)\}/g, (_, param: string) => values[param] ?? 'unknown'));
    expect(paths.length).toBeGreaterThan(20);
    const mismatches: string[] = [];
    for (const path of paths) {
      const [plain, slashed] = [await api('GET', path), await api('GET', `${path}/`)];
      const unrouted = /^no route/.test(String((slashed.body as { detail?: string }).detail));
      if (plain.status !== slashed.status || unrouted) {
        mismatches.push(`${path}: ${plain.status} vs ${slashed.status}`);
      }
    }
    expect(mismatches).toEqual([]);
    // Writes too, and the public routes stay public.
    expect((await api('PATCH', '/api/v1/app/slash/', { name: 'Slashed' })).status).toBe(200);
    expect((await fetch(`${herald.url}/api/v1/health/`)).status).toBe(200);
  });
});
