/**
 * The exact last frame of a clip, and images as data URIs within a limit. The clip is made with ffmpeg's
 * lavfi: red for 48 frames, then one green frame, then one blue frame, so a frame one off either way (or a
 * seek that lands near the end) shows as the wrong colour.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_DATA_URI_MAX_BYTES, extractLastFrame, imageDataUri } from '../src/media/last-frame';
import { probeVideo } from '../src/media/probe';

const run = promisify(execFile);

let dir: string;
let clip: string;

/** The RGB of the pixel in the middle of an image (or of the frame `select` picks from a video). */
async function centrePixel(input: string, select?: string): Promise<[number, number, number]> {
  const filter = [select ? `select=${select}` : '', 'crop=2:2:iw/2:ih/2'].filter(Boolean).join(',');
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-i', input, '-vf', filter, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    { encoding: 'buffer' },
  );
  const buf = stdout as unknown as Buffer;
  return [buf[0]!, buf[1]!, buf[2]!];
}

const near = (rgb: [number, number, number], want: [number, number, number]) =>
  Math.max(...rgb.map((v, i) => Math.abs(v - want[i]!))) <= 24;

const RED: [number, number, number] = [255, 0, 0];
const GREEN: [number, number, number] = [0, 128, 0];
const BLUE: [number, number, number] = [0, 0, 255];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'last-frame-test-'));
  clip = path.join(dir, 'clip.mp4');
  // 2 s at 25 fps, H.264 with B-frames (x264's default), as a provider's clip would be.
  await run('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'color=red:s=160x96:r=25:d=1.92'],
    ...['-f', 'lavfi', '-i', 'color=green:s=160x96:r=25:d=0.04'],
    ...['-f', 'lavfi', '-i', 'color=blue:s=160x96:r=25:d=0.04'],
    ...['-filter_complex', '[0][1][2]concat=n=3:v=1:a=0', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', clip],
  ]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

test('the clip is what the test needs: 50 frames, the last one blue, the one before it green', async () => {
  expect((await probeVideo(clip, { countFrames: true })).frames).toBe(50);
  expect(near(await centrePixel(clip, 'eq(n\\,49)'), BLUE)).toBe(true);
  expect(near(await centrePixel(clip, 'eq(n\\,48)'), GREEN)).toBe(true);
  expect(near(await centrePixel(clip, 'eq(n\\,47)'), RED)).toBe(true);
});

test('extractLastFrame writes the last frame itself, as a PNG of the clip’s size', async () => {
  const out = path.join(dir, 'last.png');
  await extractLastFrame(clip, out);
  expect(near(await centrePixel(out), BLUE)).toBe(true);
  const bytes = await readFile(out);
  expect(bytes.subarray(1, 4).toString()).toBe('PNG');
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=width,height',
    '-of',
    'csv=p=0',
    out,
  ]);
  expect(stdout.trim()).toBe('160,96');
  await expect(stat(`${out}.part`)).rejects.toThrow();
});

test('a clip shorter than the second it seeks back still gives its last frame', async () => {
  const short = path.join(dir, 'short.mp4');
  await run('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'color=red:s=64x64:r=25:d=0.2'],
    ...['-f', 'lavfi', '-i', 'color=blue:s=64x64:r=25:d=0.04'],
    ...['-filter_complex', '[0][1]concat=n=2:v=1:a=0', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', short],
  ]);
  const out = path.join(dir, 'short-last.png');
  await extractLastFrame(short, out);
  expect(near(await centrePixel(out), BLUE)).toBe(true);
});

test('a file that is no video fails, and leaves nothing behind', async () => {
  const junk = path.join(dir, 'junk.mp4');
  await writeFile(junk, 'not a video');
  const out = path.join(dir, 'junk.png');
  await expect(extractLastFrame(junk, out)).rejects.toThrow(/ffmpeg failed|no video frame/);
  await expect(stat(out)).rejects.toThrow();
  await expect(stat(`${out}.part`)).rejects.toThrow();
});

describe('imageDataUri', () => {
  let frame: string;
  let noisy: string;

  beforeAll(async () => {
    frame = path.join(dir, 'frame.png');
    await extractLastFrame(clip, frame);
    // Noise compresses badly: a PNG of several hundred kB, to force re-encoding under small limits.
    noisy = path.join(dir, 'noisy.png');
    await run('ffmpeg', [
      ...['-v', 'error', '-f', 'lavfi', '-i', 'nullsrc=s=640x480,geq=random(1)*255:128:128'],
      ...['-frames:v', '1', noisy],
    ]);
  });

  test('a PNG that fits is sent as it is', async () => {
    const uri = await imageDataUri(frame);
    expect(uri).toBe(`data:image/png;base64,${(await readFile(frame)).toString('base64')}`);
    expect(uri.length).toBeLessThanOrEqual(DEFAULT_DATA_URI_MAX_BYTES);
  });

  test('a PNG over the limit becomes a JPEG within it, at full size when quality alone suffices', async () => {
    const size = (await stat(noisy)).size;
    const limit = Math.floor(size / 3);
    const uri = await imageDataUri(noisy, limit);
    expect(uri.startsWith('data:image/jpeg;base64,')).toBe(true);
    expect(uri.length).toBeLessThanOrEqual(limit);
    const jpeg = path.join(dir, 'decoded.jpg');
    await writeFile(jpeg, Buffer.from(uri.slice(uri.indexOf(',') + 1), 'base64'));
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name,width,height',
      '-of',
      'csv=p=0',
      jpeg,
    ]);
    expect(stdout.trim()).toBe('mjpeg,640,480');
  });

  test('a limit tight enough needs a smaller picture, and gets one', async () => {
    const limit = 12_000;
    const uri = await imageDataUri(noisy, limit);
    expect(uri.length).toBeLessThanOrEqual(limit);
    const jpeg = path.join(dir, 'small.jpg');
    await writeFile(jpeg, Buffer.from(uri.slice(uri.indexOf(',') + 1), 'base64'));
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=width',
      '-of',
      'csv=p=0',
      jpeg,
    ]);
    expect(Number(stdout.trim())).toBeLessThan(640);
  });

  test('a limit nothing can meet is a clear error', async () => {
    await expect(imageDataUri(noisy, 200)).rejects.toThrow(/does not fit in a 200-byte data URI/);
  });
});
