/**
 * What crosses the workflow boundary: the chain's input (validated by zod before any paid call), its state
 * as the `progress` query shows it, the signal the callback receiver sends, and the queue names.
 * Imported by the workflow, the activities, the receiver and the CLI; declared nowhere else.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';
import {
  AspectRatio,
  Duration,
  HttpUrl,
  Prompt,
  Quality,
  checkGenerateRules,
  describeZodError,
} from '../runway/schemas';

export const WORKFLOW_TASK_QUEUE = 'long-video';
export const PROVIDER_TASK_QUEUE = 'long-video-provider';

export const ChainOptions = z
  .object({
    /** How many times one segment's task may end in `fail` and be resubmitted before the chain stops. */
    maxTaskFailures: z.number().int().min(0).max(20).default(2),
    /** Between two record-detail polls of a task still generating. */
    pollIntervalMs: z.number().int().min(10).max(600_000).default(6_000),
    /** How long to wait for the callback of a create whose answer was lost before applying the policy. */
    callbackGraceMs: z
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .default(15 * 60_000),
    /** What to do when a create may have made a task we cannot find: stop (never pay twice) or resubmit. */
    ambiguousCreatePolicy: z.enum(['stop', 'resubmit']).default('stop'),
    /** The longest one create or read call may take, from the activity's start. */
    providerCallTimeoutMs: z.number().int().min(100).max(600_000).default(45_000),
  })
  .strict();
export type ChainOptions = z.infer<typeof ChainOptions>;

export const LongVideoInput = z
  .object({
    prompts: z.array(Prompt).min(1, 'at least one prompt is needed').max(1000),
    duration: Duration.default(5),
    quality: Quality.default('720p'),
    aspectRatio: AspectRatio.optional(),
    imageUrl: HttpUrl.optional(),
    waterMark: z.string().max(200).optional(),
    options: ChainOptions.default(ChainOptions.parse({})),
  })
  .strict()
  .superRefine(checkGenerateRules);
export type LongVideoInput = z.input<typeof LongVideoInput>;
export type ResolvedInput = z.output<typeof LongVideoInput>;

/** Parse a chain's input; the error says every problem at once. */
export function parseLongVideoInput(input: unknown): ResolvedInput {
  const parsed = LongVideoInput.safeParse(input);
  if (!parsed.success) throw new InvalidChainInput(describeZodError(parsed.error));
  return parsed.data;
}

export class InvalidChainInput extends Error {
  constructor(message: string) {
    super(`invalid long-video input: ${message}`);
    this.name = 'InvalidChainInput';
  }
}

export type SegmentStatus = 'pending' | 'submitting' | 'generating' | 'succeeded' | 'failed';

export interface SegmentState {
  /** 1-based. */
  index: number;
  prompt: string;
  state: SegmentStatus;
  taskId?: string;
  videoUrl?: string;
  imageUrl?: string;
  /** Creates submitted for this segment (tasks that failed are resubmitted). */
  attempts: number;
  submittedAt?: string;
  completedAt?: string;
  /** How the success was learned: the provider's callback or a poll. */
  completedBy?: 'callback' | 'poll';
  lastError?: string;
}

export type ChainState = 'running' | 'completed' | 'cancelled' | 'failed';

export interface ChainProgress {
  state: ChainState;
  /** Why the chain stopped, when it did not complete. */
  reason?: string;
  segmentsDone: number;
  segmentsTotal: number;
  segments: SegmentState[];
  startedAt: string;
  updatedAt: string;
}

/** What the provider said about a finished task: from a poll, or from a callback after re-fetching it. */
export interface TaskOutcome {
  taskId: string;
  state: 'success' | 'fail';
  parentTaskId: string;
  prompt: string;
  videoUrl?: string;
  imageUrl?: string;
  failCode?: string;
  failMsg?: string;
}

/** Sent by the callback receiver once it has verified the callback and re-fetched the task. */
export interface TaskFinishedSignal extends TaskOutcome {
  segment: number;
  attempt: number;
}

export const progressQuery = defineQuery<ChainProgress>('progress');
export const taskFinishedSignal = defineSignal<[TaskFinishedSignal]>('taskFinished');

/** Activity failure types the workflow tells apart. */
export const FailureTypes = {
  /** A create may have made a paid task whose id we do not have. */
  AmbiguousCreate: 'AmbiguousCreate',
  InsufficientCredits: 'InsufficientCreditsError',
  TaskNotFinished: 'TaskNotFinished',
} as const;
