/** A chain's state as the `progress` query shows it: its segments, each segment's attempts and files. */
import { z } from 'zod';
import { Prompt } from './requests';

export const SegmentStatus = z.enum(['pending', 'submitting', 'generating', 'succeeded', 'failed']);
export type SegmentStatus = z.infer<typeof SegmentStatus>;

/** A segment's files as archived in the chain's output folder. */
export const SegmentArchive = z.object({
  video: z.string(),
  thumbnail: z.string().optional(),
  /** The archived video's and thumbnail's HTTP URLs (where the output folder is served), when it is. */
  url: z.string().optional(),
  thumbnailUrl: z.string().optional(),
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
  /**
   * Official API, segment 1: the create of its first frame (text_to_image) lost its answer, so
   * `resume --adopt-task` names that image's task, not a clip's.
   */
  firstFrameLost: z.boolean().optional(),
  /** Official API, segment 1: the image task an operator adopted as its first frame (paid once, kept). */
  firstFrameTaskId: z.string().optional(),
  archive: SegmentArchive.optional(),
});
export type SegmentState = z.infer<typeof SegmentState>;

export const PauseState = z.object({ reason: z.string(), at: z.string(), by: z.string() });
export type PauseState = z.infer<typeof PauseState>;

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
  /** The same files' HTTP URLs, when the output folder is served (chains before this have none). */
  urls?: ChainOutputUrls;
}

export interface ChainOutputUrls {
  video?: string;
  manifest?: string;
  report?: string;
  preview?: string;
}
