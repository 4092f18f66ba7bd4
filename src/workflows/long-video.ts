/**
 * The long-video chain: generate segment 1, wait until it succeeds, then extend the previous segment's
 * task once per further prompt. Each wait is a race between the provider's callback (a signal from our
 * receiver) and a poll on the provider queue. A task that fails for a passing reason is paid again; any
 * other reason, and a create whose answer was lost, pause the chain for a person (never paying twice).
 * Operators pause, resume, redo and append through updates; long chains continue as new runs with their
 * whole state. With `review`, each segment waits for an operator's approval (review.ts); with
 * `notifyUrl`, each pause and the end are reported there (notify.ts).
 */
import {
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  workflowInfo,
} from '@temporalio/workflow';
import type { LongVideoInput } from '../chain/input';
import type { ChainProgress } from '../chain/progress';
import { type ChainRun, startRun } from './chain-run';
import { applicationFailure, nextRunInput, validate } from './chain-inputs';
import { deliver, settleArchives } from './delivery';
import { notify } from './notify';
import { handleMessages } from './operator-updates';
import { PauseChain } from './pause-chain';
import { VALIDATE_NEXT_RUN } from './patches';
import { reviewGate } from './review';
import { runSegment } from './segment';
import { cancelInFlight, cancelsAtProvider } from './segment-runwayml';

/** `input` is checked again here, every problem at once: a caller need not be typed (another SDK, the UI). */
export async function longVideo(input: LongVideoInput): Promise<ChainProgress> {
  const run = startRun(validate(input));
  const { chain } = run;
  handleMessages(run);
  chain.onPause = () => void notify(run);
  try {
    for (;;) {
      // No new paid call while paused or while a redo is being applied.
      await condition(() => !chain.paused && run.redosWaiting === 0);
      const segment = chain.next();
      if (!segment) {
        if (await finishes(run)) break;
        continue;
      }
      if (!run.cannotContinueAsNew && runIsLongEnough(run)) {
        await Promise.all([...run.archiving.values()]); // their results travel in the carried state
        await condition(allHandlersFinished);
        const { next, problem } = nextRunInput(run.input, chain.carry(), chain.maxCredits);
        if (!problem || !patched(VALIDATE_NEXT_RUN)) return await continueAsNew<typeof longVideo>(next);
        run.cannotContinueAsNew = problem;
        log.warn('the chain goes on in this run: its next run would refuse its input', { problem });
        continue;
      }
      try {
        await runSegment(run, segment);
        if (segment.state === 'succeeded') await reviewGate(run, segment);
      } catch (err) {
        if (!(err instanceof PauseChain)) throw err;
        if (err.keepTask) chain.stalled(segment, err.reason, err.stalledKind);
        else if (segment.state !== 'failed') chain.notSubmitted(segment, err.reason);
        chain.pause(err.reason, err.by);
      }
    }
    chain.finish('completed');
    await notify(run);
    return chain.progress();
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    if (isCancellation(err)) {
      // A provider that can cancel stops the task in flight: nobody will take its output.
      if (cancelsAtProvider(run)) await cancelInFlight(run, chain.segments, 'the chain was cancelled');
      await CancellationScope.nonCancellable(async () => {
        chain.finish('cancelled', 'cancelled by request');
        await notify(run);
      });
      throw err;
    }
    const reason = applicationFailure(err)?.message ?? (err as Error).message;
    chain.finish('failed', reason);
    await CancellationScope.nonCancellable(() => notify(run));
    throw ApplicationFailure.create({
      type: 'ChainFailed',
      nonRetryable: true,
      message: reason,
      details: [chain.progress()],
    });
  }
}

/**
 * Every segment has succeeded: deliver the chain's files and answer true, or false when the chain has
 * more to do after all (an append that arrived meanwhile, or a pause because a file could not be made).
 */
async function finishes(run: ChainRun): Promise<boolean> {
  const { chain, input } = run;
  // Updates that arrived with the last segment (an append, say) count before the chain closes;
  // an append while archiving or stitching sends the chain back to work.
  await condition(allHandlersFinished);
  if (chain.next()) return false;
  try {
    if (input.options.deliver) {
      await settleArchives(run);
      if (chain.next()) return false;
      await deliver(run);
    }
  } catch (err) {
    if (!(err instanceof PauseChain)) throw err;
    chain.pause(err.reason, err.by);
    return false;
  }
  await condition(allHandlersFinished);
  return !chain.next();
}

/** Time for a new run: Temporal suggests it (a long history), or this run made `continueAsNewEvery` segments. */
const runIsLongEnough = ({ input, segmentsThisRun }: ChainRun) =>
  workflowInfo().continueAsNewSuggested || segmentsThisRun >= input.options.continueAsNewEvery;
