/**
 * What people and logs get to see, on one real stack (Temporal dev server with its Web UI, a
 * `long-video worker` process with the callback receiver, the simulator over HTTP): the Web UI and the
 * HTML report in a real browser, and an audit that the API key and the callback secret appear in no
 * history, log, CLI output, page or delivered file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { exportHistories, filesUnder, findLeaks } from '../tools/lab/leaks';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Browser, Page } from 'playwright-core';
import { probeVideo } from '../src/media/probe';
import type { chainSummary } from '../src/cli/print';
import type { ChainProgress } from '../src/chain/progress';
import { browserTestsWanted, gotoWhenUp, launchChromium, saveScreenshot } from './support/browser';
import { eventually } from './support/simulator';
import {
  API_KEY,
  CALLBACK_SECRET,
  type Stack,
  type WorkerProcess,
  callbackEnv,
  startStack,
} from './support/stack';
import { quietRuntime } from './support/temporal';

jest.setTimeout(180_000);

const COMPLETED_ID = 'web-ui-finished-chain';
const PAUSED_ID = 'web-ui-budget-chain';
const PROMPTS = ['a lighthouse at dusk', 'its lamp turns on', 'a ship passes in the fog'];
const startArgs = (id: string) => [
  'start',
  '--aspect-ratio',
  '16:9',
  '--id',
  id,
  ...PROMPTS.flatMap((p) => ['--prompt', p]),
];
/** The parts of the browser's HTMLVideoElement used here (the tests compile without the DOM library). */
interface VideoElement {
  readyState: number;
  duration: number;
  videoWidth: number;
  videoHeight: number;
  currentTime: number;
  muted: boolean;
  error: { message: string } | null;
  play(): Promise<void>;
  pause(): void;
  getVideoPlaybackQuality(): { totalVideoFrames: number };
  addEventListener(type: string, listener: () => void): void;
}

const SECRETS = { 'API key': API_KEY, 'callback secret': CALLBACK_SECRET };

const hasBrowser = browserTestsWanted();
const browserTest = hasBrowser ? test : test.skip;

let stack: Stack;
let worker: WorkerProcess;
let browser: Browser | undefined;
/** `start --wait --json` of the finished chain. */
let completed: ReturnType<typeof chainSummary>;
/** Everything shown to people along the way (CLI output, pages), for the audit. */
const shown: { source: string; text: string }[] = [];
const serverLog: string[] = [];

async function cli(args: string[]) {
  const result = await stack.cli(args);
  shown.push({ source: `long-video ${args.join(' ')}`, text: result.stdout + result.stderr });
  return result;
}

/** A page's HTML and that of its frames (the Web UI renders Markdown in iframes). */
async function keepPage(page: Page, source: string) {
  const frames = await Promise.all(page.frames().map((f) => f.content().catch(() => '')));
  shown.push({ source, text: frames.join('\n') });
}

beforeAll(async () => {
  quietRuntime();
  stack = await startStack({}, { ui: true, log: (line) => serverLog.push(line) });
  worker = await stack.startWorker(stack.workerEnv(await callbackEnv()));
  if (hasBrowser) browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await worker?.kill('SIGTERM');
  await stack?.stop();
});

test('one chain completes with its deliverables; another pauses on its budget', async () => {
  // 12 credits pay for segment 1 only: this chain pauses before segment 2 and stays open.
  expect((await cli([...startArgs(PAUSED_ID), '--max-credits', '12'])).code).toBe(0);
  // Polls far apart: the segments finish on callbacks, through the receiver and its URL tokens.
  const run = await cli([...startArgs(COMPLETED_ID), '--poll-interval-ms', '20000', '--wait', '--json']);
  expect(run.code).toBe(0);
  completed = JSON.parse(run.stdout);
  expect(completed).toMatchObject({ workflowId: COMPLETED_ID, state: 'completed', segmentsDone: 3 });
  const result: ChainProgress = await stack.client.workflow.getHandle(COMPLETED_ID).result();
  expect(result.segments.map((s) => s.completedBy)).toEqual(['callback', 'callback', 'callback']);
  const folder = path.join(stack.outputDir, COMPLETED_ID);
  expect(completed.outputs).toMatchObject({
    video: path.join(folder, 'final.mp4'),
    manifest: path.join(folder, 'manifest.json'),
    report: path.join(folder, 'index.html'),
  });
  const paused = await eventually(async () => {
    const status = JSON.parse((await cli(['status', PAUSED_ID, '--json'])).stdout);
    return status.state === 'paused' ? status : undefined;
  }, 60_000);
  expect(paused.segmentsDone).toBe(1);
  // Both are searchable by their state (what the Web UI lists; visibility is updated asynchronously).
  for (const [state, id] of [
    ['completed', COMPLETED_ID],
    ['paused', PAUSED_ID],
  ]) {
    await eventually(async () => {
      const ids: string[] = [];
      for await (const e of stack.client.workflow.list({ query: `LongVideoState="${state}"` })) {
        ids.push(e.workflowId);
      }
      return ids.join() === id ? true : undefined;
    }, 30_000);
  }
});

browserTest('the Web UI finds the chain by LongVideoState and shows its summary and segments', async () => {
  const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
  const ns = encodeURIComponent(stack.server.namespace);
  const search = (state: string) =>
    `${stack.server.uiUrl}/namespaces/${ns}/workflows?query=${encodeURIComponent(`LongVideoState="${state}"`)}`;
  const chainLink = (id: string) => page.getByRole('link', { name: id, exact: true });

  // The same page filters the other way too: the paused chain is there, just not a completed one.
  await gotoWhenUp(page, search('paused'));
  await chainLink(PAUSED_ID).waitFor({ timeout: 30_000 });
  expect(await chainLink(COMPLETED_ID).count()).toBe(0);

  await gotoWhenUp(page, search('completed'));
  await chainLink(COMPLETED_ID).waitFor({ timeout: 30_000 });
  await page.getByText('LongVideoState = "completed"').first().waitFor(); // the filter, as the UI shows it
  expect(await chainLink(PAUSED_ID).count()).toBe(0);
  await saveScreenshot(page, 'web-ui-search.png');
  await keepPage(page, 'Web UI search page');

  await chainLink(COMPLETED_ID).click();
  await page.getByText('User Metadata', { exact: true }).click();
  // Summary, details (the prompts) and current details (the segment table) are Markdown, each in a frame.
  const summary = page.frameLocator('#user-metadata-summary');
  // (The UI's Markdown is typographic: "quotes" become “curly” and 3/3 a fraction.)
  await summary.getByText(/^3 segments · 720p · [“"]a lighthouse at dusk[”"]$/).waitFor({ timeout: 30_000 });
  const details = page.frameLocator('#user-metadata-details');
  await details.getByText(/^long-video chain of 3 segments \(5 s first clip, 720p, 16:9\)$/).waitFor();
  for (const [i, prompt] of PROMPTS.entries()) {
    await details.getByRole('listitem').nth(i).getByText(prompt).waitFor();
  }
  const current = page.frameLocator('#user-metadata-current-details');
  await current.getByText(/^completed · 3 of 3 segments · run 1 · 36 credits$/).waitFor();
  const rows = current.locator('tbody tr');
  await rows.nth(2).waitFor();
  expect(await rows.count()).toBe(3);
  for (const segment of completed.segments) {
    const cells = await rows
      .nth(segment.index - 1)
      .locator('td')
      .allInnerTexts();
    expect(cells.map((c) => c.trim())).toEqual([
      String(segment.index),
      'succeeded',
      '1',
      segment.taskId,
      'video',
      segment.prompt,
    ]);
  }
  await current.getByRole('link', { name: 'report' }).waitFor();
  await saveScreenshot(page, 'web-ui-chain.png');
  await keepPage(page, 'Web UI chain page');
  await page.close();
});

browserTest("the finished chain's report opens and its video plays", async () => {
  const manifest = JSON.parse(readFileSync(completed.outputs.manifest!, 'utf8'));
  const probe = await probeVideo(completed.outputs.video!);
  expect(probe.codec).toBe('h264');
  const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`file://${completed.outputs.report!}`);
  await page.getByRole('heading', { name: `long-video ${COMPLETED_ID}` }).waitFor();
  const video = page.locator('video#final');
  const loaded = await video.evaluate(async (v: VideoElement) => {
    if (v.readyState < 1 && !v.error) {
      await new Promise<void>((resolve) => {
        v.addEventListener('loadedmetadata', () => resolve());
        v.addEventListener('error', () => resolve());
      });
    }
    const { readyState, duration, videoWidth, videoHeight } = v;
    return { readyState, duration, videoWidth, videoHeight, error: v.error?.message ?? null };
  });
  expect(loaded.error).toBeNull();
  expect(loaded.readyState).toBeGreaterThanOrEqual(1);
  expect(Math.abs(loaded.duration - manifest.final.durationSeconds)).toBeLessThanOrEqual(0.5);
  expect([loaded.videoWidth, loaded.videoHeight]).toEqual([manifest.final.width, manifest.final.height]);

  // Metadata is not decoding: play a second of it (muted, so that headless autoplay is allowed).
  const played = await video.evaluate(async (v: VideoElement) => {
    v.muted = true;
    await v.play();
    await new Promise<void>((resolve) => {
      v.addEventListener('timeupdate', () => v.currentTime >= 1 && resolve());
      v.addEventListener('error', () => resolve());
      setTimeout(resolve, 15_000); // a stalled decoder: report where it got to
    });
    v.pause();
    return {
      currentTime: v.currentTime,
      decodedFrames: v.getVideoPlaybackQuality().totalVideoFrames,
      error: v.error?.message ?? null,
    };
  });
  expect(played.error).toBeNull();
  expect(played.currentTime).toBeGreaterThanOrEqual(1);
  expect(played.decodedFrames).toBeGreaterThan(0);

  // The contact sheet: one loaded thumbnail per segment, captioned with its prompt.
  const thumbnails = await page
    .locator('figure img')
    .evaluateAll((imgs: { complete: boolean; naturalWidth: number }[]) =>
      imgs.map((img) => img.complete && img.naturalWidth > 0),
    );
  expect(thumbnails).toEqual([true, true, true]);
  const captions = await page.locator('figcaption').allInnerTexts();
  expect(captions.map((c) => c.replace(/\s+/g, ' '))).toEqual(
    PROMPTS.map((prompt, i) =>
      expect.stringMatching(new RegExp(`^${i + 1} · succeeded · 5\\.0 s ${prompt}$`)),
    ),
  );
  await saveScreenshot(page, 'report.png');
  await keepPage(page, 'report page');
  await page.close();
});

test('the leak search finds a planted secret in every form, and nothing in clean text', () => {
  const payload = defaultPayloadConverter.toPayload({ headers: { Authorization: `Bearer ${API_KEY}` } });
  const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');
  for (const prefix of ['', 'x', 'xy']) {
    expect(findLeaks(b64(prefix + API_KEY), SECRETS)).toContain(`API key as base64@${prefix.length}`);
    const url = Buffer.from(`${prefix}?${CALLBACK_SECRET}`).toString('base64url');
    expect(findLeaks(url, SECRETS)).toContain(`callback secret as base64url@${(prefix.length + 1) % 3}`);
  }
  // A Temporal payload as a history export shows it: JSON, base64-encoded.
  const exported = JSON.stringify({ payloads: [{ metadata: {}, data: b64(payload.data!) }] });
  expect(findLeaks(exported, SECRETS).some((f) => f.startsWith('API key as base64@'))).toBe(true);
  expect(findLeaks(`GET /cb?s=${encodeURIComponent(CALLBACK_SECRET)}`, SECRETS)).toContain(
    'callback secret as URL-encoded',
  );
  expect(findLeaks(`worker ready, key ${API_KEY}`, SECRETS)).toContain('API key as plain');
  // Near misses are not leaks: another key, and most of the secret but not all of it.
  const near = `key ${API_KEY.slice(0, -1)}z, secret ${b64(CALLBACK_SECRET.slice(0, -6))}`;
  expect(findLeaks(near, SECRETS)).toEqual([]);
});

test('the API key and the callback secret appear in no history, log, output, page or file', async () => {
  const corpus: { source: string; text: string }[] = [...shown];
  // Every run of every workflow in the namespace, as `temporal workflow show --output json` would give it
  // (payloads base64-encoded, which the leak search covers).
  const histories = await exportHistories(stack.client);
  corpus.push(...histories.map((h) => ({ ...h, source: h.source.replace(/ \(.*\)$/, '') })));
  corpus.push({ source: 'worker stdout/stderr (receiver included)', text: worker.output() });
  corpus.push({ source: 'Temporal server log', text: serverLog.join('\n') });
  const outputs = filesUnder(stack.outputDir);
  const files = outputs.map((f) => f.source);
  corpus.push(...outputs);
  // What reached the provider: callback URLs carry a token made from the secret, never the secret; and
  // the ledger names accounts by a fingerprint. (The simulator's own logs are not audited: it is the
  // provider, and it is given the key.)
  corpus.push({ source: 'provider ledger', text: JSON.stringify(await stack.sim.admin.ledger()) });
  corpus.push({ source: 'provider callbacks', text: JSON.stringify(await stack.sim.admin.callbacks()) });

  // The audit saw what it claims to: both chains' histories, the deliverable, the pages and the outputs.
  const sources = corpus.map((c) => c.source);
  expect(sources).toEqual(expect.arrayContaining([`history of ${COMPLETED_ID}`, `history of ${PAUSED_ID}`]));
  const folder = path.join(stack.outputDir, COMPLETED_ID);
  expect(files).toEqual(
    expect.arrayContaining(['final.mp4', 'manifest.json', 'index.html'].map((f) => path.join(folder, f))),
  );
  expect(worker.output()).toContain('worker ready');
  if (hasBrowser) expect(sources).toEqual(expect.arrayContaining(['Web UI chain page', 'report page']));
  // ...and the search reads those texts as they are encoded: a prompt is found in the histories' base64.
  const history = corpus.find((c) => c.source === `history of ${COMPLETED_ID}`)!.text;
  expect(findLeaks(history, { prompt: PROMPTS[1]! }).some((f) => f.includes('base64'))).toBe(true);

  const leaks = corpus.flatMap((c) => findLeaks(c.text, SECRETS).map((leak) => `${leak} in ${c.source}`));
  expect(leaks).toEqual([]);
});
