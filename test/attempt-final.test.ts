import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHerald, startTestWorker, type TestHerald } from './support/harness';
import { type Receiver, startReceiver } from './support/receiver';

/**
 * `final` on attempts: a failure after which no automatic retry comes (refused
 * address, the schedule spent) says so in the attempt lists and the attempt
 * stream, so a reader can tell it from a failure that will be retried.
 */
describe('attempts mark the failure that dead-lettered their delivery as final', () => {
  let herald: TestHerald;
  let worker: { close(): Promise<void> };
  let failing: Receiver;
  const events: EventSourceMessage[] = [];
  const stream = new AbortController();

  const api = <T = Record<string, unknown>>(method: string, path: string, json?: unknown) =>
    call<T>(herald.url, method, `/api/v1/app/finals${path}`, { token: herald.rootToken, json });

  interface Attempt {
    id: string;
    status: number;
    final: boolean;
    response: string;
  }

  const until = async <T>(probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  beforeAll(async () => {
    failing = await startReceiver(() => ({ status: 500, body: 'try later' }));
    // Two attempts in all for a retryable failure: the first is retried, the second ends it.
    herald = await startTestHerald({ config: { HERALD_RETRY_SCHEDULE: '1', HERALD_DELIVERY_TIMEOUT_MS: '1000' } });
    worker = startTestWorker(herald, {
      timeoutMs: 1000,
      sweeper: { intervalMs: 500, graceMs: 1000, deliveryGraceMs: 5000 },
    });
    await call(herald.url, 'POST', '/api/v1/app', { token: herald.rootToken, json: { name: 'Finals', uid: 'finals' } });
    const response = await fetch(`${herald.url}/api/v1/stream/attempts?app_id=finals`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${herald.rootToken}` },
      signal: stream.signal,
    });
    expect(response.status).toBe(200);
    const parser = createParser({ onEvent: (event) => events.push(event) });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (done) return;
        parser.feed(decoder.decode(value, { stream: true }));
      }
    })();
  });
  afterAll(async () => {
    stream.abort();
    await worker?.close();
    await herald?.close();
    await failing?.close();
  });

  const streamed = (id: string) => events.map((e) => JSON.parse(e.data) as Attempt).find((a) => a.id === id);

  it('a refused address fails once and finally, in the list, the single attempt and the stream', async () => {
    const endpoint = await api<{ id: string }>('POST', '/endpoint', { url: 'http://10.0.0.1/hook' });
    expect(endpoint.status).toBe(201);
    const message = await api<{ id: string }>('POST', '/msg', { eventType: 'final.refused', payload: { n: 1 } });
    const [attempt] = await until(async () => {
      const page = await api<{ data: Attempt[] }>('GET', `/attempt/endpoint/${endpoint.body.id}`);
      return page.body.data.length > 0 && page.body.data;
    });
    expect(attempt).toMatchObject({ status: 2, final: true });
    const one = await api<Attempt>('GET', `/msg/${message.body.id}/attempt/${attempt!.id}`);
    expect(one.body.final).toBe(true);
    const byMessage = await api<{ data: Attempt[] }>('GET', `/attempt/msg/${message.body.id}`);
    expect(byMessage.body.data.map((a) => a.final)).toEqual([true]);
    expect(await until(() => streamed(attempt!.id))).toMatchObject({ status: 2, final: true });
  });

  it('a 500 is not final while a retry is scheduled; the attempt that spends the schedule is', async () => {
    const endpoint = await api<{ id: string }>('POST', '/endpoint', { url: `${failing.url}/hook` });
    await api('POST', '/msg', { eventType: 'final.retried', payload: { n: 2 } });
    const attempts = await until(async () => {
      const page = await api<{ data: Attempt[] }>('GET', `/attempt/endpoint/${endpoint.body.id}`);
      return page.body.data.length === 2 && page.body.data;
    });
    // Newest first: the second attempt ended the delivery, the first was followed by a retry.
    expect(attempts.map((a) => [a.status, a.final])).toEqual([
      [2, true],
      [2, false],
    ]);
    const [last, first] = attempts;
    expect(await until(() => streamed(first!.id))).toMatchObject({ final: false });
    expect(await until(() => streamed(last!.id))).toMatchObject({ final: true });
  });

  it('a success is never final', async () => {
    const ok = await startReceiver();
    try {
      const endpoint = await api<{ id: string }>('POST', '/endpoint', { url: `${ok.url}/hook` });
      await api('POST', '/msg', { eventType: 'final.ok', payload: { n: 3 } });
      const [attempt] = await until(async () => {
        const page = await api<{ data: Attempt[] }>('GET', `/attempt/endpoint/${endpoint.body.id}`);
        return page.body.data.length > 0 && page.body.data;
      });
      expect(attempt).toMatchObject({ status: 0, final: false });
    } finally {
      await ok.close();
    }
  });
});
