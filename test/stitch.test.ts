/**
 * The stitcher and the archive activity on real files: stream copy and re-encode, whole-video-so-far
 * extensions, trims and crossfades, and every way a download can go wrong — each with a clear error and
 * no half-written file left behind.
 */
import { existsSync, mkdtempSync, promises as fs, readdirSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { type ArchiveInput, createDeliverableActivities } from '../src/activities/deliverable';
import { closeServer, listen } from '../src/http/json-server';
import { probeVideo } from '../src/media/probe';
import { detectLayout, stitch } from '../src/media/stitch';
import { concatClips, renderClip, segmentColour } from '../src/simulator/media';
import { LocalFolderStorage } from '../src/media/storage';
import { colourDistance, pixelAt } from './support/frames';

jest.setTimeout(120_000);

let dir: string;
const clips: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'long-video-stitch-'));
  const make = async (name: string, segment: number, width: number, height: number, seconds = 2) => {
    const spec = { width, height, seconds, segment, chainKey: 'chain', timelineStart: 0, prompt: name };
    clips[name] = (await renderClip(spec, dir, name)).video;
  };
  await make('a', 1, 640, 360);
  await make('b', 2, 640, 360);
  await make('c', 3, 640, 360);
  await make('wide', 2, 480, 360);
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const colourAt = async (file: string, t: number, segment: number) =>
  colourDistance(await pixelAt(file, t, 200, 130), segmentColour('chain', segment));

test('matching segments are joined by stream copy, each joint showing the right segment', async () => {
  const out = path.join(dir, 'copy.mp4');
  const r = await stitch({ files: [clips.a!, clips.b!, clips.c!], out });
  expect(r).toMatchObject({ method: 'copy', layout: 'new-part', width: 640, height: 360 });
  expect(r.durationSeconds).toBeCloseTo(6, 1);
  for (const [t, segment] of [
    [1.9, 1],
    [2.1, 2],
    [3.9, 2],
    [4.1, 3],
  ] as const) {
    expect(await colourAt(out, t, segment)).toBeLessThan(12);
  }
});

test('segments of different sizes are re-encoded to the first one', async () => {
  const out = path.join(dir, 'reencode.mp4');
  const r = await stitch({ files: [clips.a!, clips.wide!], out });
  expect(r).toMatchObject({ method: 'reencode', width: 640, height: 360 });
  expect(r.durationSeconds).toBeCloseTo(4, 1);
  expect(await colourAt(out, 3, 2)).toBeLessThan(14);
});

test('extensions that hold the whole video so far are detected: the last one is the video', async () => {
  const whole = path.join(dir, 'whole-b.mp4');
  await fs.copyFile(clips.b!, whole);
  await concatClips(clips.a!, { video: whole, thumbnail: '' }, 640, 360);
  expect(detectLayout([2, 4])).toBe('cumulative');
  expect(detectLayout([5, 5, 5])).toBe('new-part');
  const r = await stitch({ files: [clips.a!, whole], out: path.join(dir, 'cumulative.mp4') });
  expect(r.layout).toBe('cumulative');
  expect(r.durationSeconds).toBeCloseTo(4, 1);
});

test('trimming boundary frames and crossfades change the length exactly as expected', async () => {
  const trimmed = await stitch({
    files: [clips.a!, clips.b!, clips.c!],
    out: path.join(dir, 'trim.mp4'),
    trimBoundaryFrame: true,
  });
  expect(trimmed.method).toBe('reencode');
  expect(trimmed.expectedSeconds).toBeCloseTo(6 - 2 / 24, 3);
  expect(Math.abs(trimmed.durationSeconds - trimmed.expectedSeconds)).toBeLessThan(3 / 24);
  const faded = await stitch({
    files: [clips.a!, clips.b!],
    out: path.join(dir, 'fade.mp4'),
    crossfadeSeconds: 0.5,
  });
  expect(faded.durationSeconds).toBeCloseTo(3.5, 1);
});

test('a broken input fails the stitch and leaves no final or partial file', async () => {
  const broken = path.join(dir, 'broken.mp4');
  await fs.writeFile(broken, (await fs.readFile(clips.b!)).subarray(0, 3000));
  const out = path.join(dir, 'never.mp4');
  await expect(stitch({ files: [clips.a!, broken], out })).rejects.toThrow(/ffprobe|ffmpeg/);
  expect(readdirSync(dir).filter((f) => f.startsWith('never') || f.includes('.never'))).toEqual([]);
});

describe('archiving a segment', () => {
  let server: http.Server;
  let base: string;
  const bodies: Record<string, { status: number; body?: Buffer; location?: string }> = {};

  beforeAll(async () => {
    const video = await fs.readFile(clips.a!);
    bodies['/ok.mp4'] = { status: 200, body: video };
    bodies['/truncated.mp4'] = { status: 200, body: video.subarray(0, Math.floor(video.length / 3)) };
    // An MP4's header over garbage: past the container check, caught by decoding.
    const corrupt = Buffer.concat([video.subarray(0, 32), Buffer.alloc(20_000, 7)]);
    bodies['/corrupt.mp4'] = { status: 200, body: corrupt };
    bodies['/garbage.mp4'] = { status: 200, body: Buffer.alloc(20_000, 7) };
    bodies['/gone.mp4'] = { status: 410 };
    bodies['/expired.mp4'] = { status: 404 };
    bodies['/redirect.mp4'] = { status: 302, location: 'http://169.254.169.254/latest/meta-data' };
    server = http.createServer((req, res) => {
      const b = bodies[req.url ?? ''] ?? { status: 404 };
      res.writeHead(b.status, b.location ? { location: b.location } : { 'content-type': 'video/mp4' });
      res.end(b.body);
    });
    base = await listen(server, '127.0.0.1', 0);
  });
  afterAll(() => closeServer(server));

  function archive(url: string, opts: { maxBytes?: number; root?: string } = {}) {
    const root = opts.root ?? mkdtempSync(path.join(os.tmpdir(), 'long-video-archive-'));
    const activities = createDeliverableActivities({
      storage: new LocalFolderStorage(root),
      mediaHosts: new Set([new URL(base).host]),
      maxBytes: opts.maxBytes ?? 50_000_000,
      downloadTimeoutMs: 5_000,
    });
    const input: ArchiveInput = {
      workflowId: 'wf/../x',
      index: 3,
      taskId: 'task-abc',
      videoUrl: url,
      previewFiles: [],
    };
    const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
    return {
      root,
      result: env.run(activities.archiveSegment, input) as ReturnType<typeof activities.archiveSegment>,
    };
  }

  const files = (root: string) => readdirSync(root, { recursive: true }).map(String);

  test('a good file is archived with its hash and length, and a preview', async () => {
    const { root, result } = archive(`${base}/ok.mp4`);
    const { archive: a, preview } = await result;
    expect(a.video.startsWith(path.join(root, 'wf%2F..%2Fx'))).toBe(true); // never outside the output folder
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(a.bytes).toBe(bodies['/ok.mp4']!.body!.length);
    expect(a.durationSeconds).toBeCloseTo(2, 1);
    expect(existsSync(preview!)).toBe(true);
    // Archiving again (a retried activity) finds the verified copy and does not download.
    bodies['/ok.mp4']!.status = 500;
    try {
      const again = await archive(`${base}/ok.mp4`, { root }).result;
      expect(again.archive.sha256).toBe(a.sha256);
    } finally {
      bodies['/ok.mp4']!.status = 200;
    }
  });

  test.each([
    [
      'a disallowed host',
      'http://example.com/x.mp4',
      /segment 3: host example.com is not an allowed media host/,
    ],
    ['a redirect to a disallowed host', '/redirect.mp4', /segment 3: host 169.254.169.254 is not an allowed/],
    [
      'an expired file (404)',
      '/expired.mp4',
      /segment 3: the provider no longer has its file \(HTTP 404; files expire/,
    ],
    ['a gone file (410)', '/gone.mp4', /segment 3: the provider no longer has its file \(HTTP 410/],
    [
      'a truncated file',
      '/truncated.mp4',
      /segment 3 \(task task-abc\): the downloaded video is not readable/,
    ],
    ['a corrupt file', '/corrupt.mp4', /segment 3 \(task task-abc\): the downloaded video is not readable/],
    [
      'a file that is no MP4 at all',
      '/garbage.mp4',
      /segment 3: the file at .*\/garbage.mp4 is not an MP4 video/,
    ],
  ])('%s is a clear error and leaves no file', async (_, url, message) => {
    const { root, result } = archive(url.startsWith('/') ? `${base}${url}` : url);
    await expect(result).rejects.toThrow(message);
    expect(files(root).filter((f) => f.endsWith('.mp4') || f.includes('partial'))).toEqual([]);
  });

  test('a file over the size cap is refused and nothing is kept (a full disk looks the same)', async () => {
    const { root, result } = archive(`${base}/ok.mp4`, { maxBytes: 10_000 });
    await expect(result).rejects.toThrow(/segment 3: larger than the 10000-byte cap/);
    expect(files(root).filter((f) => f.endsWith('.mp4') || f.includes('partial'))).toEqual([]);
  });
});

test('probe sanity: the test clips are what they claim', async () => {
  expect(await probeVideo(clips.wide!)).toMatchObject({ width: 480, height: 360 });
});
