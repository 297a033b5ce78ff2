import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHerald, type TestHerald } from '../../../test/support/harness';

let herald: TestHerald;

beforeAll(async () => {
  herald = await startTestHerald();
});
afterAll(async () => {
  await herald?.close();
});

const scrape = async () => {
  const response = await fetch(`${herald.url}/metrics`);
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
};
const ingested = (text: string) => Number(/^herald_messages_ingested_total (\d+)$/m.exec(text)?.[1] ?? Number.NaN);

describe('GET /metrics', () => {
  it('serves the Prometheus text exposition without an API key', async () => {
    const { status, type, text } = await scrape();
    expect(status).toBe(200);
    expect(type).toBe('text/plain; version=0.0.4; charset=utf-8');
    for (const name of [
      'herald_messages_ingested_total',
      'herald_deliveries_total',
      'herald_delivery_duration_seconds',
      'herald_queue_depth',
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
  });

  it('counts published messages and shows undispatched work from the database', async () => {
    const before = ingested((await scrape()).text);
    const app = await call<{ id: string }>(herald.url, 'POST', '/api/v1/app', { token: herald.rootToken, json: { name: 'Metrics' } });
    const published = await call(herald.url, 'POST', `/api/v1/app/${app.body.id}/msg`, {
      token: herald.rootToken,
      json: { eventType: 'a.b', payload: { n: 1 }, deliverAt: new Date(Date.now() + 3_600_000).toISOString() },
    });
    expect(published.status).toBe(202);
    const { text } = await scrape();
    expect(ingested(text)).toBeGreaterThanOrEqual(1);
    expect(ingested(text)).toBe(before + 1);
    expect(text).toMatch(/^herald_queue_depth\{queue="deliveries_pending"\} \d+$/m);
    expect(text).toMatch(/^herald_queue_depth\{queue="messages_undispatched"\} \d+$/m);
  });

  it('is not part of the authenticated API', async () => {
    const doc = await call<{ paths: Record<string, unknown> }>(herald.url, 'GET', '/api/v1/openapi.json');
    expect(Object.keys(doc.body.paths)).not.toContain('/metrics');
    expect((await call(herald.url, 'GET', '/api/v1/metrics')).status).toBe(401);
  });
});
