/**
 * The last frame of a clip, exactly, and an image as a data URI within a size limit: how a chain on the
 * official API continues a clip (its last frame becomes the next clip's `promptImage`).
 */
import { mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RUNWAYML_MAX_DATA_URI_BYTES } from '../chain/contract-runwayml';
import { ffmpeg } from './ffmpeg';

/**
 * Write the clip's last decoded frame to `outPath` as PNG. Not a seek to "near the end": ffmpeg starts
 * decoding a second before the end (from the keyframe before that point) and, with `-update 1`, rewrites
 * the one output image for every frame it decodes, so the image left is the last frame there is. If that
 * leaves nothing (timestamps that defeat the seek), the whole clip is decoded the same way.
 */
export async function extractLastFrame(
  videoPath: string,
  outPath: string,
  signal?: AbortSignal,
): Promise<void> {
  const partial = `${outPath}.part`;
  const decode = (seek: string[]) =>
    ffmpeg(
      [...seek, '-i', videoPath, '-map', '0:v:0', '-an', '-fps_mode', 'passthrough', '-update', '1'].concat([
        '-f',
        'image2',
        '-c:v',
        'png',
        partial,
      ]),
      signal,
    );
  try {
    await decode(['-sseof', '-1']);
    if (!(await nonEmpty(partial))) await decode([]);
    if (!(await nonEmpty(partial))) throw new Error(`no video frame could be decoded from ${videoPath}`);
    // Whole or not at all: a reader never sees a half-written frame.
    await rename(partial, outPath);
  } finally {
    await rm(partial, { force: true });
  }
}

async function nonEmpty(file: string): Promise<boolean> {
  try {
    return (await stat(file)).size > 0;
  } catch {
    return false;
  }
}

/** The API's limit, as a largest allowed length: a data URI must stay under 5 MiB, counted whole. */
export const DEFAULT_DATA_URI_MAX_BYTES = RUNWAYML_MAX_DATA_URI_BYTES - 1;

/** JPEG qualities (ffmpeg's -q:v, 2 best … 31 worst), best first; then smaller and smaller pictures. */
const JPEG_QUALITIES = [2, 4, 7, 12, 20];
const WORST_QUALITY = 31;
const SCALES = [1, 0.75, 0.5, 0.35, 0.25];

/**
 * The image at `imagePath` as `data:image/png;base64,…` or `data:image/jpeg;base64,…`, at most `maxBytes`
 * characters long (the whole URI). A PNG or JPEG that fits is sent as it is; anything else is re-encoded
 * as JPEG: at full size in the best quality that fits, else smaller. Throws when even the smallest, worst
 * JPEG does not fit.
 */
export async function imageDataUri(
  imagePath: string,
  maxBytes: number = DEFAULT_DATA_URI_MAX_BYTES,
  signal?: AbortSignal,
): Promise<string> {
  const original = await readFile(imagePath);
  const type = imageTypeOf(original);
  if (type) {
    const uri = dataUri(type, original);
    if (uri.length <= maxBytes) return uri;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'long-video-frame-'));
  try {
    const out = path.join(dir, 'frame.jpg');
    const jpeg = async (scale: number, quality: number) => {
      const filter = scale === 1 ? [] : ['-vf', `scale=trunc(iw*${scale}/2)*2:-2`];
      await ffmpeg(
        ['-i', imagePath, ...filter, '-frames:v', '1', '-c:v', 'mjpeg', '-q:v', String(quality)].concat([
          '-pix_fmt',
          'yuvj420p',
          '-f',
          'image2',
          out,
        ]),
        signal,
      );
      return dataUri('image/jpeg', await readFile(out));
    };
    let smallest = Infinity;
    for (const scale of SCALES) {
      // The worst quality says whether this size can fit at all; only then are better ones tried.
      const worst = await jpeg(scale, WORST_QUALITY);
      smallest = Math.min(smallest, worst.length);
      if (worst.length > maxBytes) continue;
      for (const quality of JPEG_QUALITIES) {
        const uri = await jpeg(scale, quality);
        if (uri.length <= maxBytes) return uri;
      }
      return worst;
    }
    throw new Error(
      `${imagePath} does not fit in a ${maxBytes}-byte data URI even as a small, low-quality JPEG ` +
        `(the smallest was ${smallest} bytes)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function dataUri(type: 'image/png' | 'image/jpeg', bytes: Buffer): string {
  return `data:${type};base64,${bytes.toString('base64')}`;
}

/** PNG or JPEG by their signatures; anything else is re-encoded. */
function imageTypeOf(bytes: Buffer): 'image/png' | 'image/jpeg' | undefined {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'image/png';
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  return undefined;
}
