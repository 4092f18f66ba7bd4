/**
 * Real media for simulated tasks: an MP4 test pattern per task (made with ffmpeg) and a PNG thumbnail.
 *
 * Each clip shows its segment number, a timecode that continues across a chain, the prompt and the
 * watermark, over a background whose colour identifies the segment (`segmentColour`): the same hue family
 * for a whole chain, a visibly different shade per segment, so tests can tell which segment a frame of a
 * stitched video came from.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ffmpeg } from '../media/ffmpeg';
import type { AspectRatio, Quality } from '../chain/requests';

export const FRAME_RATE = 24;

const SIZES: Record<Quality, Record<AspectRatio, [number, number]>> = {
  '720p': {
    '16:9': [1280, 720],
    '4:3': [960, 720],
    '1:1': [720, 720],
    '3:4': [720, 960],
    '9:16': [720, 1280],
  },
  '1080p': {
    '16:9': [1920, 1080],
    '4:3': [1440, 1080],
    '1:1': [1080, 1080],
    '3:4': [1080, 1440],
    '9:16': [1080, 1920],
  },
};

/** The simulator's output size for a quality and aspect ratio. */
export function frameSize(quality: Quality, aspectRatio: AspectRatio): { width: number; height: number } {
  const [width, height] = SIZES[quality][aspectRatio];
  return { width, height };
}

export interface ClipSpec {
  width: number;
  height: number;
  seconds: number;
  /** 1 for a generation, parent's + 1 for an extension. */
  segment: number;
  /** Identifies the chain (its first task's id): decides the hue. */
  chainKey: string;
  /** Where this clip starts on the chain's timeline, in seconds (the timecode continues from there). */
  timelineStart: number;
  prompt: string;
  waterMark?: string;
  /** Drawn after the rest (the official-API mode marks each clip's last frame with them). */
  extraFilters?: string[];
  /** An image file that becomes the clip's first frame, as image-to-video starts from its image. */
  firstFrame?: string;
}

export interface RenderedMedia {
  video: string;
  thumbnail: string;
}

/** Background colour of a segment: hue from the chain, shade and a hue step from the segment number. */
export function segmentColour(chainKey: string, segment: number): { r: number; g: number; b: number } {
  let hash = 0;
  for (const ch of chainKey) hash = (Math.imul(hash, 31) + ch.charCodeAt(0)) >>> 0;
  const hue = (hash % 360) + ((segment - 1) % 6) * 12;
  const lightness = [0.3, 0.5, 0.4, 0.6][(segment - 1) % 4] as number;
  return hslToRgb(hue % 360, 0.6, lightness);
}

function hslToRgb(h: number, s: number, l: number): { r: number; g: number; b: number } {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = l - c / 2;
  const [r, g, b] =
    h < 60
      ? [c, x, 0]
      : h < 120
        ? [x, c, 0]
        : h < 180
          ? [0, c, x]
          : h < 240
            ? [0, x, c]
            : h < 300
              ? [x, 0, c]
              : [c, 0, x];
  const to255 = (v: number) => Math.round((v + m) * 255);
  return { r: to255(r), g: to255(g), b: to255(b) };
}

const hex = ({ r, g, b }: { r: number; g: number; b: number }) =>
  `0x${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;

/** Escape a value for use inside a single-quoted ffmpeg filter argument. */
function filterQuote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "'\\''").replace(/:/g, '\\:')}'`;
}

function wrap(text: string, width: number, maxLines: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.replace(/\s+/g, ' ').trim().split(' ')) {
    if ((line + ' ' + word).trim().length > width && line) {
      lines.push(line);
      line = '';
    }
    line = (line + ' ' + word).trim().slice(0, width);
  }
  if (line) lines.push(line);
  if (lines.length > maxLines) {
    lines.length = maxLines;
    lines[maxLines - 1] = `${lines[maxLines - 1]!.slice(0, width - 1)}…`;
  }
  return lines.join('\n');
}

/** Render `spec` to `<dir>/<name>.mp4` and `<dir>/<name>.png`. */
export async function renderClip(
  spec: ClipSpec,
  dir: string,
  name: string,
  signal?: AbortSignal,
): Promise<RenderedMedia> {
  const video = path.join(dir, `${name}.mp4`);
  const thumbnail = path.join(dir, `${name}.png`);
  const promptFile = path.join(dir, `${name}.prompt.txt`);
  const markFile = path.join(dir, `${name}.mark.txt`);
  await fs.writeFile(promptFile, wrap(spec.prompt, 48, 4));
  await fs.writeFile(markFile, spec.waterMark ?? '');

  const big = Math.round(spec.height / 7);
  const small = Math.round(spec.height / 26);
  const filters = [
    `drawtext=text=${filterQuote(`#${spec.segment}`)}:fontsize=${big}:fontcolor=white:x=w/20:y=h/20`,
    `drawtext=text=${filterQuote(`%{pts:hms:${spec.timelineStart}}`)}:fontsize=${small * 2}:fontcolor=white:x=w-tw-w/20:y=h/20`,
    `drawtext=textfile=${filterQuote(promptFile)}:expansion=none:fontsize=${small}:fontcolor=white:x=w/20:y=h/2:line_spacing=${Math.round(small / 3)}`,
  ];
  if (spec.waterMark) {
    filters.push(
      `drawtext=textfile=${filterQuote(markFile)}:expansion=none:fontsize=${small}:fontcolor=white@0.7:x=w-tw-w/30:y=h-th-h/30`,
    );
  }
  filters.push(...(spec.extraFilters ?? []));
  const colour = hex(segmentColour(spec.chainKey, spec.segment));
  await ffmpeg(
    [
      '-f',
      'lavfi',
      '-i',
      `color=c=${colour}:s=${spec.width}x${spec.height}:r=${FRAME_RATE}:d=${spec.seconds}`,
      ...(spec.firstFrame
        ? [
            ...['-f', 'image2pipe', '-i', spec.firstFrame, '-filter_complex'],
            `[0:v]${filters.join(',')}[bg];[1:v]scale=${spec.width}:${spec.height},setsar=1[first];` +
              `[bg][first]overlay=enable='eq(n,0)'[v]`,
            ...['-map', '[v]'],
          ]
        : ['-vf', filters.join(',')]),
      ...H264,
      video,
    ],
    signal,
  );
  await ffmpeg(['-i', video, '-frames:v', '1', '-vf', 'scale=320:-2', thumbnail], signal);
  await Promise.all([fs.rm(promptFile, { force: true }), fs.rm(markFile, { force: true })]);
  return { video, thumbnail };
}

/** `whole` extension mode: the parent's whole video followed by the new part, scaled to the new part's size. */
export async function concatClips(
  first: string,
  second: RenderedMedia,
  width: number,
  height: number,
  signal?: AbortSignal,
): Promise<void> {
  const out = `${second.video}.whole.mp4`;
  await ffmpeg(
    [
      '-i',
      first,
      '-i',
      second.video,
      '-filter_complex',
      `[0:v]scale=${width}:${height},setsar=1,fps=${FRAME_RATE}[a];[1:v]setsar=1[b];[a][b]concat=n=2:v=1:a=0[v]`,
      '-map',
      '[v]',
      ...H264,
      out,
    ],
    signal,
  );
  await fs.rename(out, second.video);
}

const H264 = [
  '-c:v',
  'libx264',
  '-preset',
  'ultrafast',
  '-crf',
  '32',
  '-pix_fmt',
  'yuv420p',
  '-movflags',
  '+faststart',
];

/** The last frame of a clip as PNG (next to it, made once): what an extension of it begins from. */
export async function extractLastFrame(video: string, signal?: AbortSignal): Promise<string> {
  const out = video.replace(/\.mp4$/, '-last.png');
  const exists = await fs.stat(out).then(
    () => true,
    () => false,
  );
  if (!exists) await ffmpeg(['-sseof', '-0.5', '-i', video, '-update', '1', '-frames:v', '100', out], signal);
  return out;
}

/** At most `limit` renders at a time: ffmpeg is CPU-bound and the machine has few cores. */
export class RenderQueue {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await job();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
