/**
 * The deliverables over HTTP, on the real stack (a `long-video worker` process serving its OUTPUT_DIR):
 * every link of a finished chain, in its Web UI details, in `status --json` and in its report, answers 200
 * in Chromium; the final video plays and seeks in a <video> element (by byte ranges); the report's
 * thumbnails open their segments' archived videos.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { chainSummary } from '../src/cli/print';
import { browserTestsWanted, launchChromium, saveScreenshot } from './support/browser';
import { useStackWithWorker } from './support/stack';

jest.setTimeout(180_000);

const useStack = useStackWithWorker({ freshSimulator: false });
const ID = 'links-chain';
const PROMPTS = ['a kite rises', 'the string snaps', 'it drifts over the sea'];

const hasBrowser = browserTestsWanted();
const browserTest = hasBrowser ? test : test.skip;
let browser: Browser | undefined;
let summary: ReturnType<typeof chainSummary>;
/** The chain's Web UI details (Markdown), as the Web UI shows them. */
let details: string;

/** The parts of HTMLVideoElement used here (the tests compile without the DOM library). */
interface VideoElement {
  readyState: number;
  duration: number;
  currentTime: number;
  muted: boolean;
  error: { message: string } | null;
  play(): Promise<void>;
  pause(): void;
  addEventListener(type: string, listener: () => void, options?: { once: boolean }): void;
}

beforeAll(async () => {
  if (hasBrowser) browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Open `url` in a page of its own and answer the status Chromium got. */
async function statusInChromium(url: string): Promise<number> {
  const page = await browser!.newPage();
  try {
    const response = await page.goto(url);
    return response?.status() ?? 0;
  } finally {
    await page.close();
  }
}

test('a finished chain names its deliverables by HTTP URL, beside their paths', async () => {
  const run = await useStack().cli([
    'start',
    '--aspect-ratio',
    '16:9',
    '--id',
    ID,
    ...PROMPTS.flatMap((p) => ['--prompt', p]),
    '--wait',
    '--json',
  ]);
  expect(run.code).toBe(0);
  summary = JSON.parse(run.stdout);
  const folder = path.join(useStack().outputDir, ID);
  expect(summary.outputs).toEqual({
    video: path.join(folder, 'final.mp4'),
    manifest: path.join(folder, 'manifest.json'),
    report: path.join(folder, 'index.html'),
  });
  const base = /^http:\/\/127\.0\.0\.1:\d+$/;
  const { video, manifest, report, preview } = summary.outputUrls;
  for (const [url, name] of [
    [video, 'final.mp4'],
    [manifest, 'manifest.json'],
    [report, 'index.html'],
    [preview, 'preview.mp4'],
  ] as const) {
    expect(url).toMatch(new RegExp(`/${ID}/${name.replace('.', '\\.')}$`));
    expect(url!.slice(0, -`/${ID}/${name}`.length)).toMatch(base);
  }
  // Each segment's link is its archived copy, not the provider's expiring URL.
  for (const s of summary.segments) {
    expect(s.archiveUrl).toMatch(new RegExp(`/${ID}/segment-00${s.index}-[A-Za-z0-9-]+\\.mp4$`));
    expect(s.archiveUrl).not.toBe(s.videoUrl);
  }
  // A plain Range request: 206 with exactly those bytes of the file on disk.
  const bytes = readFileSync(summary.outputs.video!);
  const ranged = await fetch(video!, { headers: { range: 'bytes=100-1099' } });
  expect(ranged.status).toBe(206);
  expect(ranged.headers.get('content-range')).toBe(`bytes 100-1099/${bytes.length}`);
  expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(100, 1100))).toBe(true);

  // The people-facing output prints the links too.
  const status = await useStack().cli(['status', ID]);
  expect(status.stdout).toContain(`video:    ${video}  (${summary.outputs.video})`);
  expect(status.stdout).toContain(`report:   ${report}  (${summary.outputs.report})`);

  const metadata = await useStack()
    .client.workflow.getHandle(ID)
    .query<{ currentDetails: string }>('__temporal_workflow_metadata');
  details = metadata.currentDetails;
  const links = [...details.matchAll(/\[([^\]]+)\]\(([^)]+)\)/g)].map((m) => [m[1], m[2]]);
  expect(links).toEqual([
    ['report', report],
    ['video', video],
    ['manifest', manifest],
    ...summary.segments.map((s) => ['video', s.archiveUrl]),
  ]);
});

browserTest('every link of the Web UI details and of the report answers 200 in Chromium', async () => {
  const detailLinks = [...details.matchAll(/\]\((http[^)]+)\)/g)].map((m) => m[1]!);
  expect(detailLinks).toHaveLength(3 + PROMPTS.length);
  for (const url of [...detailLinks, summary.outputUrls.preview!]) {
    expect([url, await statusInChromium(url)]).toEqual([url, 200]);
  }

  const page = await browser!.newPage();
  await page.goto(summary.outputUrls.report!);
  await page.getByRole('heading', { name: `long-video ${ID}` }).waitFor();
  // Every link and source of the report, resolved against where it was opened, fetched by the page.
  const targets = await page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<unknown> } })
      .document;
    const urls = [...doc.querySelectorAll('a[href], img[src], video[src]')].map((el) => {
      const e = el as { href?: string; src?: string };
      return e.href || e.src || '';
    });
    return urls;
  });
  const reportBase = summary.outputUrls.report!.replace(/index\.html$/, '');
  // manifest.json, final.mp4, and per segment its video link and its thumbnail.
  expect(targets).toHaveLength(2 + 2 * PROMPTS.length);
  for (const url of targets) expect(url.startsWith(reportBase)).toBe(true);
  const statuses = await page.evaluate(
    // (no-store: the video element's partial copy in the cache would answer 206 for the final video)
    (urls: string[]) =>
      Promise.all(
        urls.map(async (u) => [u, (await fetch(u, { cache: 'no-store' } as RequestInit)).status] as const),
      ),
    targets,
  );
  expect(statuses).toEqual(targets.map((u) => [u, 200]));
  await page.close();
});

browserTest('the final video plays from the report and seeks by byte ranges', async () => {
  const manifest = JSON.parse(readFileSync(summary.outputs.manifest!, 'utf8'));
  const page: Page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
  const ranges: number[] = [];
  page.on('response', (r) => {
    if (r.url() === summary.outputUrls.video) ranges.push(r.status());
  });
  await page.goto(summary.outputUrls.report!);
  const video = page.locator('video#final');
  const played = await video.evaluate(async (v: VideoElement) => {
    v.muted = true; // headless autoplay is allowed muted
    await v.play();
    const start = v.currentTime;
    await new Promise<void>((resolve) => {
      v.addEventListener('timeupdate', () => v.currentTime >= start + 1 && resolve());
      v.addEventListener('error', () => resolve());
    });
    v.pause();
    return {
      readyState: v.readyState,
      duration: v.duration,
      advanced: v.currentTime - start,
      error: v.error,
    };
  });
  expect(played.error).toBeNull();
  expect(played.readyState).toBeGreaterThanOrEqual(2);
  expect(played.advanced).toBeGreaterThanOrEqual(1);
  expect(Math.abs(played.duration - manifest.final.durationSeconds)).toBeLessThanOrEqual(0.5);

  const middle = manifest.final.durationSeconds / 2;
  const seeked = await video.evaluate(async (v: VideoElement, to: number) => {
    const done = new Promise<void>((resolve) =>
      v.addEventListener('seeked', () => resolve(), { once: true }),
    );
    v.currentTime = to;
    await done;
    return { currentTime: v.currentTime, readyState: v.readyState, error: v.error };
  }, middle);
  expect(seeked.error).toBeNull();
  expect(Math.abs(seeked.currentTime - middle)).toBeLessThanOrEqual(0.1);
  // Chromium fetched the video in byte ranges, which the server answered.
  expect(ranges).toContain(206);
  expect(ranges.every((s) => s === 200 || s === 206)).toBe(true);

  // A thumbnail opens its segment's archived video.
  const first = summary.segments[0]!;
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.locator('figure a.segment').first().click(),
  ]);
  expect(page.url()).toBe(first.archiveUrl);
  expect(response?.status()).toBe(200);
  expect(await response?.headerValue('content-type')).toBe('video/mp4');
  await saveScreenshot(page, 'segment-from-report.png');
  await page.close();
});
