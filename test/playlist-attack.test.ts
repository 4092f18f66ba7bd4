/**
 * A provider file is opened as MP4 and nothing else. The attack: a `videoUrl` on an allowed host serves
 * an HLS playlist named x.mp4 whose entries are file:/// URLs; ffmpeg, guessing the format from the
 * content, would follow them and copy any video the worker can read (here a magenta clip standing for
 * another customer's video) into the archive, the preview and final.mp4, and every frame would decode.
 * The archive step refuses what is not an ISO-BMFF file (no `ftyp` box at byte 4), and probe, preview and
 * stitch force the MP4 demuxer, so a playlist already on disk is refused too.
 */
import { existsSync, mkdtempSync, promises as fs, readdirSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { closeServer, listen } from '../src/http/json-server';
import { downloadToStorage } from '../src/media/download';
import { ffmpeg } from '../src/media/ffmpeg';
import { probeVideo } from '../src/media/probe';
import { concatCopy, stitch } from '../src/media/stitch';
import { renderClip } from '../src/simulator/media';
import { colourDistance, pixelAt } from './support/frames';
import { LocalFolderStorage } from '../src/media/storage';
import { deliverablesIn, quietActivityEnv } from './support/deliverables';

jest.setTimeout(120_000);

const MAGENTA = { r: 255, g: 0, b: 255 };
let dir: string;
let secret: string;
let good: string;
let playlist: string;
let server: http.Server;
let base: string;

const playlistText = (file: string) =>
  `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.0,\nfile://${file}\n#EXT-X-ENDLIST\n`;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'long-video-attack-'));
  secret = path.join(dir, 'private-7f3a9c.mp4');
  await ffmpeg(['-f', 'lavfi', '-i', 'color=c=magenta:s=320x240:r=24:d=2', '-pix_fmt', 'yuv420p', secret]);
  const spec = {
    width: 320,
    height: 240,
    seconds: 2,
    segment: 1,
    chainKey: 'c',
    timelineStart: 0,
    prompt: 'x',
  };
  good = (await renderClip(spec, dir, 'good')).video;
  playlist = path.join(dir, 'x.mp4');
  await fs.writeFile(playlist, playlistText(secret));
  server = http.createServer((req, res) => {
    if (req.url === '/dribble.mp4') return void dribble(res);
    if (req.url !== '/x.mp4') return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'video/mp4' }).end(playlistText(secret));
  });
  base = await listen(server, '127.0.0.1', 0);
});
afterAll(async () => {
  await closeServer(server);
  await fs.rm(dir, { recursive: true, force: true });
});

/** A real MP4 a few bytes at a time: the container check waits for its first 12 bytes. */
async function dribble(res: http.ServerResponse) {
  const video = await fs.readFile(good);
  res.writeHead(200, { 'content-type': 'video/mp4' });
  for (let at = 0; at < 20; at += 3) {
    res.write(video.subarray(at, at + 3));
    await new Promise((r) => setTimeout(r, 5));
  }
  res.end(video.subarray(21 - (21 % 3)));
}

/** Does this video show the secret clip? */
const showsSecret = async (file: string) => colourDistance(await pixelAt(file, 0.5, 160, 120), MAGENTA) < 30;

test('the attack is real: ffmpeg left to guess reads the local file behind the playlist', async () => {
  const out = path.join(dir, 'guessed.mp4');
  await ffmpeg(['-i', playlist, '-c', 'copy', out]);
  expect(await showsSecret(out)).toBe(true);
});

test('the archive step refuses a playlist served as x.mp4 by an allowed host, and keeps nothing', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'long-video-attack-out-'));
  const activities = deliverablesIn(root, new URL(base).host);
  const env = quietActivityEnv();
  const input = {
    workflowId: 'wf',
    index: 3,
    taskId: 'task-abc',
    videoUrl: `${base}/x.mp4`,
    previewFiles: [],
  };
  let failure: unknown;
  try {
    const leaked = (await env.run(activities.archiveSegment, input)) as { preview?: string };
    // Only the unfixed code gets here: say what leaked.
    failure = `archived: ${JSON.stringify(leaked)}; preview shows the secret: ${await showsSecret(leaked.preview!)}`;
  } catch (err) {
    failure = err;
  }
  expect(failure).toMatchObject({
    type: 'NotAnMp4',
    nonRetryable: true,
    message: expect.stringMatching(
      /^segment 3: the file at http:\/\/127\.0\.0\.1:\d+\/x\.mp4 is not an MP4 video \(no ftyp box at byte 4; it begins "#EXTM3U\.#E"\): refused/,
    ),
  });
  expect(String((failure as Error).message)).not.toContain('private-7f3a9c');
  const kept = readdirSync(root, { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
  expect(kept.map((d) => d.name)).toEqual([]); // no video, no temporary file, no hash
  await fs.rm(root, { recursive: true, force: true });
});

test('a real MP4 that arrives a few bytes at a time is archived whole', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'long-video-attack-out-'));
  const stored = await downloadToStorage({
    url: `${base}/dribble.mp4`,
    allowedHosts: new Set([new URL(base).host]),
    timeoutMs: 5_000,
    maxBytes: 50_000_000,
    storage: new LocalFolderStorage(root),
    workflowId: 'wf',
    name: 'dribble.mp4',
    mp4: true,
  });
  expect(await fs.readFile(stored.path)).toEqual(await fs.readFile(good));
  await fs.rm(root, { recursive: true, force: true });
});

test('probe, preview and stitch open segment files as MP4 only: a playlist on disk is refused', async () => {
  await expect(probeVideo(playlist, { countFrames: true })).rejects.toThrow(/ffprobe cannot read/);
  for (const files of [[playlist], [good, playlist], [playlist, good]]) {
    const out = path.join(dir, `stitched-${files.length}-${files.indexOf(playlist)}.mp4`);
    const refused = await stitch({ files, out }).then(String, (err: Error) => err.message);
    expect(refused).toMatch(/^ffprobe cannot read .*x\.mp4: .*moov atom not found/s);
    expect(refused).not.toContain('private-7f3a9c');
    expect(existsSync(out)).toBe(false);
    const preview = path.join(dir, `preview-${files.length}-${files.indexOf(playlist)}.mp4`);
    // -xerror: an entry refused after a good one fails the join, rather than cutting it short.
    await expect(concatCopy(files, preview)).rejects.toThrow(/ffmpeg failed: .*not on whitelist/s);
    expect(existsSync(preview)).toBe(false);
  }
  expect(readdirSync(dir).filter((f) => f.endsWith('.txt') || f.includes('partial'))).toEqual([]);
});
