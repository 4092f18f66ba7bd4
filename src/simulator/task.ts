/**
 * A simulated task and what the provider says about it: its state at a given provider time, its
 * record-detail and its callback body. Pure functions of the task, the clock and the options.
 */
import type { AspectRatio, CallbackPayload, Quality, TaskDetail, TaskState } from '../runway/schemas';
import type { RenderedMedia } from './media';

export interface SimTask {
  taskId: string;
  /** Fingerprint of the paying key. */
  account: string;
  endpoint: 'generate' | 'extend';
  parentTaskId: string;
  /** The chain's first task id: decides the colours of its media. */
  chainKey: string;
  /** 1 for a generation, parent's + 1 for an extension. */
  segment: number;
  prompt: string;
  imageUrl: string;
  quality: Quality;
  aspectRatio: AspectRatio;
  seconds: number;
  timelineStart: number;
  callBackUrl: string;
  createdAt: number;
  completeAt: number;
  outcome: { state: 'success' } | { state: 'fail'; failCode: number; failMsg: string };
  media?: Promise<RenderedMedia>;
  /** Provider time when the task reached its final state; wall time alongside, for latency measurements. */
  finishedAt?: number;
  finishedAtWall?: string;
}

/** Where a new task sits: its chain, its segment number, its size and its place on the chain's timeline. */
export type TaskShape = Pick<
  SimTask,
  'parentTaskId' | 'chainKey' | 'segment' | 'aspectRatio' | 'seconds' | 'timelineStart'
>;

export interface StateTimes {
  waitMs: number;
  queueMs: number;
  fileTtlMs: number;
}

export const FAIL_MESSAGES: Record<number, string> = {
  400: 'Your prompt was flagged by the content moderation system',
  408: 'Upstream produced no result for over 10 minutes',
  451: 'Failed to fetch the image',
  500: 'Internal error during generation',
  501: 'Generation failed, please try again',
};

export function taskState(task: SimTask, now: number, times: StateTimes): TaskState {
  if (task.finishedAt !== undefined) return task.outcome.state;
  const elapsed = now - task.createdAt;
  if (elapsed < times.waitMs) return 'wait';
  if (elapsed < times.waitMs + times.queueMs) return 'queueing';
  return 'generating';
}

export function isExpired(task: SimTask, now: number, times: StateTimes): boolean {
  return task.finishedAt !== undefined && now >= task.finishedAt + times.fileTtlMs;
}

export function taskUrls(task: SimTask, publicUrl: string) {
  return {
    videoUrl: `${publicUrl}/files/${task.taskId}.mp4`,
    imageUrl: `${publicUrl}/files/${task.taskId}.png`,
  };
}

export function describeTask(task: SimTask, now: number, times: StateTimes, publicUrl: string): TaskDetail {
  const state = taskState(task, now, times);
  const failed = task.outcome.state === 'fail' && state === 'fail' ? task.outcome : undefined;
  return {
    taskId: task.taskId,
    parentTaskId: task.parentTaskId,
    generateParam: { prompt: task.prompt, imageUrl: task.imageUrl, expandPrompt: false },
    state,
    generateTime: task.finishedAt === undefined ? null : formatGenerateTime(task.finishedAt),
    videoInfo:
      state === 'success'
        ? { videoId: `v-${task.taskId}`, taskId: task.taskId, ...taskUrls(task, publicUrl) }
        : null,
    failCode: failed?.failCode ?? null,
    failMsg: failed?.failMsg ?? null,
    expireFlag: isExpired(task, now, times) ? 1 : 0,
  };
}

export function callbackPayloadOf(task: SimTask, publicUrl: string): CallbackPayload {
  if (task.outcome.state === 'fail') {
    return {
      code: task.outcome.failCode === 400 ? 400 : 500,
      msg: task.outcome.failMsg,
      data: { task_id: task.taskId, video_id: '', video_url: '', image_url: '' },
    };
  }
  const { videoUrl, imageUrl } = taskUrls(task, publicUrl);
  return {
    code: 200,
    msg: 'All generated successfully.',
    data: { task_id: task.taskId, video_id: `v-${task.taskId}`, video_url: videoUrl, image_url: imageUrl },
  };
}

/** `YYYY-MM-DD HH:mm:ss`, UTC: the contract does not say which zone the provider uses. */
function formatGenerateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}
