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

/** Whether a browser is there; says so loudly when it is not (the browser tests are then skipped). */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  console.warn(
    `\n*** ${CHROMIUM_PATH} not found: the browser tests are SKIPPED. ` +
      `Install it (Debian: apt-get install chromium, or bash scripts/setup.sh as root) or set CHROMIUM_PATH. ***\n`,
  );
  return false;
}

export function launchChromium(): Promise<Browser> {
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
