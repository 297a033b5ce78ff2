import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, operatorWindow, screenshot } from './support/browser';
import { startDashboardStack } from './support/dashboard-stack';
import { call, type TestHerald } from './support/harness';
import { type Receiver, startReceiver } from './support/receiver';

/**
 * The README's quickstart done in the dashboard instead of with curl (sign in
 * as the admin, create an application and an endpoint at a real local
 * receiver, read its secret, publish, watch the delivery arrive live), then
 * what a new user sees on the live page at 1440 px: recent history on open,
 * one application picker, endpoints told apart by name and URL, every column,
 * and a final failure marked as final. One browser for the file.
 */
const ADMIN_EMAIL = 'admin@quickstart.test';
const ADMIN_PASSWORD = 'a quickstart admin passphrase';
const LIVE_TIMEOUT_MS = 20_000;
/** Endpoints of one service whose URLs differ only at the end. */
const SHARED_PATH = '/hooks/tenants/acme-corporation/webhooks/v2/deliveries';
/**
 * The most the dashboard needs from a Content-Security-Policy: its own
 * scripts (no inline script, no eval), inline styles (MUI's emotion injects
 * <style> elements at run time), and fetch/SSE to its own origin.
 */
const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; font-src 'self'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

describe('dashboard quickstart in a browser', () => {
  let herald: TestHerald;
  let worker: { close(): Promise<void> };
  let receiver: Receiver;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Made through the dashboard by the quickstart walk. */
  let appId = '';
  let endpointId = '';
  /** Made through the API, so each later test stands on its own even if the walk fails. */
  let storeId = '';
  let billingId = '';

  const api = <T = Record<string, unknown>>(method: string, path: string, json?: unknown) =>
    call<T>(herald.url, method, `/api/v1${path}`, { token: herald.rootToken, json });

  const liveRow = (on: Page, messageId: string, status: 'succeeded' | 'failed') =>
    on.locator(`[data-testid="live-row"][data-message-id="${messageId}"][data-status="${status}"]`).first();

  beforeAll(async () => {
    // Paths ending in /always-fails answer 500: their deliveries are dead-lettered after one retry.
    receiver = await startReceiver((request) =>
      request.path.endsWith('/always-fails') ? { status: 500, body: 'receiver down' } : { status: 200, body: 'ok' },
    );
    ({ herald, worker } = await startDashboardStack({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }));
    const store = await api<{ id: string }>('POST', '/app', { name: 'Storefront' });
    storeId = store.body.id;
    const billing = await api<{ id: string }>('POST', `/app/${storeId}/endpoint`, {
      url: `${receiver.url}${SHARED_PATH}/billing-eu`,
      description: 'Billing (EU)',
    });
    billingId = billing.body.id;

    browser = await launchBrowser();
    ({ context, page } = await operatorWindow(browser));
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.close();
    await herald?.close();
    await receiver?.close();
  });

  it('walks the quickstart: sign in, application, endpoint at a local receiver, its secret, publish, the delivery live', async () => {
    await page.goto(`${herald.url}/#/login`);
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('live-feed-page').waitFor();

    await page.getByRole('menuitem', { name: 'Applications' }).click();
    await page.getByRole('link', { name: 'Create' }).first().click();
    await page.getByLabel('Name').fill('Quickstart');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/#\/app\/app_[^/]+\/show/);
    appId = /#\/app\/(app_[^/]+)\/show/.exec(page.url())![1]!;

    // From the application's page: its endpoints section has the Create button.
    await page.getByRole('link', { name: 'Create' }).first().click();
    await page.waitForURL(/#\/endpoint\/create/);
    // The form accepts http:// (the receiver is plain http) and does not claim to want HTTPS.
    const formText = await page.locator('form').innerText();
    expect(formText).not.toMatch(/HTTPS/);
    expect(formText).toMatch(/http:\/\/ or https:\/\//);
    await page.getByLabel('URL').fill(`${receiver.url}${SHARED_PATH}/billing-eu`);
    await page.getByLabel('Description').fill('Billing (EU)');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/#\/endpoint\/ep_[^/?]+\/show/);
    endpointId = /#\/endpoint\/(ep_[^/?]+)\/show/.exec(page.url())![1]!;

    await page.getByRole('button', { name: 'Reveal secret' }).click();
    const secret = (await page.getByTestId('endpoint-secret').textContent())?.trim();
    const stored = await api<{ key: string }>('GET', `/app/${appId}/endpoint/${endpointId}/secret`);
    expect(secret).toBe(stored.body.key);
    expect(secret).toMatch(/^whsec_/);

    // A second tab watches the live page while the first publishes.
    const watcher = await context.newPage();
    await watcher.goto(`${herald.url}/#/live`);
    await watcher.locator('[data-testid="live-connection"][data-state="live"]').waitFor({ timeout: LIVE_TIMEOUT_MS });

    await page.getByRole('menuitem', { name: 'Messages' }).click();
    await page.getByRole('link', { name: 'Create' }).first().click();
    await page.getByLabel('Event type').fill('invoice.paid');
    await page.getByLabel('Payload (JSON)').fill('{"invoice": "in_1001", "amount": 4200}');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/#\/msg\/msg_[^/?]+\/show/);
    const messageId = /#\/msg\/(msg_[^/?]+)\/show/.exec(page.url())![1]!;

    const row = liveRow(watcher, messageId, 'succeeded');
    await row.waitFor({ timeout: LIVE_TIMEOUT_MS });
    await expect.poll(() => row.getByTestId('live-row-endpoint-name').textContent()).toBe('Billing (EU)');
    const delivered = receiver.requests.find((r) => r.headers['webhook-id'] === messageId);
    expect(JSON.parse(delivered!.body)).toEqual({ invoice: 'in_1001', amount: 4200 });
    await screenshot(watcher, 'quickstart-live');
    await watcher.close();
  });

  it('opens the live page with recent history, not empty', async () => {
    const before: string[] = [];
    for (let n = 0; n < 3; n++) {
      const sent = await api<{ id: string }>('POST', `/app/${storeId}/msg`, { eventType: 'invoice.paid', payload: { n } });
      before.push(sent.body.id);
    }
    await expect
      .poll(
        async () => (await api<{ data: { status: number }[] }>('GET', `/app/${storeId}/msg/${before[2]}/endpoint`)).body.data[0]?.status,
        {
          timeout: LIVE_TIMEOUT_MS,
        },
      )
      .toBe(0);

    // Opened after the deliveries happened: they are there at once, nothing new was sent.
    await page.goto(`${herald.url}/#/live`);
    for (const id of before) await liveRow(page, id, 'succeeded').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('live-empty').count()).toBe(0);
  });

  it('has one application picker: the live page narrows to the app bar’s application', async () => {
    // `?app=` chooses the current application, as the app bar's picker does.
    await page.goto(`${herald.url}/#/live?app=${storeId}`);
    await page.locator('[data-testid="live-connection"][data-state="live"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
    expect(await page.getByRole('combobox', { name: /application/i }).count()).toBe(1);

    const other = await api<{ id: string }>('POST', '/app', { name: 'Other shop' });
    await api('POST', `/app/${other.body.id}/endpoint`, { url: `${receiver.url}/other`, description: 'Other shop hooks' });
    const elsewhere = await api<{ id: string }>('POST', `/app/${other.body.id}/msg`, { eventType: 'invoice.paid', payload: {} });
    await liveRow(page, elsewhere.body.id, 'succeeded').waitFor({ timeout: LIVE_TIMEOUT_MS });
    // Created after the page read the application names: read again, not shown as an id.
    await expect.poll(() => liveRow(page, elsewhere.body.id, 'succeeded').locator('td').nth(1).textContent()).toBe('Other shop');

    // The app bar's picker is on Storefront: "Only Storefront" keeps its rows alone.
    await page.getByTestId('live-scope-current').click();
    await expect.poll(() => page.locator('[data-testid="live-row"]').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    const apps = await page.locator('[data-testid="live-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-app-id')));
    expect(new Set(apps)).toEqual(new Set([storeId]));
    await page.getByTestId('live-scope-all').click();
    await liveRow(page, elsewhere.body.id, 'succeeded').waitFor({ timeout: 10_000 });
  });

  it('names endpoints by description or uid and keeps URLs that differ at the end apart', async () => {
    const byUid = await api<{ id: string }>('POST', `/app/${storeId}/endpoint`, {
      url: `${receiver.url}${SHARED_PATH}/shipping-us`,
      uid: 'shipping-us',
    });
    await page.goto(`${herald.url}/#/live`);
    await page.locator('[data-testid="live-connection"][data-state="live"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
    const message = await api<{ id: string }>('POST', `/app/${storeId}/msg`, { eventType: 'invoice.paid', payload: { both: true } });
    const rowTo = (endpoint: string) =>
      page.locator(
        `[data-testid="live-row"][data-message-id="${message.body.id}"][data-endpoint-id="${endpoint}"][data-status="succeeded"]`,
      );
    const rows = { described: rowTo(billingId), uid: rowTo(byUid.body.id) };
    await rows.described.waitFor({ timeout: LIVE_TIMEOUT_MS });
    await rows.uid.waitFor({ timeout: LIVE_TIMEOUT_MS });
    // Names come from the endpoint list, read as soon as an endpoint newer than it shows up.
    // The Endpoint cell (third) reads as the name, then the URL.
    await expect.poll(() => rows.described.locator('td').nth(2).innerText()).toMatch(/^Billing \(EU\)\n/);
    await expect.poll(() => rows.uid.locator('td').nth(2).innerText()).toMatch(/^shipping-us\n/);

    // What is on screen, not what the DOM holds: the URL text is not clipped, and each keeps its own end.
    const shown = async (locator: ReturnType<Page['locator']>) =>
      locator.evaluate((el) => ({ text: el.textContent ?? '', clipped: el.scrollWidth > el.clientWidth + 1 }));
    const described = await shown(rows.described.getByTestId('live-row-endpoint-url'));
    const uid = await shown(rows.uid.getByTestId('live-row-endpoint-url'));
    expect(described).toMatchObject({ clipped: false });
    expect(uid).toMatchObject({ clipped: false });
    expect(described.text).toMatch(/billing-eu$/);
    expect(uid.text).toMatch(/shipping-us$/);

    // The endpoints list names them the same way.
    await page.goto(`${herald.url}/#/endpoint?app=${storeId}`);
    await page.locator(`[data-testid="endpoint-row"][data-endpoint-id="${byUid.body.id}"]`).waitFor();
    const names = await page.getByTestId('endpoint-row-name').allTextContents();
    expect(names.sort()).toEqual(['Billing (EU)', 'shipping-us']);
  });

  it('shows every column of the live feed at 1440 px, Duration included', async () => {
    await page.goto(`${herald.url}/#/live`);
    await page.locator('[data-testid="live-connection"][data-state="live"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
    const message = await api<{ id: string }>('POST', `/app/${storeId}/msg`, { eventType: 'invoice.paid', payload: { wide: true } });
    const row = liveRow(page, message.body.id, 'succeeded');
    await row.waitFor({ timeout: LIVE_TIMEOUT_MS });
    const fit = await page.getByRole('columnheader', { name: 'Duration' }).evaluate((header) => {
      const box = header.getBoundingClientRect();
      const container = header.closest('.MuiTableContainer-root')!.getBoundingClientRect();
      const viewport = (globalThis as unknown as { innerWidth: number }).innerWidth;
      return { right: box.right, visibleRight: Math.min(container.right, viewport), width: box.width };
    });
    expect(fit.width).toBeGreaterThan(0);
    expect(fit.right).toBeLessThanOrEqual(fit.visibleRight + 1);
    expect(await row.locator('td').last().textContent()).toMatch(/\d\u00a0(ms|s)$/);
    await screenshot(page, 'quickstart-live-1440');
  });

  it('marks the failure after which nothing is retried as final', async () => {
    const failing = await api<{ id: string }>('POST', `/app/${storeId}/endpoint`, {
      url: `${receiver.url}/always-fails`,
      description: 'Broken receiver',
      filterTypes: ['order.failed'],
    });
    expect(failing.status).toBe(201);
    // The live feed, open before the message is published, marks the final attempt as it arrives.
    await page.goto(`${herald.url}/#/live`);
    await page.locator('[data-testid="live-connection"][data-state="live"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
    const message = await api<{ id: string }>('POST', `/app/${storeId}/msg`, { eventType: 'order.failed', payload: { n: 1 } });
    const failedRows = page.locator(`[data-testid="live-row"][data-message-id="${message.body.id}"][data-status="failed"]`);
    await expect.poll(() => failedRows.count(), { timeout: LIVE_TIMEOUT_MS }).toBe(2);
    // Newest first: the retry, final; then the first try, which was retried.
    expect(await failedRows.nth(0).getByTestId('status-chip').textContent()).toBe('failed — final (dead-lettered)');
    expect(await failedRows.nth(1).getByTestId('status-chip').textContent()).toBe('failed');
    await screenshot(page, 'quickstart-live-final');

    await expect
      .poll(async () => (await api<{ data: unknown[] }>('GET', `/app/${storeId}/dead-letter`)).body.data.length, {
        timeout: LIVE_TIMEOUT_MS,
      })
      .toBe(1);

    await page.goto(`${herald.url}/#/msg/${message.body.id}/show?app=${storeId}`);
    // Two failed attempts (first try and its one retry): only the last is final.
    const final = page.getByText('Failed — final (dead-lettered)', { exact: true });
    await final.waitFor({ timeout: 10_000 });
    expect(await final.count()).toBe(1);
    expect(await page.locator('[data-testid="status-chip"][data-final="true"]').count()).toBe(1);
    expect(await page.getByText('Failed', { exact: true }).count()).toBeGreaterThanOrEqual(1);
    await screenshot(page, 'quickstart-final-failure');
  });

  it('runs under a strict Content-Security-Policy: no inline script, no eval, styles inline only', async () => {
    const strict = await context.newPage();
    try {
      // The policy rides on the HTML answer, as the API will send it.
      await strict.route(`${herald.url}/`, async (route) => {
        const response = await route.fetch();
        await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': DASHBOARD_CSP } });
      });
      await strict.addInitScript(() => {
        const seen: string[] = [];
        (globalThis as unknown as { cspViolations: string[] }).cspViolations = seen;
        type Violation = { violatedDirective: string; blockedURI: string };
        const doc = (globalThis as unknown as { document: { addEventListener(type: string, listener: (event: Violation) => void): void } })
          .document;
        doc.addEventListener('securitypolicyviolation', (event) => seen.push(`${event.violatedDirective} ${event.blockedURI}`));
      });
      await strict.goto(`${herald.url}/#/live`);
      // Rendered (scripts and styles allowed), and the SSE feed connected (connect-src).
      await strict.locator('[data-testid="live-connection"][data-state="live"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
      await strict.locator('[data-testid="live-row"]').first().waitFor();
      await strict.goto(`${herald.url}/#/endpoint/${billingId}/show?app=${storeId}`);
      await strict.getByTestId('endpoint-chart').waitFor();
      expect(await strict.locator('style').count(), 'emotion injected its styles').toBeGreaterThan(0);
      expect(await strict.evaluate(() => (globalThis as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
    } finally {
      await strict.close();
    }
  });
});
