import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, operatorWindow, screenshot } from './support/browser';
import { startDashboardStack } from './support/dashboard-stack';
import { call, type TestHerald } from './support/harness';
import { type Receiver, startReceiver } from './support/receiver';

/**
 * Dashboard polish from issue 14, each as an operator sees it in a real
 * Chromium against a running Herald and a real receiver: failing endpoints in
 * the live tiles, the application's own id, charts scaled to the data, one
 * replay status on the list and the page, published event types in filters,
 * and an endpoint form that edits payload filters, throttle and Kafka settings.
 */
const ADMIN_EMAIL = 'admin@polish.test';
const ADMIN_PASSWORD = 'a polished admin passphrase';
const LIVE_TIMEOUT_MS = 20_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('dashboard polish in a browser', () => {
  let herald: TestHerald;
  let worker: { close(): Promise<void> };
  let receiver: Receiver;
  let replayFails = true;
  /** /flaky refuses the first try of the message with payload n = 5, once. */
  let flakyRefused = false;
  let browser: Browser;
  let page: Page;
  let appId = '';
  /** An application of its own for the replay test, made before the dashboard first lists applications. */
  let replayApp = '';

  const api = <T = Record<string, unknown>>(method: string, path: string, json?: unknown) =>
    call<T>(herald.url, method, `/api/v1${path}`, { token: herald.rootToken, json });

  beforeAll(async () => {
    receiver = await startReceiver((request) => {
      if (request.path.endsWith('/circuit')) return { status: 500, body: 'down for good' };
      if (request.path.endsWith('/replay') && replayFails) return { status: 503, body: 'down for now' };
      if (request.path.endsWith('/flaky') && !flakyRefused && (JSON.parse(request.body) as { n?: number }).n === 5) {
        flakyRefused = true;
        return { status: 500, body: 'once' };
      }
      return { status: 200, body: 'ok' };
    });
    ({ herald, worker } = await startDashboardStack({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, { circuitGraceMs: 500 }));
    const app = await api<{ id: string }>('POST', '/app', { name: 'Polish', uid: 'polish-shop' });
    appId = app.body.id;
    replayApp = (await api<{ id: string }>('POST', '/app', { name: 'Replays' })).body.id;

    browser = await launchBrowser();
    ({ page } = await operatorWindow(browser));
    await page.goto(`${herald.url}/#/login`);
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('live-feed-page').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.close();
    await herald?.close();
    await receiver?.close();
  });

  const fact = (label: string) => page.locator('dt', { hasText: new RegExp(`^${label}$`) }).locator('xpath=following-sibling::dd[1]');

  it("shows the application's own app_ id, also when opened by its uid", async () => {
    await page.goto(`${herald.url}/#/app/polish-shop/show`);
    await expect.poll(() => fact('Id').textContent()).toBe(appId);
    expect(await fact('UID').textContent()).toBe('polish-shop');
  });

  it('keeps an endpoint whose circuit is open in the live tiles, although it gets no attempts', async () => {
    const endpoint = await api<{ id: string }>('POST', `/app/${appId}/endpoint`, {
      url: `${receiver.url}/circuit`,
      description: 'Always failing',
      filterTypes: ['circuit.test'],
    });
    const circuitOpenUntil = async () => {
      const stats = await api<{ endpoints: { endpointId: string; health: { circuitOpenUntil: string | null } }[] }>(
        'GET',
        `/app/${appId}/stats`,
      );
      return stats.body.endpoints.find((e) => e.endpointId === endpoint.body.id)?.health.circuitOpenUntil ?? null;
    };
    // First tries and their retries all fail: the breaker opens within a few seconds.
    for (let n = 0; !(await circuitOpenUntil()) && n < 100; n++) {
      await api('POST', `/app/${appId}/msg`, { eventType: 'circuit.test', payload: { n } });
      await sleep(100);
    }
    expect(await circuitOpenUntil(), 'the breaker opened').not.toBeNull();

    await page.goto(`${herald.url}/#/live`);
    const tile = page.locator(`[data-testid="health-tile"][data-endpoint-id="${endpoint.body.id}"]`);
    await tile.waitFor({ timeout: 10_000 });
    expect(await tile.getAttribute('data-health')).toBe('failing');
    await tile.getByTestId('health-tile-circuit').waitFor();
    expect(await tile.getByTestId('health-tile-name').textContent()).toBe('Always failing');
    await screenshot(page, 'polish-circuit-open');
  });

  it("scales the success-rate chart to the data's range", async () => {
    const endpoint = await api<{ id: string }>('POST', `/app/${appId}/endpoint`, {
      url: `${receiver.url}/flaky`,
      description: 'Mostly fine',
      filterTypes: ['chart.test'],
    });
    // One first try in ten fails (then its retry succeeds): 10 of 11 attempts succeed, about 91 %.
    for (let n = 0; n < 10; n++) await api('POST', `/app/${appId}/msg`, { eventType: 'chart.test', payload: { n } });
    await expect.poll(() => receiver.requests.filter((r) => r.path.endsWith('/flaky')).length, { timeout: LIVE_TIMEOUT_MS }).toBe(11);

    await page.goto(`${herald.url}/#/endpoint/${endpoint.body.id}/show?app=${appId}`);
    const chart = page.getByTestId('endpoint-chart-success');
    await chart.waitFor();
    const ticks = () => chart.locator('text').filter({ hasText: /%$/ }).allTextContents();
    await expect.poll(ticks, { timeout: 10_000 }).toEqual(['75%', '87.5%', '100%']);
    await screenshot(page, 'polish-chart');
  });

  it('shows one replay status on the list and on the page', async () => {
    await api('POST', `/app/${replayApp}/endpoint`, { url: `${receiver.url}/replay` });
    for (let n = 0; n < 2; n++) await api('POST', `/app/${replayApp}/msg`, { eventType: 'replay.test', payload: { n } });
    await expect
      .poll(async () => (await api<{ data: unknown[] }>('GET', `/app/${replayApp}/dead-letter`)).body.data.length, {
        timeout: LIVE_TIMEOUT_MS,
      })
      .toBe(2);
    replayFails = false;

    await page.goto(`${herald.url}/#/dead-letter?app=${replayApp}`);
    // `?app=` switches the current application: wait for this one's two dead letters.
    await expect.poll(() => page.getByRole('button', { name: 'Replay', exact: true }).count(), { timeout: 10_000 }).toBe(2);
    await page.getByRole('button', { name: 'Replay all matching' }).click();
    await page.getByRole('button', { name: 'Start replay' }).click();
    await page.waitForURL(/#\/replay\/[^/]+\/show/);
    const progress = page.locator('[data-testid="replay-progress"][data-state="finished"]');
    await progress.waitFor({ timeout: LIVE_TIMEOUT_MS });
    // The moment the progress says so, the rest of the page says the same, with no refetch in between.
    // Read in one go inside the page (the test's TypeScript has no DOM types: the shape used is spelled out).
    type Node = { textContent: string | null; nextElementSibling: Node | null; getAttribute(name: string): string | null };
    type Doc = { querySelector(selector: string): Node | null; querySelectorAll(selector: string): Iterable<Node> };
    const seen = await page.evaluate(() => {
      const doc = (globalThis as unknown as { document: Doc }).document;
      const fact = (label: string) =>
        [...doc.querySelectorAll('dt')].find((dt) => dt.textContent === label)?.nextElementSibling?.textContent;
      const card = doc.querySelector('[data-testid="replay-progress"]');
      return {
        state: doc.querySelector('[data-testid="replay-state"]')?.textContent,
        progress: doc.querySelector('[data-testid="replay-progress"] .MuiTypography-root.MuiTypography-body2')?.textContent,
        done: card?.getAttribute('data-done'),
        total: card?.getAttribute('data-total'),
        processed: fact('Processed'),
      };
    });
    expect(seen).toEqual({ state: 'Completed', progress: '100 %', done: '2', total: '2', processed: '2 of 2' });

    await page.getByRole('menuitem', { name: 'Replays' }).click();
    // The list says it in the page's words and figures: "Completed", "100 % · 2 of 2".
    const row = page.locator('tbody tr').first();
    await expect.poll(() => row.innerText(), { timeout: 10_000 }).toMatch(/^Completed\s+Dead letters\s+100 % · 2 of 2\s/);
    await screenshot(page, 'polish-replays');
  });

  it('offers the event types that were published in the filters, registered or not', async () => {
    await api('POST', '/event-type', { name: 'order.created', description: 'registered' });
    await api('POST', `/app/${appId}/msg`, { eventType: 'order.shipped', payload: {} });

    await page.goto(`${herald.url}/#/msg?app=${appId}`);
    // `?app=` has switched from the previous test's application: its message is listed.
    await page.getByText('order.shipped').first().waitFor();
    await page.getByLabel('Event types').first().click();
    await page.getByLabel('Event types').first().fill('order.');
    const options = page.getByRole('option');
    await expect
      .poll(() => options.allTextContents(), { timeout: 10_000 })
      .toEqual(['order.created', 'order.shipped (published, not registered)']);
    await options.filter({ hasText: 'order.shipped' }).click();
    // The list is filtered by it: only that message.
    await expect.poll(() => page.locator('tbody tr').count(), { timeout: 10_000 }).toBe(1);
  });

  it('edits a payload filter and throttle, and creates and edits a Kafka endpoint', async () => {
    const endpoints = await api<{ data: { id: string; description: string }[] }>('GET', `/app/${appId}/endpoint`);
    const flaky = endpoints.body.data.find((e) => e.description === 'Mostly fine')!;
    await page.goto(`${herald.url}/#/endpoint/${flaky.id}/edit?app=${appId}`);
    await page.getByLabel('Payload filter (JSON)').fill('{"amount": {"$gte": 100}}');
    await page.getByLabel('Throttle (deliveries/s)').fill('5');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/show/);
    await expect
      .poll(async () => {
        const stored = await api<{ filter: unknown; throttleRate: number | null }>('GET', `/app/${appId}/endpoint/${flaky.id}`);
        return { filter: stored.body.filter, throttleRate: stored.body.throttleRate };
      })
      .toEqual({ filter: { amount: { $gte: 100 } }, throttleRate: 5 });

    await page.goto(`${herald.url}/#/endpoint/create?app=${appId}`);
    await page.getByLabel('Kafka').check();
    await page.getByLabel('Topic').fill('orders');
    await page.getByLabel('Key path').fill('customer.id');
    await page.getByLabel('Brokers').fill('127.0.0.1:9092');
    await page.getByLabel('Brokers').press('Enter');
    await page.getByLabel('Description').fill('Orders to Kafka');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/#\/endpoint\/ep_[^/?]+\/show/);
    const kafkaId = /#\/endpoint\/(ep_[^/?]+)\/show/.exec(page.url())![1]!;
    const settings = async () => (await api<{ settings: unknown }>('GET', `/app/${appId}/endpoint/${kafkaId}`)).body.settings;
    expect(await settings()).toEqual({ topic: 'orders', key: 'customer.id', brokers: ['127.0.0.1:9092'] });

    await page.goto(`${herald.url}/#/endpoint/${kafkaId}/edit?app=${appId}`);
    await page.getByLabel('Topic').fill('orders-v2');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/show/);
    await expect.poll(settings).toEqual({ topic: 'orders-v2', key: 'customer.id', brokers: ['127.0.0.1:9092'] });
  });
});
