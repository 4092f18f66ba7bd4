/** Renders each task's media, a few at a time, in the mode the simulator runs in. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  RenderQueue,
  type RenderedMedia,
  concatClips,
  extractLastFrame,
  frameSize,
  renderClip,
} from './media';
import type { SimTask } from './task';

export class TaskMedia {
  private readonly queue: RenderQueue;
  private readonly shared = new Map<string, Promise<RenderedMedia>>();
  /** Aborts renders in flight when the simulator closes. */
  private readonly closing = new AbortController();

  constructor(
    private readonly opts: {
      dataDir: string;
      concurrency: number;
      media: 'full' | 'shared';
      extensionMedia: 'new-part' | 'whole';
    },
  ) {
    this.queue = new RenderQueue(opts.concurrency);
  }

  /** The task's clip; with `parent`, an extension (in `whole` mode it holds the parent's video too). */
  render(
    task: SimTask,
    parent: Promise<RenderedMedia> | undefined,
    waterMark?: string,
  ): Promise<RenderedMedia> {
    const { width, height } = frameSize(task.quality, task.aspectRatio);
    const signal = this.closing.signal;
    if (this.opts.media === 'shared') {
      const key = `${width}x${height}x${task.seconds}`;
      let clip = this.shared.get(key);
      if (!clip) {
        const spec = {
          width,
          height,
          seconds: task.seconds,
          segment: 1,
          chainKey: key,
          timelineStart: 0,
          prompt: 'shared clip',
        };
        clip = this.queue.run(() => renderClip(spec, this.opts.dataDir, `shared-${key}`, signal));
        this.shared.set(key, clip);
      }
      return clip;
    }
    return this.queue.run(async () => {
      const dir = this.dirOf(task.taskId);
      await fs.mkdir(dir, { recursive: true });
      const { segment, chainKey, timelineStart, prompt, seconds } = task;
      const spec = { width, height, seconds, segment, chainKey, timelineStart, prompt, waterMark };
      const media = await renderClip(spec, dir, task.taskId, signal);
      if (this.opts.extensionMedia === 'whole' && parent) {
        await concatClips((await parent).video, media, width, height, signal);
      }
      return media;
    });
  }

  /** The last frame of a clip as PNG: what an extension of it begins from. */
  lastFrame(video: string): Promise<string> {
    return this.queue.run(() => extractLastFrame(video, this.closing.signal));
  }

  /** Files are deleted when they expire, as the provider does. */
  delete(taskId: string): Promise<void> {
    return fs.rm(this.dirOf(taskId), { recursive: true, force: true });
  }

  close(): void {
    this.closing.abort();
  }

  private dirOf(taskId: string): string {
    return path.join(this.opts.dataDir, taskId);
  }
}
