/**
 * What a chain on the official Runway API does beyond the reseller's path: each segment starts from an
 * image (the chain's, a made first frame, or the exact last frame of the previous segment's archived
 * file), and tasks in flight are cancelled at the provider when the chain no longer wants them.
 * Only chains whose input says `provider: 'runwayml'` come here: reseller chains emit the same commands
 * as before the seam.
 */
import { CancellationScope, log } from '@temporalio/workflow';
import type { FirstFrame } from '../activities/provider-runwayml';
import type { SegmentState } from '../chain/progress';
import {
  CAPABILITIES,
  RUNWAYML_CHAIN_IMAGE_MODEL,
  RUNWAYML_CHAIN_VIDEO_MODEL,
  RUNWAYML_RATIOS,
  providerOf,
  runwayMlFirstFrameCredits,
} from '../chain/providers';
import type { ChainRun } from './chain-run';
import { applicationFailure } from './chain-inputs';
import { archive } from './delivery';
import { PauseChain } from './pause-chain';

/** Whether the chain's provider can cancel a task in flight (the reseller cannot: nothing is sent). */
export const cancelsAtProvider = (run: ChainRun) => CAPABILITIES[providerOf(run.input)].cancel;

const ratios = (run: ChainRun) => RUNWAYML_RATIOS[run.input.aspectRatio ?? '16:9'];

/** The image_to_video request for a segment, but its image (the activity makes that). */
export function imageToVideoRequest(run: ChainRun, prompt: string) {
  return {
    model: RUNWAYML_CHAIN_VIDEO_MODEL,
    promptText: prompt,
    ratio: ratios(run).video,
    duration: run.input.duration,
  };
}

/**
 * Where `segment`'s first frame comes from. A later segment waits for the previous segment's archive
 * (its exact last frame is in that file); the file's path goes to the activity, never its bytes.
 */
export async function firstFrameFor(run: ChainRun, segment: SegmentState): Promise<FirstFrame> {
  const { input, chain } = run;
  if (segment.index === 1) {
    if (segment.firstFrameTaskId) {
      return { imageTaskId: segment.firstFrameTaskId, pollIntervalMs: input.options.pollIntervalMs };
    }
    return input.imageUrl
      ? { imageUrl: input.imageUrl }
      : {
          textToImage: {
            model: RUNWAYML_CHAIN_IMAGE_MODEL,
            promptText: segment.prompt,
            ratio: ratios(run).image,
          },
          pollIntervalMs: input.options.pollIntervalMs,
        };
  }
  const previous = chain.segments[segment.index - 2]!;
  await run.archiving.get(previous.index);
  if (!previous.archive) {
    // Its archive failed (or was never made): try once more before pausing.
    archive(run, previous);
    await run.archiving.get(previous.index);
  }
  if (!previous.archive) {
    const why = run.archiveFailures.get(previous.index) ?? 'it has no archived file';
    throw new PauseChain(
      `segment ${segment.index} starts from the last frame of segment ${previous.index}, which could not be ` +
        `archived: ${why}; resume to try again`,
      'archive',
    );
  }
  return { lastFrameOf: previous.archive.video };
}

/**
 * Segment 1's first frame as a create of its own: counted the moment it is paid, and kept on the segment,
 * so that its clip's create, and any later try of it, starts from this image instead of paying again.
 */
export async function makeFirstFrame(
  run: ChainRun,
  segment: SegmentState,
  target: { workflowId: string; segment: number; attempt: number },
  firstFrame: Extract<FirstFrame, { textToImage: unknown }>,
): Promise<FirstFrame> {
  const { chain, activities } = run;
  const { taskId } = await activities.imageCreates.submitTextToImage.executeWithOptions(
    { summary: `text_to_image ${segment.index}/${chain.segments.length} (first frame)` },
    [{ ...target, request: firstFrame.textToImage }],
  );
  chain.firstFrameMade(segment, taskId, runwayMlFirstFrameCredits());
  return { imageTaskId: taskId, pollIntervalMs: firstFrame.pollIntervalMs };
}

/**
 * Cancel, at the provider, the tasks of `segments` still in flight (best effort, whatever cancels the
 * chain meanwhile): a cancelled task goes back to pending, a task that could not be cancelled stays the
 * segment's (a resume awaits it). Only for providers that can cancel.
 */
export async function cancelInFlight(run: ChainRun, segments: SegmentState[], why: string): Promise<void> {
  const provider = providerOf(run.input);
  if (!CAPABILITIES[provider].cancel) return;
  const inFlight = segments.filter((s) => s.state === 'generating' && s.taskId);
  await CancellationScope.nonCancellable(async () => {
    for (const segment of inFlight) {
      const taskId = segment.taskId!;
      try {
        const { cancelled, finished } = await run.activities.cancels.cancelProviderTask.executeWithOptions(
          { summary: `cancel ${segment.index}/${run.chain.segments.length} at the provider` },
          [{ taskId, provider }],
        );
        if (finished) {
          // Paid and done: the segment keeps it (a resume takes its outcome instead of paying again).
          run.chain.noted(segment, `${why}: its task ${taskId} had already finished at the provider: kept`);
          continue;
        }
        run.chain.notSubmitted(
          segment,
          cancelled
            ? `${why}: its task ${taskId} was cancelled at the provider`
            : `${why}: its task ${taskId} was already gone at the provider`,
        );
      } catch (err) {
        const reason = applicationFailure(err)?.message ?? (err as Error).message;
        log.warn('a task in flight could not be cancelled at the provider', { taskId, reason });
        run.chain.noted(segment, `${why}; cancelling its task ${taskId} at the provider failed: ${reason}`);
      }
    }
  });
}

/** Cancel the discarded tasks of a redo (they were in flight, kept by a pause): their outputs are not wanted. */
export async function cancelDiscarded(run: ChainRun, discarded: Array<{ index: number; taskId: string }>) {
  const provider = providerOf(run.input);
  if (!CAPABILITIES[provider].cancel || discarded.length === 0) return;
  await CancellationScope.nonCancellable(async () => {
    for (const { index, taskId } of discarded) {
      const segment = run.chain.segments[index - 1];
      try {
        const { cancelled } = await run.activities.cancels.cancelProviderTask.executeWithOptions(
          { summary: `cancel discarded task of ${index}/${run.chain.segments.length}` },
          [{ taskId, provider }],
        );
        if (segment && cancelled)
          run.chain.noted(segment, `its discarded task ${taskId} was cancelled at the provider`);
      } catch (err) {
        const reason = applicationFailure(err)?.message ?? (err as Error).message;
        if (segment)
          run.chain.noted(
            segment,
            `cancelling its discarded task ${taskId} at the provider failed: ${reason}`,
          );
      }
    }
  });
}
