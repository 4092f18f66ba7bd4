/**
 * A simulated task, what the simulator sends about it on the wire, and the pure facts about it: its state
 * at a given provider time, whether its files expired, their URLs. How a task's answers look (the answer
 * shape) is in `answer-shapes.ts`.
 */
import type { AspectRatio, Quality } from '../chain/requests';
import type { TaskState } from '../provider/answers';
import type { RenderedMedia } from './media';

/**
 * How a task's record-detail and callback look. `full`: every field of the per-endpoint reference;
 * `docs`: only the keys of the docs page's example; `nulls`: every optional field `null`; `strings`:
 * `full` with `failCode` and `expandPrompt` as strings, as some third-party typings have them.
 */
export const ANSWER_SHAPES = ['full', 'docs', 'nulls', 'strings'] as const;
export type AnswerShape = (typeof ANSWER_SHAPES)[number];

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
  /** Chosen at create time, so that a task answers the same way on every read. */
  answerShape: AnswerShape;
  /** `nulls` failure callbacks: `data: null` (true) or no `data` key (false); drawn at create time. */
  nullCallbackData?: boolean;
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

/**
 * record-detail's `data` as the simulator sends it. Deliberately loose: the shapes leave fields out, send
 * them `null` or as strings. (The client's `TaskDetail` is its parsed, normalized reading of this.)
 */
export interface TaskDetailWire {
  taskId: string;
  parentTaskId?: string | null;
  generateParam?: {
    prompt: string;
    imageUrl: string | null;
    expandPrompt: boolean | string | null;
  } | null;
  state: TaskState;
  generateTime?: string | null;
  videoInfo?: {
    videoId: string | null;
    taskId?: string | null;
    videoUrl: string;
    imageUrl: string | null;
  } | null;
  failCode?: number | string | null;
  failMsg?: string | null;
  expireFlag: 0 | 1 | null;
}

/** The body POSTed to a task's `callBackUrl` (snake_case, unlike record-detail); `data` may be null or absent. */
export interface CallbackWire {
  code: number;
  msg: string;
  data?: {
    task_id: string;
    video_id: string | null;
    video_url: string;
    image_url: string | null;
  } | null;
}

export interface StateTimes {
  waitMs: number;
  queueMs: number;
  fileTtlMs: number;
}

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
