/**
 * Media of the official-API mode: image_to_video clips (the reseller mode's test pattern, plus a mark on
 * the very last frame that only that clip has) and text_to_image stills. A clip's last frame is
 * fingerprinted as soon as it is rendered, for the continuity check (`continuity.ts`).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ffmpeg } from '../media/ffmpeg';
import { type Fingerprint, fingerprint } from './continuity';
import { FRAME_RATE, RenderQueue, extractLastFrame, renderClip, segmentColour } from './media';
import type { RunwaymlTask } from './runwayml-tasks';

/**
 * Filters that draw, on the last frame only, two rows of eight blocks whose colours come from a hash of
 * the task id: the middle of the clip has none, and another clip's blocks differ in (almost) every one,
 * so the nearest last frame to an image is its own clip by a wide margin.
 */
export function lastFrameMark(taskId: string, seconds: number, width: number, height: number): string[] {
  const last = seconds * FRAME_RATE - 1;
  const w = Math.floor(width / 8);
  const h = Math.floor(height / 6);
  return Array.from({ length: 16 }, (_, i) => {
    const colour = `0x${(hashOf(`${taskId}:${i}`) & 0xffffff).toString(16).padStart(6, '0')}`;
    const x = (i % 8) * w;
    const y = Math.floor(height / 2) + Math.floor(i / 8) * h;
    return `drawbox=x=${x}:y=${y}:w=${w}:h=${h}:color=${colour}:t=fill:enable='gte(n,${last})'`;
  });
}

/** FNV-1a, 32 bits. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (const ch of text) hash = Math.imul(hash ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return hash;
}

export interface RenderedClip {
  file: string;
  /** Fingerprint of the exact last frame; absent for shared clips (they have no mark of their own). */
  lastFrame?: Fingerprint;
}

export class RunwaymlMedia {
  private readonly queue: RenderQueue;
  private readonly shared = new Map<string, Promise<RenderedClip>>();
  /** Aborts renders in flight when the simulator closes. */
  private readonly closing = new AbortController();
  /** Renders not settled yet: closing waits for them, so that nothing writes while the folder is removed. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly opts: { dataDir: string; concurrency: number; media: 'full' | 'shared' }) {
    this.queue = new RenderQueue(opts.concurrency);
  }

  /** The task's clip (starting with `firstFrame`, the prompt image's bytes) or image. */
  render(task: RunwaymlTask, firstFrame?: Buffer): Promise<RenderedClip> {
    const render = this.renderOnce(task, firstFrame);
    this.inFlight.add(render);
    const settled = () => void this.inFlight.delete(render);
    render.then(settled, settled);
    return render;
  }

  private renderOnce(task: RunwaymlTask, firstFrame?: Buffer): Promise<RenderedClip> {
    if (task.endpoint === 'text_to_image') return this.queue.run(() => this.renderImage(task));
    const { width, height, seconds } = task;
    const signal = this.closing.signal;
    if (this.opts.media === 'shared') {
      const key = `${width}x${height}x${seconds}`;
      let clip = this.shared.get(key);
      if (!clip) {
        const spec = {
          width,
          height,
          seconds,
          segment: 1,
          chainKey: key,
          timelineStart: 0,
          prompt: 'shared',
        };
        clip = this.queue
          .run(() => renderClip(spec, this.opts.dataDir, `shared-${key}`, signal))
          .then((m) => ({ file: m.video }));
        this.shared.set(key, clip);
      }
      return clip;
    }
    return this.queue.run(async () => {
      signal.throwIfAborted();
      const dir = this.dirOf(task.id);
      await fs.mkdir(dir, { recursive: true });
      const first = firstFrame && path.join(dir, `${task.id}-first.img`);
      if (first) await fs.writeFile(first, firstFrame);
      const spec = {
        width,
        height,
        seconds,
        segment: task.segment,
        chainKey: task.chainKey,
        timelineStart: task.timelineStart,
        prompt: task.promptText,
        extraFilters: lastFrameMark(task.id, seconds, width, height),
        firstFrame: first,
      };
      const { video } = await renderClip(spec, dir, task.id, signal);
      if (first) await fs.rm(first, { force: true });
      const last = await extractLastFrame(video, signal);
      return { file: video, lastFrame: await fingerprint({ file: last }) };
    });
  }

  /** Files are deleted when they expire or their task is deleted, as the provider does. */
  delete(taskId: string): Promise<void> {
    return fs.rm(this.dirOf(taskId), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    this.closing.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  private async renderImage(task: RunwaymlTask): Promise<RenderedClip> {
    this.closing.signal.throwIfAborted();
    const dir = this.dirOf(task.id);
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, `${task.id}.png`);
    const promptFile = path.join(dir, `${task.id}.prompt.txt`);
    await fs.writeFile(promptFile, task.promptText.slice(0, 200));
    const { r, g, b } = segmentColour(task.id, 1);
    const colour = `0x${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
    const size = Math.round(task.height / 26);
    const text = `drawtext=textfile='${promptFile.replace(/'/g, "'\\''").replace(/:/g, '\\:')}':expansion=none:fontsize=${size}:fontcolor=white:x=w/20:y=h/2`;
    await ffmpeg(
      [
        '-f',
        'lavfi',
        '-i',
        `color=c=${colour}:s=${task.width}x${task.height}:d=1`,
        '-vf',
        text,
        '-frames:v',
        '1',
        file,
      ],
      this.closing.signal,
    );
    await fs.rm(promptFile, { force: true });
    return { file };
  }

  private dirOf(taskId: string): string {
    return path.join(this.opts.dataDir, taskId);
  }
}
