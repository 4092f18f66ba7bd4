/**
 * A task of the official API: what it is, its status at a given provider time, and the JSON that
 * `GET /v1/tasks/{id}` answers for it. Pure: the clock, timers and media live in `runwayml-provider.ts`.
 */
import type { SeededRandom } from './clock';
import type { FaultConfig } from './options';
import { failureMessage } from './runwayml-requests';
import type { RenderedClip } from './runwayml-media';
import { isModerated } from './task-decision';

export type RunwaymlStatus = 'PENDING' | 'THROTTLED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface RunwaymlTask {
  id: string;
  account: string;
  endpoint: 'image_to_video' | 'text_to_image';
  model: string;
  promptText: string;
  width: number;
  height: number;
  /** Seconds of video; 0 for an image. */
  seconds: number;
  /** The clip whose last frame this one started from (image_to_video), else null. */
  startedFrom: string | null;
  /** Colours and numbering of the media: a clip started from another's last frame continues its chain. */
  chainKey: string;
  segment: number;
  timelineStart: number;
  /** Provider times: created; PENDING until `runningAt` (THROTTLED from `throttledAt` when drawn). */
  createdAt: number;
  throttledAt?: number;
  runningAt: number;
  completeAt: number;
  outcome: { status: 'SUCCEEDED' } | { status: 'FAILED'; failureCode: string; failure: string };
  /** The rendered file (`.mp4` or `.png`) and a clip's last-frame fingerprint, once made. */
  media?: Promise<RenderedClip>;
  /** Provider time when the task reached SUCCEEDED or FAILED; wall time alongside. */
  finishedAt?: number;
  finishedAtWall?: string;
  /** Provider time of a DELETE that cancelled it. */
  cancelledAt?: number;
}

export interface Timing {
  waitMs: number;
  queueMs: number;
  generateMs: number;
  jitter: number;
}

/** When each phase of a new task starts, and how it ends; draws only for knobs that are set. */
export function planTask(
  random: SeededRandom,
  faults: FaultConfig,
  timing: Timing,
  createdAt: number,
  seconds: number,
  promptText: string,
): Pick<RunwaymlTask, 'throttledAt' | 'runningAt' | 'completeAt' | 'outcome'> {
  const pendingEnd = createdAt + timing.waitMs + timing.queueMs;
  const throttled = random.chance(faults.throttleProbability);
  const runningAt = pendingEnd + (throttled ? faults.throttleMs : 0);
  // An image takes a fifth of a 5 s clip's generating time.
  const share = seconds > 0 ? seconds / 5 : 0.2;
  const spread = timing.jitter ? 1 + timing.jitter * (random.next() * 2 - 1) : 1;
  const completeAt = runningAt + timing.generateMs * share * spread;
  let outcome: RunwaymlTask['outcome'] = { status: 'SUCCEEDED' };
  const failed = random.chance(faults.taskFailProbability);
  if (isModerated(promptText, faults.moderatedWords)) {
    outcome = {
      status: 'FAILED',
      failureCode: 'SAFETY.INPUT.TEXT',
      failure: failureMessage('SAFETY.INPUT.TEXT'),
    };
  } else if (failed) {
    const failureCode = random.pick(faults.failureCodes);
    outcome = { status: 'FAILED', failureCode, failure: failureMessage(failureCode) };
  }
  return { ...(throttled ? { throttledAt: pendingEnd } : {}), runningAt, completeAt, outcome };
}

export function statusOf(task: RunwaymlTask, now: number): RunwaymlStatus {
  if (task.cancelledAt !== undefined) return 'CANCELLED';
  if (task.finishedAt !== undefined) return task.outcome.status;
  if (now >= task.runningAt) return 'RUNNING';
  if (task.throttledAt !== undefined && now >= task.throttledAt) return 'THROTTLED';
  return 'PENDING';
}

export function isFinal(status: RunwaymlStatus): boolean {
  return status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELLED';
}

export function outputUrl(task: RunwaymlTask, publicUrl: string): string {
  return `${publicUrl}/files/${task.id}${task.endpoint === 'text_to_image' ? '.png' : '.mp4'}`;
}

/** The body of `GET /v1/tasks/{id}`. */
export function describeRunwaymlTask(task: RunwaymlTask, now: number, publicUrl: string) {
  const status = statusOf(task, now);
  const base = { id: task.id, status, createdAt: new Date(task.createdAt).toISOString() };
  if (status === 'RUNNING') {
    // Rendering may outlast the planned time: hold just under 1 until the file exists.
    const progress = (now - task.runningAt) / Math.max(1, task.completeAt - task.runningAt);
    return { ...base, progress: Math.round(Math.min(0.99, Math.max(0, progress)) * 100) / 100 };
  }
  if (status === 'SUCCEEDED') return { ...base, output: [outputUrl(task, publicUrl)] };
  if (status === 'FAILED' && task.outcome.status === 'FAILED') {
    return { ...base, failure: task.outcome.failure, failureCode: task.outcome.failureCode };
  }
  return base;
}
