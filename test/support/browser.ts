/**
 * A real headless browser for the tests that look at pages: playwright-core driving the system's Chromium
 * (Debian's `/usr/bin/chromium`, or `CHROMIUM_PATH`). playwright-core downloads no browser of its own.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The developers' guide's flags: no sandbox (containers, root), no GPU, no network chatter of its own. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** Screenshots land here (git-ignored) so that CI can keep them as artifacts. */
export const ARTIFACTS_DIR = path.join(__dirname, '..', '..', 'test-artifacts');

/**
 * Whether the browser tests run. They are skipped only when asked (`LONG_VIDEO_SKIP_CHROMIUM=1`, the same
 * switch `scripts/setup.sh` honours), and then loudly; a Chromium that is simply missing fails them.
 */
export function browserTestsWanted(): boolean {
  if (process.env.LONG_VIDEO_SKIP_CHROMIUM !== '1') return true;
  console.warn(`\n*** LONG_VIDEO_SKIP_CHROMIUM=1: the browser tests are SKIPPED. ***\n`);
  return false;
}

/** A clear failure when the browser is not there (rather than playwright's launch error). */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `${CHROMIUM_PATH} not found: install it (Debian: apt-get install chromium, or bash scripts/setup.sh as ` +
        'root), set CHROMIUM_PATH, or skip the browser tests with LONG_VIDEO_SKIP_CHROMIUM=1',
    );
}

export function launchChromium(): Promise<Browser> {
  requireChromium();
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** Open `url`, retrying while the server is not yet listening (a freshly started Web UI). */
export async function gotoWhenUp(page: Page, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await page.goto(url).catch((err: Error) => err);
    if (!(response instanceof Error) && (response === null || response.ok())) return;
    if (Date.now() > deadline) {
      const why = response instanceof Error ? response.message : `HTTP ${response.status()}`;
      throw new Error(`${url} did not open within ${timeoutMs} ms: ${why}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, name);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
