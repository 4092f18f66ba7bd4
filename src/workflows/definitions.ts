/**
 * What crosses the workflow boundary: the chain's input (validated by zod before any paid call), its state
 * as the `progress` query shows it, the signal the callback receiver sends, and the queue names.
 * Imported by the workflow, the activities, the receiver and the CLI; declared nowhere else.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
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
import { DEFAULT_PRICES, PriceTable } from '../runway/pricing';

export const WORKFLOW_TASK_QUEUE = 'long-video';
/** Creates: the provider's rate limit is a limit on new generation requests, enforced on this queue. */
export const PROVIDER_TASK_QUEUE = 'long-video-provider';
/** Reads (task polls): their own queue and limit, so that polling never eats into the create budget. */
export const PROVIDER_READ_TASK_QUEUE = 'long-video-provider-reads';

export const ChainOptions = z
  .object({
    /** How many times one segment's task may end in `fail` and be resubmitted before the chain stops. */
    maxTaskFailures: z.number().int().min(0).max(20).default(2),
    /** Answers about one task that cannot be read, in a row, before the chain pauses (the task is kept). */
    maxUnreadableAnswers: z.number().int().min(1).max(100).default(3),
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
    /** Start a new run (continue-as-new) after this many segments, or sooner when Temporal suggests it. */
    continueAsNewEvery: z.number().int().min(1).max(10_000).default(100),
    /** Pause before a create would take the chain's spending over this many credits. */
    maxCredits: z.number().nonnegative().optional(),
    /** Credits per create (the provider publishes none in its contract: configuration). */
    prices: PriceTable.default(DEFAULT_PRICES),
    /** Download, stitch and report the segments; false leaves them at the provider (their URLs are in the
     * progress), for a back end that fetches them itself. */
    deliver: z.boolean().default(true),
    /** Stitching: drop each extension's first frame (a repeat of the previous last frame). */
    trimBoundaryFrame: z.boolean().default(false),
    /** Stitching: crossfade at each joint, in seconds (0: a cut). */
    crossfadeSeconds: z.number().min(0).max(2).default(0),
  })
  .strict();
export type ChainOptions = z.infer<typeof ChainOptions>;

export const SegmentStatus = z.enum(['pending', 'submitting', 'generating', 'succeeded', 'failed']);
export type SegmentStatus = z.infer<typeof SegmentStatus>;

/** A segment's files as archived in the chain's output folder. */
export const SegmentArchive = z.object({
  video: z.string(),
  thumbnail: z.string().optional(),
  sha256: z.string(),
  bytes: z.number().int().nonnegative(),
  durationSeconds: z.number().nonnegative(),
});
export type SegmentArchive = z.infer<typeof SegmentArchive>;

/** One create of a segment that did not give it its video, and why: `progress` keeps them all. */
export const AttemptRecord = z.object({
  attempt: z.number().int().min(0),
  taskId: z.string().optional(),
  /** `input`, `plan`, `transient` or `unknown` for a task that failed (runway/task-failures.ts); `unreadable`
   * for a task whose answers could not be read. */
  kind: z.string().optional(),
  reason: z.string(),
  at: z.string(),
});
export type AttemptRecord = z.infer<typeof AttemptRecord>;

export const SegmentState = z.object({
  /** 1-based. */
  index: z.number().int().min(1),
  prompt: Prompt,
  state: SegmentStatus,
  taskId: z.string().optional(),
  videoUrl: z.string().optional(),
  imageUrl: z.string().optional(),
  /** Creates submitted for this segment (tasks that failed are resubmitted). */
  attempts: z.number().int().min(0),
  /** Tasks of this segment that ended in `fail` since the chain last paused for it. */
  failures: z.number().int().min(0).default(0),
  submittedAt: z.string().optional(),
  completedAt: z.string().optional(),
  /** How the success was learned: the provider's callback or a poll. */
  completedBy: z.enum(['callback', 'poll']).optional(),
  lastError: z.string().optional(),
  /** Every create of this segment that failed or stalled, oldest first (the latest few, on a long history). */
  pastAttempts: z.array(AttemptRecord).optional(),
  /** The task was named by an operator (`resume --adopt-task`), not answered by our create. */
  adopted: z.boolean().optional(),
  archive: SegmentArchive.optional(),
});
export type SegmentState = z.infer<typeof SegmentState>;

export const PauseState = z.object({ reason: z.string(), at: z.string(), by: z.string() });
export type PauseState = z.infer<typeof PauseState>;

/** What a new run of a chain starts from: a continue-as-new, or `long-video resume` of a closed chain. */
export const ChainCarry = z.object({
  segments: z.array(SegmentState).min(1),
  paused: PauseState.optional(),
  startedAt: z.string(),
  creditsSpent: z.number().nonnegative().default(0),
  /** Runs before this one, for `progress`. */
  runs: z.number().int().min(1),
});
export type ChainCarry = z.infer<typeof ChainCarry>;

/** The most segments a chain may have: every run carries them all in its input. */
export const MAX_SEGMENTS = 1000;

export const LongVideoInput = z
  .object({
    prompts: z.array(Prompt).min(1, 'at least one prompt is needed').max(MAX_SEGMENTS),
    duration: Duration.default(5),
    quality: Quality.default('720p'),
    aspectRatio: AspectRatio.optional(),
    imageUrl: HttpUrl.optional(),
    waterMark: z.string().max(200).optional(),
    options: ChainOptions.default(ChainOptions.parse({})),
    carry: ChainCarry.optional(),
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

export type ChainState = 'running' | 'paused' | 'completed' | 'cancelled' | 'failed';

export interface ChainProgress {
  state: ChainState;
  /** Why the chain stopped or paused, when it did not complete. */
  reason?: string;
  paused?: PauseState;
  /** Which run of the workflow this is (continue-as-new starts a new one). */
  run: number;
  /** Credits of every create this chain has made (by the price table), over all its runs. */
  creditsSpent: number;
  /** The cap in force (`--max-credits`, or the latest `resume --max-credits`), carried to every new run. */
  maxCredits?: number;
  /** Absolute paths of the deliverables, once made (preview: the segments so far). */
  outputs?: ChainOutputs;
  segmentsDone: number;
  segmentsTotal: number;
  segments: SegmentState[];
  startedAt: string;
  updatedAt: string;
}

export interface ChainOutputs {
  video?: string;
  manifest?: string;
  report?: string;
  preview?: string;
}

/** What the provider said about a finished task: from a poll, or from a callback after re-fetching it. */
export interface TaskOutcome {
  taskId: string;
  state: 'success' | 'fail';
  /** The task it extends ('' for a generation); absent when the provider does not say. */
  parentTaskId?: string;
  /** The prompt it was made from; absent when the provider does not say. */
  prompt?: string;
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

/** Who asks: shown in `progress` and the Web UI as who paused or changed the chain. */
export interface OperatorRequest {
  by?: string;
}
export const pauseUpdate = defineUpdate<ChainProgress, [OperatorRequest & { reason?: string }]>('pause');
/**
 * Resume a paused chain; `maxCredits` raises (or sets) the chain's budget. `adoptTaskId` names the task an
 * operator found on the provider's dashboard for the segment whose create answer was lost: the chain
 * awaits that task instead of paying for a new one.
 */
export const resumeUpdate = defineUpdate<
  ChainProgress,
  [OperatorRequest & { maxCredits?: number; adoptTaskId?: string }]
>('resume');
/** Discard segments `from`..end and continue from segment `from - 1`'s task, optionally with a new prompt. */
export const redoUpdate = defineUpdate<ChainProgress, [OperatorRequest & { from: number; prompt?: string }]>(
  'redo',
);
export const appendUpdate = defineUpdate<ChainProgress, [OperatorRequest & { prompts: string[] }]>('append');
export const taskFinishedSignal = defineSignal<[TaskFinishedSignal]>('taskFinished');

/** Activity failure types the workflow tells apart. */
export const FailureTypes = {
  /** A create may have made a paid task whose id we do not have. */
  AmbiguousCreate: 'AmbiguousCreate',
  InsufficientCredits: 'InsufficientCreditsError',
  TaskNotFinished: 'TaskNotFinished',
  /** The provider's answer about a task could not be read (a field the chain needs is missing or wrong). */
  UnreadableAnswer: 'UnreadableAnswer',
} as const;
