/**
 * The review gate of a chain started with `review: true`: once a segment has succeeded and its file is
 * archived, the chain pauses (by `review`) before paying for anything more, the last segment included
 * (before the stitch). `approve` goes on; `redo --from K` (K at most the segment under review) makes
 * segments K.. again, and the gate comes again after the new segment K.
 */
import { condition, patched, workflowInfo } from '@temporalio/workflow';
import type { SegmentState } from '../chain/progress';
import { redactUrl } from '../chain/redact';
import type { ChainRun } from './chain-run';
import { REVIEW_GATE } from './patches';

/** Who pauses a chain for a review (`progress.paused.by`). */
export const REVIEW = 'review';

export async function reviewGate(run: ChainRun, segment: SegmentState): Promise<void> {
  const { chain, input } = run;
  if (!input.options.review || !patched(REVIEW_GATE)) return;
  // The file is what is reviewed: wait for its archive (a failed one leaves the provider's URL).
  await run.archiving.get(segment.index);
  // An operator's pause or redo meanwhile comes first; a redo that discarded the segment ends the gate.
  await condition(() => !chain.paused && run.redosWaiting === 0);
  if (segment.state !== 'succeeded' || chain.segments[segment.index - 1] !== segment) return;
  run.awaitingReview = segment.index;
  chain.pause(reviewReason(run, segment), REVIEW);
}

function reviewReason({ chain, archiveFailures }: ChainRun, segment: SegmentState): string {
  const id = workflowInfo().workflowId;
  const k = segment.index;
  const total = chain.segments.length;
  const url = segment.videoUrl ? redactUrl(segment.videoUrl) : 'no video URL';
  const failed = archiveFailures.get(k);
  // Without its file (the archive failed: tried again before delivery), the provider's URL is shown.
  const link =
    segment.archive?.url ?? segment.archive?.video ?? (failed ? `${url}; not archived: ${failed}` : url);
  const then = k === total ? 'approve to stitch the final video' : `approve to go on to segment ${k + 1}`;
  return (
    `review segment ${k} of ${total} (${link}): ${then} (\`long-video approve ${id}\`), or make it again ` +
    `with \`long-video redo ${id} --from ${k} --prompt "…"\``
  );
}

/** The segment a review pause awaits, if the chain is paused for one. */
export const underReview = (run: ChainRun) =>
  run.chain.paused?.by === REVIEW ? run.awaitingReview : undefined;

/** The review is over (approved, or its segment redone): the chain goes on. */
export function endReview(run: ChainRun): void {
  run.awaitingReview = undefined;
  run.chain.resume();
}
