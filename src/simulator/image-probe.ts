/**
 * Image-to-video: the provider fetches the reference image and the image decides the aspect ratio.
 * The simulator does the same (with a short timeout and a size cap), so an unreachable image is a 451.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ASPECT_RATIOS } from '../chain/contract';
import type { AspectRatio } from '../chain/requests';

const run = promisify(execFile);
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

export type ProbeResult = { ok: true; aspectRatio: AspectRatio } | { ok: false; reason: string };

export async function probeAspectRatio(imageUrl: string, timeoutMs = 3_000): Promise<ProbeResult> {
  let bytes: Buffer;
  try {
    const res = await fetch(imageUrl, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { ok: false, reason: `HTTP ${res.status}` };
    if (Number(res.headers.get('content-length') ?? 0) > MAX_IMAGE_BYTES)
      return { ok: false, reason: 'image too large' };
    bytes = Buffer.from(await res.arrayBuffer());
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { ok: false, reason: e.cause?.code ?? e.message };
  }
  if (bytes.length > MAX_IMAGE_BYTES) return { ok: false, reason: 'image too large' };
  const size = await imageSize(bytes);
  if (!size) return { ok: false, reason: 'not a readable image' };
  return { ok: true, aspectRatio: closestAspectRatio(size.width, size.height) };
}

export function closestAspectRatio(width: number, height: number): AspectRatio {
  const ratio = width / height;
  const distance = (ar: AspectRatio) => {
    const [w, h] = ar.split(':').map(Number) as [number, number];
    return Math.abs(Math.log(ratio / (w / h)));
  };
  return [...ASPECT_RATIOS].sort((a, b) => distance(a) - distance(b))[0] as AspectRatio;
}

async function imageSize(bytes: Buffer): Promise<{ width: number; height: number } | undefined> {
  try {
    const child = run('ffprobe', [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=width,height',
      '-of',
      'json',
      '-i',
      'pipe:0',
    ]);
    child.child.stdin?.on('error', () => undefined); // ffprobe may stop reading early
    child.child.stdin?.end(bytes);
    const { stdout } = await child;
    const stream = JSON.parse(stdout).streams?.[0];
    return stream?.width && stream?.height ? { width: stream.width, height: stream.height } : undefined;
  } catch {
    return undefined;
  }
}
