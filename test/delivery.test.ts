import { newEndpointSecret } from '@herald/core';
import { schema } from '@herald/db';
import { eq } from 'drizzle-orm';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, QUEUE_BACKENDS, startTestHerald, startTestWorker, type TestHerald } from './support/harness';
import { type Receiver, startReceiver } from './support/receiver';

/**
 * The delivery engine end to end, on both queue backends: the API takes a
 * message, the worker fans it out and sends signed webhooks to real HTTP
 * receivers on loopback, with a compressed retry schedule (1 s four times).
 */
describe.each(QUEUE_BACKENDS)('webhook delivery on %s', (backend) => {
  let herald: TestHerald;
  let worker: { close(): Promise<void> };
  let operator: Receiver;
  const receivers: Receiver[] = [];
  const operatorSecret = newEndpointSecret();

  beforeAll(async () => {
    operator = await startReceiver();
    herald = await startTestHerald({
      queue: backend,
      config: {
        HERALD_RETRY_SCHEDULE: '1,1,1,1',
        HERALD_DELIVERY_TIMEOUT_MS: '1000',
        HERALD_OPERATIONAL_WEBHOOK_URL: `${operator.url}/ops`,
        HERALD_OPERATIONAL_WEBHOOK_SECRET: operatorSecret,
      },
    });
    worker = startTestWorker(herald, {
      timeoutMs: 1000,
      sweeper: { intervalMs: 500, graceMs: 1000, deliveryGraceMs: 5000 },
    });
    await call(herald.url, 'POST', '/api/v1/app', { token: herald.rootToken, json: { name: 'Deliveries', uid: 'deliveries' } });
  });
  afterAll(async () => {
    await worker?.close();
    await herald?.close();
    for (const receiver of [operator, ...receivers]) await receiver?.close();
  });

  const api = <T = Record<string, unknown>>(method: string, path: string, json?: unknown) =>
    call<T>(herald.url, method, `/api/v1/app/deliveries${path}`, { token: herald.rootToken, json });

  async function endpointFor(receiver: Receiver, extra: Record<string, unknown> = {}) {
    const created = await api<{ id: string }>('POST', '/endpoint', { url: `${receiver.url}/hook`, ...extra });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const secret = await api<{ key: string }>('GET', `/endpoint/${created.body.id}/secret`);
    return { id: created.body.id, secret: secret.body.key };
  }

  async function receiver(handler?: Parameters<typeof startReceiver>[0]) {
    const r = await startReceiver(handler);
    receivers.push(r);
    return r;
  }

  const publish = async (eventType: string, payload: unknown, extra: Record<string, unknown> = {}) => {
    const response = await api<{ id: string }>('POST', '/msg', { eventType, payload, ...extra });
    expect(response.status).toBe(202);
    return response.body.id;
  };

  const deliveryOf = async (messageId: string, endpointId: string) => {
    const rows = await herald.database.db.select().from(schema.deliveries).where(eq(schema.deliveries.messageId, messageId));
    return rows.find((row) => row.endpointId === endpointId);
  };

  const until = async <T>(probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('sends the exact payload bytes, signed so that standardwebhooks and svix both verify it', async () => {
    const r = await receiver();
    const endpoint = await endpointFor(r, { headers: { 'x-tenant': 'acme' } });
    const messageId = await publish('invoice.paid', { b: 1, a: [1, 2], nested: { z: 'ü', y: null } });
    const [request] = await r.waitFor(1);
    expect(request!.method).toBe('POST');
    expect(request!.body).toBe('{"b":1,"a":[1,2],"nested":{"z":"ü","y":null}}');
    expect(request!.headers['webhook-id']).toBe(messageId);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['user-agent']).toMatch(/^Herald-Webhooks/);
    expect(request!.headers['x-tenant']).toBe('acme');
    const headers = {
      'webhook-id': String(request!.headers['webhook-id']),
      'webhook-timestamp': String(request!.headers['webhook-timestamp']),
      'webhook-signature': String(request!.headers['webhook-signature']),
    };
    expect(new StandardWebhook(endpoint.secret.replace(/^whsec_/, '')).verify(request!.body, headers)).toEqual(JSON.parse(request!.body));
    expect(new SvixWebhook(endpoint.secret).verify(request!.body, headers)).toEqual(JSON.parse(request!.body));

    const delivery = await until(async () => {
      const row = await deliveryOf(messageId, endpoint.id);
      return row?.status === 'succeeded' && row;
    });
    expect(delivery.attemptCount).toBe(1);
    const attempts = await api<{ data: { status: number; responseStatusCode: number; response: string }[] }>(
      'GET',
      `/attempt/msg/${messageId}`,
    );
    expect(attempts.body.data).toHaveLength(1);
    expect(attempts.body.data[0]).toMatchObject({ status: 0, responseStatusCode: 200, response: 'ok' });
  });

  it('signs with the old and the new secret during a rotation grace period', async () => {
    const r = await receiver();
    const endpoint = await endpointFor(r);
    expect((await api('POST', `/endpoint/${endpoint.id}/secret/rotate`, {})).status).toBe(204);
    const fresh = (await api<{ key: string }>('GET', `/endpoint/${endpoint.id}/secret`)).body.key;
    await publish('a.b', { rotated: true });
    const [request] = await r.waitFor(1);
    const headers = Object.fromEntries(
      ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(request!.headers[h])]),
    );
    expect(String(request!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [endpoint.secret, fresh]) {
      expect(new SvixWebhook(secret).verify(request!.body, headers)).toEqual({ rotated: true });
      expect(new StandardWebhook(secret.replace(/^whsec_/, '')).verify(request!.body, headers)).toEqual({ rotated: true });
    }
  });

  it('retries on schedule until the receiver recovers: one success, N+1 attempts', async () => {
    const r = await receiver((_, index) => (index < 2 ? { status: 503, body: 'busy' } : { status: 200, body: 'fine' }));
    const endpoint = await endpointFor(r);
    const messageId = await publish('a.b', { retry: true });
    const requests = await r.waitFor(3, 20_000);
    const delivery = await until(async () => {
      const row = await deliveryOf(messageId, endpoint.id);
      return row?.status === 'succeeded' && row;
    });
    expect(delivery.attemptCount).toBe(3);
    // Scheduled 1 s apart with ±20 % jitter.
    for (const i of [1, 2]) {
      const gap = requests[i]!.at - requests[i - 1]!.at;
      expect(gap).toBeGreaterThanOrEqual(750);
      expect(gap).toBeLessThan(3000);
    }
    // The same webhook-id every time, so the receiver can deduplicate.
    expect(new Set(requests.map((q) => q.headers['webhook-id'])).size).toBe(1);
    const attempts = await api<{ data: { status: number; responseStatusCode: number }[] }>(
      'GET',
      `/attempt/msg/${messageId}?endpoint_id=${endpoint.id}`,
    );
    expect(attempts.body.data.map((a) => a.responseStatusCode)).toEqual([200, 503, 503]);
    expect(attempts.body.data.filter((a) => a.status === 0)).toHaveLength(1);
  });

  it('dead-letters after the last retry and tells the operator', async () => {
    const r = await receiver(() => ({ status: 500, body: 'broken' }));
    const endpoint = await endpointFor(r);
    const messageId = await publish('a.b', { doomed: true });
    await r.waitFor(5, 20_000);
    const delivery = await until(async () => {
      const row = await deliveryOf(messageId, endpoint.id);
      return row?.status === 'dead' && row;
    });
    expect(delivery.attemptCount).toBe(5);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(r.requests).toHaveLength(5);

    const events = await until(async () => {
      const found = operator.requests.filter(
        (q) => JSON.parse(q.body).type === 'message.attempt.exhausted' && JSON.parse(q.body).data.msgId === messageId,
      );
      return found.length > 0 && found;
    });
    const event = events[0]!;
    const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(event.headers[h])]));
    const verified = new SvixWebhook(operatorSecret).verify(event.body, headers) as { data: Record<string, unknown> };
    expect(verified.data).toMatchObject({ endpointId: endpoint.id, msgId: messageId, lastAttempt: { responseStatusCode: 500 } });
    const failing = operator.requests.filter(
      (q) => JSON.parse(q.body).type === 'message.attempt.failing' && JSON.parse(q.body).data.msgId === messageId,
    );
    expect(failing).toHaveLength(1);
  });

  it('disables an endpoint that answers 410 Gone', async () => {
    const r = await receiver(() => ({ status: 410, body: 'gone' }));
    const endpoint = await endpointFor(r);
    const messageId = await publish('a.b', { gone: true });
    await until(async () => (await deliveryOf(messageId, endpoint.id))?.status === 'dead');
    const got = await api<{ disabled: boolean }>('GET', `/endpoint/${endpoint.id}`);
    expect(got.body.disabled).toBe(true);
    expect(r.requests).toHaveLength(1);
    await until(async () =>
      operator.requests.some((q) => JSON.parse(q.body).type === 'endpoint.disabled' && JSON.parse(q.body).data.endpointId === endpoint.id),
    );
  });

  it.each([
    ['a receiver that never answers', { hang: true } as const, null, /timed out/i],
    ['a receiver that resets the connection', { reset: true } as const, null, /./],
    ['a 500 with a 10 MB body', { status: 500, streamBytes: 10 * 1024 * 1024 } as const, 500, /x{100}/],
    ['a 302 redirect', { status: 302, headers: { location: 'http://127.0.0.1:9/elsewhere' } } as const, 302, /redirect/i],
  ])('records %s as a failed attempt with a reason', async (_, behavior, code, reason) => {
    const r = await receiver(() => behavior);
    const endpoint = await endpointFor(r);
    const messageId = await publish('a.b', { failure: true });
    const attempt = await until(async () => {
      const page = await api<{ data: { status: number; responseStatusCode: number; response: string }[] }>(
        'GET',
        `/attempt/endpoint/${endpoint.id}`,
      );
      return page.body.data.find((a) => a.status === 2);
    });
    expect(attempt.responseStatusCode).toBe(code ?? 0);
    expect(attempt.response).toMatch(reason);
    expect(attempt.response.length).toBeLessThanOrEqual(1024);
    expect((await deliveryOf(messageId, endpoint.id))?.status).toMatch(/failed|sending|dead/);
  });

  it.each([
    ['the cloud metadata address', 'http://metadata.test/latest', /169\.254\.169\.254/],
    ['a private address', 'http://private.test/hook', /10\.0\.0\.1/],
    ['a private IP literal', 'http://10.0.0.1/hook', /10\.0\.0\.1/],
  ])('refuses %s and records why, without connecting: a final failure, not retried', async (_, url, reason) => {
    const created = await api<{ id: string }>('POST', '/endpoint', { url });
    expect(created.status).toBe(201);
    const messageId = await publish('a.b', { ssrf: true });
    const attempt = await until(async () => {
      const page = await api<{ data: { status: number; response: string }[] }>('GET', `/attempt/endpoint/${created.body.id}`);
      return page.body.data[0];
    });
    expect(attempt.status).toBe(2);
    expect(attempt.response).toMatch(reason);
    // Retrying would be refused the same way: dead-lettered at once with the reason, one attempt.
    const delivery = await until(async () => {
      const row = await deliveryOf(messageId, created.body.id);
      return row?.status === 'dead' && row;
    });
    expect(delivery).toMatchObject({ attemptCount: 1, lastError: expect.stringMatching(/^final: /) });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await deliveryOf(messageId, created.body.id))?.attemptCount).toBe(1);
  });

  it('ends a delivery whose endpoint secret cannot sign as a failed attempt with the reason, never stuck in sending', async () => {
    const r = await receiver();
    const endpoint = await endpointFor(r);
    // A secret the API accepted before it checked secrets as the signer does: '=' inside the base64.
    await herald.database.db
      .update(schema.endpoints)
      .set({ secret: 'whsec_dGVzdA==dGVzdGluZ3Rlc3Rpbmd0ZXN0aW5nMTIzNDU2' })
      .where(eq(schema.endpoints.id, endpoint.id));
    const messageId = await publish('a.b', { unsigned: true });
    const delivery = await until(async () => {
      const row = await deliveryOf(messageId, endpoint.id);
      return row?.status === 'dead' && row;
    });
    expect(delivery.attemptCount).toBe(1);
    expect(delivery.lastError).toMatch(/invalid webhook secret/);
    const attempts = await api<{ data: { status: number; response: string }[] }>('GET', `/attempt/endpoint/${endpoint.id}`);
    expect(attempts.body.data).toEqual([expect.objectContaining({ status: 2, response: expect.stringMatching(/invalid webhook secret/) })]);
    expect(r.requests).toHaveLength(0);
  });

  it('keeps delivering after all of the above', async () => {
    const r = await receiver();
    await endpointFor(r);
    await publish('a.b', { still: 'alive' });
    await r.waitFor(1);
  });
});
