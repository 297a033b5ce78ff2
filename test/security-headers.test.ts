import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './support/browser';
import { call, startTestHerald, type TestHerald } from './support/harness';

/**
 * Browser hardening on every answer: a Content-Security-Policy (strict for
 * pages, deny-all for data), no framing, no MIME sniffing, no referrer. The
 * pages themselves are loaded in Chromium to prove they still work under the
 * policy (no violation reported) and cannot be framed by another origin.
 */
const ROOT = join(import.meta.dirname, '..');
const DASHBOARD_DIR = join(ROOT, 'apps', 'dashboard', 'dist');
const ADMIN_EMAIL = 'headers@example.com';
const ADMIN_PASSWORD = 'correct horse battery staple';

let herald: TestHerald;
let browser: Browser;
let framer: Server;
let framerUrl = '';

beforeAll(async () => {
  if (!existsSync(join(DASHBOARD_DIR, 'index.html'))) {
    await promisify(execFile)('npm', ['run', 'build', '--workspace', '@herald/dashboard'], { cwd: ROOT });
  }
  herald = await startTestHerald({
    queue: 'redis',
    config: { HERALD_ADMIN_EMAIL: ADMIN_EMAIL, HERALD_ADMIN_PASSWORD: ADMIN_PASSWORD },
    deps: { dashboardDir: DASHBOARD_DIR },
  });
  browser = await launchBrowser();
  // Another origin (another port) that tries to frame Herald's pages.
  framer = createServer((req, res) => {
    const target = new URL(req.url ?? '/', 'http://x').searchParams.get('src') ?? '';
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><iframe id="f" src="${target}" width="800" height="600"></iframe>`);
  });
  await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
  framerUrl = `http://127.0.0.1:${(framer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => framer?.close(resolve));
  await herald?.close();
});

const expectHardened = (headers: Headers) => {
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
};

describe('security headers', () => {
  it.each([
    ['GET', '/api/v1/health', 200, false],
    ['GET', '/api/v1/openapi.json', 200, false],
    ['GET', '/api/v1/app', 200, true],
    ['GET', '/api/v1/app', 401, false],
    ['GET', '/api/v1/no-such-route', 404, true],
    ['POST', '/api/v1/app', 422, true],
    ['GET', '/metrics', 200, false],
  ])('%s %s answers %i with the data policy', async (method, path, status, auth) => {
    const response = await call(herald.url, method, path, auth ? { token: herald.rootToken } : {});
    expect(response.status).toBe(status);
    expectHardened(response.headers);
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it('a request Node cannot parse is answered with the data policy too', async () => {
    const { port } = new URL(herald.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write(`GET /api/v1/health HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(70_000)}\r\n\r\n`),
      );
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString();
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 431 /);
    expect(raw).toContain("content-security-policy: default-src 'none'; frame-ancestors 'none'");
    expect(raw).toContain('x-frame-options: DENY');
    expect(raw).toContain('x-content-type-options: nosniff');
  });

  it.each(['/', '/api/v1/docs'])('the page %s gets the page policy: its own scripts only', async (path) => {
    const response = await fetch(`${herald.url}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expectHardened(response.headers);
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain("'unsafe-eval'");
    expect(policy).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    // Nothing inline for the policy to block.
    expect(await response.text()).not.toMatch(/<script>(?!<\/script>)/);
  });
});

describe('the pages under their policy, in Chromium', () => {
  const violations = (page: Page) => {
    const seen: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) seen.push(message.text());
    });
    return seen;
  };

  it('the API reference renders with no violation', async () => {
    const page = await browser.newPage();
    const seen = violations(page);
    await page.goto(`${herald.url}/api/v1/docs`);
    await page.locator('.swagger-ui .info .title').first().waitFor({ timeout: 30_000 });
    expect(await page.locator('.swagger-ui .info .title').first().textContent()).toContain('Herald API');
    expect(seen).toEqual([]);
    await page.close();
  });

  it('the dashboard signs in and shows its pages with no violation', async () => {
    const page = await browser.newPage();
    const seen = violations(page);
    await page.goto(`${herald.url}/#/login`);
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => !url.hash.startsWith('#/login'), { timeout: 30_000 });
    await page.goto(`${herald.url}/#/applications`);
    await page.waitForLoadState('networkidle');
    expect(seen).toEqual([]);
    await page.close();
  });

  it.each(['/', '/api/v1/docs'])('another origin cannot frame %s', async (path) => {
    const page = await browser.newPage();
    await page.goto(`${framerUrl}/?src=${encodeURIComponent(`${herald.url}${path}`)}`);
    await page.waitForTimeout(1000);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    // A refused frame is left as Chromium's error page: none of Herald's markup got in.
    const heraldMarkup = frame
      ? await frame
          .locator('#root, #reference')
          .count()
          .catch(() => 0)
      : 0;
    expect(heraldMarkup).toBe(0);
    await page.close();
  });
});
