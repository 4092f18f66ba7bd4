/**
 * The continuity check of the official-API mode: which of this simulator's clips, if any, ends with the
 * frame an image_to_video create sent as its `promptImage`.
 *
 * Each clip's last frame carries a mark of its own (`runwayml-media.ts`), so frames are told apart by a
 * fingerprint: the image scaled down to 32×18 RGB. Two fingerprints match when their mean difference per
 * channel is small: a PNG or a re-encoded JPEG of a last frame matches its clip; a frame from the middle of
 * the clip (no mark) or another clip's last frame (another mark, other colours) does not.
 */
import { spawn } from 'node:child_process';

const WIDTH = 32;
const HEIGHT = 18;
/** Mean absolute difference (0-255) under which two fingerprints are the same frame. */
export const MATCH_TOLERANCE = 8;
const MAX_IMAGE_BYTES = 16 * 1024 * 1024;

export type Fingerprint = Uint8Array;

/** The bytes of a `promptImage`: a data URI decoded, or a URL fetched (briefly, size-capped). */
export async function imageBytes(ref: string, timeoutMs = 5_000): Promise<Buffer> {
  const dataUri = /^data:image\/[\w.+-]+;base64,(.*)$/s.exec(ref);
  if (dataUri) return Buffer.from(dataUri[1]!, 'base64');
  const res = await fetch(ref, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`fetching the image answered HTTP ${res.status}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  if (bytes.length > MAX_IMAGE_BYTES) throw new Error('the image is larger than 16 MB');
  return bytes;
}

/** The fingerprint of an image file, or of image bytes; rejects when ffmpeg cannot decode it. */
export function fingerprint(input: { file: string } | { bytes: Buffer }): Promise<Fingerprint> {
  const source = 'file' in input ? input.file : 'pipe:0';
  const args = ['-v', 'error', '-i', source, '-frames:v', '1'];
  args.push('-vf', `scale=${WIDTH}:${HEIGHT}:flags=area,format=rgb24`, '-f', 'rawvideo', 'pipe:1');
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.stdin.on('error', () => undefined); // ffmpeg may stop reading early
    child.once('error', reject);
    child.once('close', (code) => {
      const bytes = Buffer.concat(out);
      if (code === 0 && bytes.length === WIDTH * HEIGHT * 3) resolve(new Uint8Array(bytes));
      else reject(new Error(`not a readable image: ${err.trim().slice(0, 300) || `exit ${code}`}`));
    });
    child.stdin.end('bytes' in input ? input.bytes : undefined);
  });
}

export function difference(a: Fingerprint, b: Fingerprint): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** The last frames of the clips made so far, by task id. */
export class LastFrames {
  private readonly frames = new Map<string, Fingerprint>();

  add(taskId: string, frame: Fingerprint): void {
    this.frames.set(taskId, frame);
  }

  delete(taskId: string): void {
    this.frames.delete(taskId);
  }

  clear(): void {
    this.frames.clear();
  }

  /**
   * The clip whose last frame a `promptImage` (data URI or URL) is, or null, and the image's bytes;
   * rejects when the image cannot be had or read.
   */
  async matchImage(ref: string): Promise<{ match: string | null; bytes: Buffer }> {
    const bytes = await imageBytes(ref);
    return { match: this.match(await fingerprint({ bytes })), bytes };
  }

  /** The clip whose last frame `frame` is, or null: the closest one within the tolerance. */
  match(frame: Fingerprint): string | null {
    let best: { id: string; d: number } | null = null;
    for (const [id, f] of this.frames) {
      const d = difference(frame, f);
      if (d < MATCH_TOLERANCE && (!best || d < best.d)) best = { id, d };
    }
    return best?.id ?? null;
  }
}
