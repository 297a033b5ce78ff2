import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/**
 * Chromium comes from the Debian package (`apt-get install chromium`, done by
 * .ci/run); playwright-core only drives it and never downloads a browser.
 */
const CHROMIUM = '/usr/bin/chromium';

/** Where screenshots of the main screens land: a CI artifact, ignored by git. */
export const SCREENSHOT_DIR = join(import.meta.dirname, '..', '..', 'test-results', 'dashboard');

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run "apt-get install -y chromium"`);
  return await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container has no usable sandbox; nothing here may reach the network.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * An operator's window at 1440 × 900 (the width issues were seen at). Its default
 * timeout is below the test timeout, so a stuck step fails with its own name.
 */
export async function operatorWindow(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  context.setDefaultTimeout(15_000);
  return { context, page: await context.newPage() };
}

/** Saves a full-page screenshot named after the screen it shows. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
