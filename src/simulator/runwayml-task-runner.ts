/**
 * The official-API mode's tasks while they live: kept by id, rendered, finished on provider time (timers
 * follow the clock when it jumps or changes speed), cancelled, deleted with their files. A finished clip's
 * last frame joins the continuity check's `LastFrames` and stays there after the task is deleted: a client
 * may delete a clip it archived and then continue from it.
 */
import type { SimClock } from './clock';
import { LastFrames } from './continuity';
import type { RunwaymlMedia } from './runwayml-media';
import type { RunwaymlTask } from './runwayml-tasks';

export class RunwaymlTaskRunner {
  readonly lastFrames = new LastFrames();
  private readonly tasks = new Map<string, RunwaymlTask>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly clock: SimClock,
    private readonly media: RunwaymlMedia,
    private readonly log: (line: string) => void,
  ) {
    clock.onChange(() => this.rescheduleAll());
  }

  get(id: string): RunwaymlTask | undefined {
    return this.tasks.get(id);
  }

  all(): RunwaymlTask[] {
    return [...this.tasks.values()];
  }

  /**
   * Render a task that will succeed (a clip from `firstFrame`, its prompt image), and finish it at its
   * `completeAt` (or once rendered, if later).
   */
  start(task: RunwaymlTask, firstFrame?: Buffer): void {
    if (task.outcome.status === 'SUCCEEDED') {
      const media = this.media.render(task, firstFrame);
      task.media = media;
      media.catch((err) => this.log(`render of ${task.id} failed: ${(err as Error).message}`));
    }
    this.tasks.set(task.id, task);
    this.schedule(task);
  }

  cancel(task: RunwaymlTask): void {
    task.cancelledAt = this.clock.now();
    clearTimeout(this.timers.get(task.id));
    this.timers.delete(task.id);
  }

  /** Forget a task and delete its files. */
  async delete(id: string): Promise<void> {
    this.tasks.delete(id);
    await this.media.delete(id);
  }

  /** Delete an expired task's files (not a shared clip's). */
  async expire(task: RunwaymlTask, shared: boolean): Promise<void> {
    if (!shared) await this.media.delete(task.id);
  }

  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.tasks.clear();
    this.lastFrames.clear();
  }

  close(): Promise<void> {
    for (const t of this.timers.values()) clearTimeout(t);
    return this.media.close();
  }

  private schedule(task: RunwaymlTask): void {
    clearTimeout(this.timers.get(task.id));
    const timer = setTimeout(() => void this.finish(task), this.clock.wallDelayUntil(task.completeAt));
    this.timers.set(task.id, timer);
  }

  private rescheduleAll(): void {
    for (const task of this.tasks.values())
      if (task.finishedAt === undefined && task.cancelledAt === undefined) this.schedule(task);
  }

  private async finish(task: RunwaymlTask): Promise<void> {
    this.timers.delete(task.id);
    let lastFrame;
    if (task.media) {
      try {
        lastFrame = (await task.media).lastFrame;
      } catch (err) {
        const failure = `Rendering failed: ${(err as Error).message}`;
        task.outcome = { status: 'FAILED', failureCode: 'INTERNAL', failure };
      }
    }
    // Reset, cancelled or finished meanwhile: nothing to do.
    if (this.tasks.get(task.id) !== task || task.finishedAt !== undefined || task.cancelledAt !== undefined)
      return;
    task.finishedAt = Math.max(this.clock.now(), task.completeAt);
    task.finishedAtWall = new Date().toISOString();
    if (lastFrame && task.outcome.status === 'SUCCEEDED') this.lastFrames.add(task.id, lastFrame);
  }
}
