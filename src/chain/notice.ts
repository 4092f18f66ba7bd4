/**
 * What a chain POSTs to its `notifyUrl` when it pauses (any pause, a review among them), completes, fails
 * or is cancelled: built by the workflow from its progress, sent by the `sendChainNotice` activity.
 */
import type { ChainOutputs, ChainProgress, ChainState } from './progress';
import { redactUrl } from './redact';

export interface ChainNotice {
  workflowId: string;
  state: ChainState;
  /** Why it paused, failed or was cancelled. */
  reason?: string;
  /** Who paused it: `review`, an operator, `provider (input refused)`… */
  pausedBy?: string;
  segmentsDone: number;
  segmentsTotal: number;
  creditsSpent: number;
  maxCredits?: number;
  /** The chain's files so far (absolute paths on the workers' OUTPUT_DIR), as `status --json` has them. */
  outputs?: ChainOutputs;
  /** A review pause: the segment awaiting approval, its archived file (and its link when the output
   * folder is served) and the provider's URL. */
  review?: { segment: number; file?: string; fileUrl?: string; videoUrl?: string };
  /** When the chain changed state (the workflow's clock). */
  at: string;
}

/** The notice for `progress`; `reviewing` is the segment a review pause awaits approval for, if any. */
export function noticeOf(
  workflowId: string,
  progress: ChainProgress,
  reviewing: number | undefined,
  at: string,
): ChainNotice {
  const paused = progress.state === 'paused';
  const segment = reviewing === undefined || !paused ? undefined : progress.segments[reviewing - 1];
  return {
    workflowId,
    state: progress.state,
    ...(progress.reason ? { reason: progress.reason } : {}),
    ...(paused && progress.paused ? { pausedBy: progress.paused.by } : {}),
    segmentsDone: progress.segmentsDone,
    segmentsTotal: progress.segmentsTotal,
    creditsSpent: progress.creditsSpent,
    ...(progress.maxCredits !== undefined ? { maxCredits: progress.maxCredits } : {}),
    ...(progress.outputs ? { outputs: progress.outputs } : {}),
    ...(segment
      ? {
          review: {
            segment: segment.index,
            ...(segment.archive ? { file: segment.archive.video } : {}),
            ...(segment.archive?.url ? { fileUrl: segment.archive.url } : {}),
            ...(segment.videoUrl ? { videoUrl: redactUrl(segment.videoUrl) } : {}),
          },
        }
      : {}),
    at,
  };
}
