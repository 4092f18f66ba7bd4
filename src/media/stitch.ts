/**
 * Join a chain's segment videos into one file with ffmpeg, and prove the result with ffprobe.
 *
 * The contract infers that an extension holds only the new part; a provider could also return the whole
 * video so far. We tell the two apart by durations (each "cumulative" segment is its predecessor plus a
 * clip) and in that case the last segment already is the whole video. Matching segments are joined by the
 * concat demuxer with stream copy; anything else (different sizes or codecs, trimmed boundary frames,
 * crossfades) is re-encoded. The output is written to a temporary name and renamed only once verified.
 * Every segment file is opened as MP4 and nothing else (a playlist would make ffmpeg read other files).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ffmpeg } from './ffmpeg';
import { type VideoProbe, probeVideo } from './probe';

export interface StitchOptions {
  /** Segment videos in chain order. */
  files: string[];
  out: string;
  /** Drop the first frame of every extension (it repeats the previous segment's last frame). */
  trimBoundaryFrame?: boolean;
  /** Crossfade length at each joint, in seconds (0: cut). */
  crossfadeSeconds?: number;
  /** Aborted: ffmpeg is killed, nothing is left (no `out`, no temporary file), and the stitch throws. */
  signal?: AbortSignal;
}

export interface StitchResult {
  file: string;
  layout: 'new-part' | 'cumulative';
  method: 'copy' | 'reencode';
  durationSeconds: number;
  expectedSeconds: number;
  width: number;
  height: number;
  fps: number;
  segments: VideoProbe[];
}

export class StitchMismatch extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StitchMismatch';
  }
}

/** Cumulative when every segment is its predecessor plus a clip of up to 10 s. */
export function detectLayout(durations: number[]): 'new-part' | 'cumulative' {
  if (durations.length < 2) return 'new-part';
  const grows = durations.slice(1).every((d, i) => {
    const added = d - durations[i]!;
    return added >= 1 && added <= 10.5;
  });
  return grows ? 'cumulative' : 'new-part';
}

const sameFormat = (a: VideoProbe, b: VideoProbe) =>
  a.codec === b.codec &&
  a.width === b.width &&
  a.height === b.height &&
  a.fps === b.fps &&
  a.pixelFormat === b.pixelFormat;

export async function stitch(options: StitchOptions): Promise<StitchResult> {
  if (options.files.length === 0) throw new Error('nothing to stitch');
  const { signal } = options;
  const segments = await Promise.all(options.files.map((f) => probeVideo(f, { signal })));
  const layout = detectLayout(segments.map((s) => s.durationSeconds));
  const parts = layout === 'cumulative' ? [options.files[options.files.length - 1]!] : options.files;
  const probes = layout === 'cumulative' ? [segments[segments.length - 1]!] : segments;
  const first = probes[0]!;
  const fade = Math.max(0, options.crossfadeSeconds ?? 0);
  const trim = Boolean(options.trimBoundaryFrame) && parts.length > 1;
  const copy = !trim && fade === 0 && probes.every((p) => sameFormat(p, first));
  const joints = parts.length - 1;
  const expectedSeconds =
    probes.reduce((sum, p) => sum + p.durationSeconds, 0) - joints * fade - (trim ? joints / first.fps : 0);

  await fs.mkdir(path.dirname(options.out), { recursive: true });
  const partial = path.join(path.dirname(options.out), `.${path.basename(options.out)}.partial.mp4`);
  try {
    if (copy) await concatCopy(parts, partial, signal);
    else await concatReencode(parts, probes, partial, { trim, fade }, signal);
    const result = await probeVideo(partial, { countFrames: true, signal });
    const tolerance = (joints + 1) / first.fps + 0.05;
    if (Math.abs(result.durationSeconds - expectedSeconds) > tolerance) {
      throw new StitchMismatch(
        `stitched video is ${result.durationSeconds.toFixed(3)} s, expected ${expectedSeconds.toFixed(3)} s ` +
          `(±${tolerance.toFixed(3)} s for ${joints} joints); segments: ${probes.map((p) => p.durationSeconds.toFixed(3)).join(' + ')}`,
      );
    }
    signal?.throwIfAborted(); // cancelled while it was being checked: not delivered
    await fs.rename(partial, options.out);
    return {
      file: options.out,
      layout,
      method: copy ? 'copy' : 'reencode',
      durationSeconds: result.durationSeconds,
      expectedSeconds,
      width: result.width,
      height: result.height,
      fps: result.fps,
      segments,
    };
  } finally {
    await fs.rm(partial, { force: true });
  }
}

export async function concatCopy(files: string[], out: string, signal?: AbortSignal): Promise<void> {
  const list = `${out}.txt`;
  // The concat demuxer's list syntax: single-quoted paths, quotes escaped. A list entry cannot force a
  // demuxer, but it can allow only one: each file is opened by the MP4 demuxer or not at all.
  const entry = (f: string) =>
    `file '${path.resolve(f).replace(/'/g, "'\\''")}'\noption format_whitelist mp4`;
  await fs.writeFile(list, files.map(entry).join('\n'));
  try {
    // Our own list, read as a concat list (`-safe 0`: absolute paths) of local files only; -xerror: an
    // entry that cannot be opened fails the whole join instead of cutting it short.
    await ffmpeg(
      [
        ...['-xerror', '-protocol_whitelist', 'file', '-f', 'concat', '-safe', '0', '-i', list],
        ...['-c', 'copy', '-movflags', '+faststart', out],
      ],
      signal,
    );
  } catch (err) {
    await fs.rm(out, { force: true }); // whatever it wrote before it stopped
    throw err;
  } finally {
    await fs.rm(list, { force: true });
  }
}

async function concatReencode(
  files: string[],
  probes: VideoProbe[],
  out: string,
  opts: { trim: boolean; fade: number },
  signal?: AbortSignal,
): Promise<void> {
  const { width, height, fps } = probes[0]!;
  // Every input to the first segment's size and rate, letterboxed rather than stretched.
  const norm = probes.map((_, i) => {
    const drop = opts.trim && i > 0 ? `trim=start_frame=1,setpts=PTS-STARTPTS,` : '';
    return `[${i}:v]${drop}scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${fps},format=yuv420p[v${i}]`;
  });
  let graph: string;
  if (opts.fade > 0 && files.length > 1) {
    const steps: string[] = [];
    let offset = 0;
    let prev = 'v0';
    probes.slice(0, -1).forEach((p, i) => {
      offset += p.durationSeconds - opts.fade;
      const next = i === probes.length - 2 ? 'out' : `x${i + 1}`;
      steps.push(
        `[${prev}][v${i + 1}]xfade=transition=fade:duration=${opts.fade}:offset=${offset.toFixed(3)}[${next}]`,
      );
      prev = next;
    });
    graph = [...norm, ...steps].join(';');
  } else {
    graph = [
      ...norm,
      `${probes.map((_, i) => `[v${i}]`).join('')}concat=n=${files.length}:v=1:a=0[out]`,
    ].join(';');
  }
  const inputs = files.flatMap((f) => ['-f', 'mp4', '-i', f]);
  await ffmpeg(
    [
      ...inputs,
      '-filter_complex',
      graph,
      '-map',
      '[out]',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '23',
      '-movflags',
      '+faststart',
      out,
    ],
    signal,
  );
}
