import { schema } from '@herald/db';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, operatorWindow, screenshot } from './support/browser';
import { startDashboardStack } from './support/dashboard-stack';
import { call, type TestHerald } from './support/harness';
import { type Receiver, startReceiver } from './support/receiver';

/**
 * The dashboard in a real headless Chromium against a running Herald (API
 * serving the built SPA, a worker, a loopback receiver): what an on-call
 * operator does, from signing in to replaying failures, with screenshots of
 * the main screens in test-results/dashboard/.
 */
const ADMIN_EMAIL = 'oncall@example.com';
const ADMIN_PASSWORD = 'correct horse battery staple';
const LIVE_TIMEOUT_MS = 20_000;

describe('dashboard in a browser', () => {
  let herald: TestHerald;
  let worker: { close(): Promise<void> };
  let receiver: Receiver;
  let receiverFails = false;
  let browser: Browser;
  let operator: BrowserContext;
  /** Opened on the live feed and never reloaded: everything it shows arrived over SSE. */
  let watcher: Page;
  /** Where the operator clicks. */
  let page: Page;
  let appId = '';
  let endpointId = '';

  const api = <T = Record<string, unknown>>(method: string, path: string, json?: unknown) =>
    call<T>(herald.url, method, `/api/v1${path}`, { token: herald.rootToken, json });

  const publish = async (n: number) => {
    const response = await api<{ id: string }>('POST', `/app/${appId}/msg`, { eventType: 'order.paid', payload: { order: n } });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    return response.body.id;
  };

  const liveRow = (on: Page, messageId: string, status: 'succeeded' | 'failed') =>
    on.locator(`[data-testid="live-row"][data-message-id="${messageId}"][data-status="${status}"]`).first();

  async function signIn(on: Page, password: string) {
    await on.goto(`${herald.url}/#/login`);
    await on.getByLabel('Email').fill(ADMIN_EMAIL);
    await on.getByLabel('Password').fill(password);
    await on.getByRole('button', { name: 'Sign in' }).click();
  }

  beforeAll(async () => {
    receiver = await startReceiver(() => (receiverFails ? { status: 500, body: 'receiver down' } : { status: 200, body: 'ok' }));
    ({ herald, worker } = await startDashboardStack({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }));
    browser = await launchBrowser();
    ({ context: operator, page } = await operatorWindow(browser));
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.close();
    await herald?.close();
    await receiver?.close();
  });

  it('refuses a wrong password with a readable message', async () => {
    await signIn(page, 'not the password at all');
    await expect.poll(() => page.getByTestId('login-error').textContent(), { timeout: 10_000 }).toMatch(/incorrect/i);
    expect(page.url()).toContain('#/login');
    await screenshot(page, '01-login-refused');
  });

  it('signs in, creates an application and an endpoint pointing at the receiver', async () => {
    await signIn(page, ADMIN_PASSWORD);
    await page.waitForURL(/#\/live/, { timeout: 10_000 });
    await page.getByTestId('live-feed-page').waitFor();

    await page.goto(`${herald.url}/#/app/create`);
    await page.getByLabel('Name').fill('Storefront');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/#\/app\/app_[^/]+\/show/, { timeout: 10_000 });
    appId = /#\/app\/(app_[^/]+)\/show/.exec(page.url())![1]!;
    await screenshot(page, '02-application');

    await page.goto(`${herald.url}/#/endpoint/create?app=${appId}`);
    await page.getByLabel('URL').fill(`${receiver.url}/hooks/orders`);
    await page.getByLabel('Description').fill('Order webhooks');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/#\/endpoint\/ep_[^/]+\/show/, { timeout: 10_000 });
    endpointId = /#\/endpoint\/(ep_[^/?]+)\/show/.exec(page.url())![1]!;

    const listed = await api<{ data: { id: string; url: string }[] }>('GET', `/app/${appId}/endpoint`);
    expect(listed.body.data.map((e) => [e.id, e.url])).toEqual([[endpointId, `${receiver.url}/hooks/orders`]]);
  });

  it('shows deliveries live, failures as they happen, and the success after a replay from the dashboard', async () => {
    watcher = await operator.newPage();
    await watcher.goto(`${herald.url}/#/live`);
    await watcher.locator('[data-testid="live-connection"][data-state="live"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
    // A reload or navigation would clear this marker: rows seen below arrived without one.
    await watcher.evaluate(() => {
      (globalThis as unknown as { heraldMarker: string }).heraldMarker = 'not reloaded';
    });

    const delivered = await publish(1);
    await liveRow(watcher, delivered, 'succeeded').waitFor({ timeout: LIVE_TIMEOUT_MS });
    expect(await liveRow(watcher, delivered, 'succeeded').textContent()).toContain('order.paid');
    expect(receiver.requests.some((r) => r.headers['webhook-id'] === delivered)).toBe(true);
    await screenshot(watcher, '03-live-feed');

    receiverFails = true;
    const failing = await publish(2);
    await liveRow(watcher, failing, 'failed').waitFor({ timeout: LIVE_TIMEOUT_MS });
    // The single retry fails too: the delivery is dead-lettered.
    await expect
      .poll(async () => (await api<{ data: unknown[] }>('GET', `/app/${appId}/dead-letter`)).body.data.length, { timeout: LIVE_TIMEOUT_MS })
      .toBe(1);
    await screenshot(watcher, '04-live-failures');

    receiverFails = false;
    await page.goto(`${herald.url}/#/dead-letter?app=${appId}`);
    const replay = page.getByRole('button', { name: 'Replay', exact: true });
    await replay.first().waitFor({ timeout: 10_000 });
    await screenshot(page, '05-dead-letters');
    expect(await replay.count()).toBe(1);
    await replay.click();

    await liveRow(watcher, failing, 'succeeded').waitFor({ timeout: LIVE_TIMEOUT_MS });
    expect(await watcher.evaluate(() => (globalThis as unknown as { heraldMarker?: string }).heraldMarker)).toBe('not reloaded');
    const received = receiver.requests.filter((r) => r.headers['webhook-id'] === failing);
    expect(received.map((r) => r.headers['webhook-id'])).toEqual([failing, failing, failing]);
    await screenshot(watcher, '06-live-recovered');
  });

  it('replays a filtered set of dead letters in bulk with live progress', async () => {
    receiverFails = true;
    const failed = [await publish(3), await publish(4), await publish(5)];
    await expect
      .poll(async () => (await api<{ data: unknown[] }>('GET', `/app/${appId}/dead-letter`)).body.data.length, { timeout: LIVE_TIMEOUT_MS })
      .toBe(3);
    receiverFails = false;

    // The page is still on this list from the single replay: load it afresh.
    await page.goto(`${herald.url}/#/dead-letter?app=${appId}`);
    await page.reload();
    await page.getByRole('button', { name: 'Replay', exact: true }).nth(2).waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Replay all matching' }).click();
    await page.getByRole('button', { name: 'Start replay' }).click();
    await page.waitForURL(/#\/replay\/[^/]+\/show/, { timeout: 10_000 });
    const progress = page.getByTestId('replay-progress');
    await page.locator('[data-testid="replay-progress"][data-state="finished"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
    expect(await progress.getAttribute('data-done')).toBe('3');
    expect(await progress.getAttribute('data-total')).toBe('3');
    await screenshot(page, '07-bulk-replay');

    for (const id of failed) await liveRow(watcher, id, 'succeeded').waitFor({ timeout: LIVE_TIMEOUT_MS });
    const succeeded = receiver.requests.filter((r) => failed.includes(String(r.headers['webhook-id'])));
    // Two failed attempts each, then exactly one replayed delivery each.
    expect(succeeded.length).toBe(9);
  });

  it('shows the endpoint (secret, rotation, disable and enable, chart, test event), a message and an attempt', async () => {
    await page.goto(`${herald.url}/#/endpoint/${endpointId}/show?app=${appId}`);
    await page.getByTestId('endpoint-chart').waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    const secret = await page.getByTestId('endpoint-secret').textContent();
    const stored = await api<{ key: string }>('GET', `/app/${appId}/endpoint/${endpointId}/secret`);
    expect(secret?.trim()).toBe(stored.body.key);
    await screenshot(page, '08-endpoint');

    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('button', { name: 'Yes, rotate' }).click();
    await expect
      .poll(async () => (await api<{ key: string }>('GET', `/app/${appId}/endpoint/${endpointId}/secret`)).body.key)
      .not.toBe(stored.body.key);
    const rotated = (await api<{ key: string }>('GET', `/app/${appId}/endpoint/${endpointId}/secret`)).body.key;
    await expect.poll(async () => (await page.getByTestId('endpoint-secret').textContent())?.trim()).toBe(rotated);

    const disabled = async () => (await api<{ disabled: boolean }>('GET', `/app/${appId}/endpoint/${endpointId}`)).body.disabled;
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('button', { name: 'Yes, disable' }).click();
    await expect.poll(disabled).toBe(true);
    await page.getByRole('button', { name: 'Enable' }).click();
    await expect.poll(disabled).toBe(false);

    const before = receiver.requests.length;
    await page.getByRole('button', { name: 'Send test event' }).click();
    await page.getByLabel('Event type').fill('test.ping');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await expect
      .poll(() => receiver.requests.slice(before).map((r) => JSON.parse(r.body).type), { timeout: LIVE_TIMEOUT_MS })
      .toEqual(['test.ping']);

    const messages = await api<{ data: { id: string }[] }>('GET', `/app/${appId}/msg`);
    const messageId = messages.body.data.at(-1)!.id;
    await page.goto(`${herald.url}/#/msg/${messageId}/show?app=${appId}`);
    await page.getByText('"order": 1').first().waitFor({ timeout: 10_000 });
    await screenshot(page, '09-message');

    const attempts = await api<{ data: { id: string; responseStatusCode: number }[] }>('GET', `/app/${appId}/attempt/msg/${messageId}`);
    const [attempt] = attempts.body.data;
    expect(attempt?.responseStatusCode).toBe(200);
    await page.goto(`${herald.url}/#/msg/${messageId}/attempt/${attempt!.id}?app=${appId}`);
    // The receiver's answer body, as recorded on the attempt.
    await page.getByText('ok', { exact: true }).first().waitFor({ timeout: 10_000 });
    await screenshot(page, '09-attempt');
  });

  it('lets an admin add an operator, who sees no operator admin, and remove them, which ends their session', async () => {
    await page.goto(`${herald.url}/#/operator/create`);
    await page.getByLabel('Email').fill('member@example.com');
    await page.getByLabel('Password').fill('another long passphrase');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/#\/operator$/, { timeout: 10_000 });
    await page.getByText('member@example.com').waitFor({ timeout: 10_000 });
    await screenshot(page, '10-operators');

    const memberContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    memberContext.setDefaultTimeout(15_000);
    try {
      const member = await memberContext.newPage();
      await member.goto(`${herald.url}/#/login`);
      await member.getByLabel('Email').fill('member@example.com');
      await member.getByLabel('Password').fill('another long passphrase');
      await member.getByRole('button', { name: 'Sign in' }).click();
      await member.waitForURL(/#\/live/, { timeout: 10_000 });
      await member.getByRole('menuitem', { name: 'Applications' }).waitFor();
      expect(await member.getByRole('menuitem', { name: 'Operators' }).count()).toBe(0);

      await page.getByRole('button', { name: 'Remove' }).click();
      await page.getByRole('button', { name: 'Confirm' }).click();
      await expect.poll(() => page.getByText('member@example.com').count(), { timeout: 10_000 }).toBe(0);
      // The member's open live page is refused within seconds, by itself: its stream
      // is closed once the credential is gone, and the reconnect gets the 401.
      await member.waitForURL(/#\/login/, { timeout: 10_000 });
      await expect.poll(() => member.getByTestId('login-error').textContent(), { timeout: 10_000 }).toMatch(/sign in again/i);
    } finally {
      await memberContext.close();
    }
  });

  it('sends an expired session back to the login page', async () => {
    await watcher.close();
    await herald.database.db.update(schema.operatorSessions).set({ expiresAt: new Date(Date.now() - 1000) });
    // Credentials are cached for up to a second on the API.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    // The first refused request may already be sending the page to sign-in.
    await page.goto(`${herald.url}/#/app`).catch(() => undefined);
    await page.waitForURL(/#\/login/, { timeout: 10_000 });
    await expect.poll(() => page.getByTestId('login-error').textContent(), { timeout: 10_000 }).toMatch(/expired|sign in/i);
    await screenshot(page, '11-session-expired');
  });

  it('app-portal mode shows one application and cannot reach another', async () => {
    const other = await api<{ id: string }>('POST', '/app', { name: 'Somebody else' });
    const otherEndpoint = await api<{ id: string }>('POST', `/app/${other.body.id}/endpoint`, { url: `${receiver.url}/other` });
    expect(otherEndpoint.status).toBe(201);
    const access = await api<{ token: string; url: string }>('POST', `/auth/app-portal-access/${appId}`, {});
    expect(access.status).toBe(200);

    const subscriber = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    subscriber.setDefaultTimeout(15_000);
    try {
      const portal = await subscriber.newPage();
      await portal.goto(access.body.url);
      await portal.getByTestId('portal-banner').waitFor({ timeout: 10_000 });
      await portal.goto(`${herald.url}/#/endpoint`);
      await portal.getByText(`${receiver.url}/hooks/orders`).first().waitFor({ timeout: 10_000 });
      expect(await portal.getByText(`${receiver.url}/other`).count()).toBe(0);
      await screenshot(portal, '12-portal');

      await portal.goto(`${herald.url}/#/endpoint/${otherEndpoint.body.id}/show?app=${other.body.id}`);
      await portal.getByTestId('not-found').waitFor({ timeout: 10_000 });
      await screenshot(portal, '13-portal-other-app');

      // The token itself, used from the page, gets nothing of the other application.
      const statuses = await portal.evaluate(
        async ({ token, otherApp }) => {
          const get = async (path: string) => (await fetch(`/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } })).status;
          return [await get(`/app/${otherApp}`), await get(`/app/${otherApp}/endpoint`), await get(`/app/${otherApp}/msg`)];
        },
        { token: access.body.token, otherApp: other.body.id },
      );
      expect(statuses).toEqual([404, 404, 404]);
    } finally {
      await subscriber.close();
    }
  });
});
