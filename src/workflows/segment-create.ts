/**
 * Paying for a segment: one create (generate or extend), within the budget, and what to do when its
 * answer is lost: look for that create's callback before deciding anything, never pay twice blindly.
 */
import {
  CancellationScope,
  CancelledFailure,
  condition,
  isCancellation,
  log,
  patched,
  workflowInfo,
} from '@temporalio/workflow';
import type { SubmitResult } from '../activities/provider';
import { FailureTypes } from '../chain/failure-types';
import type { SegmentState } from '../chain/progress';
import { type ChainRun, costOf } from './chain-run';
import { applicationFailure, extendRequest, generateRequest } from './chain-inputs';
import type { LegacyTaskFinishedSignal } from './messages';
import { GUARD, PauseChain, notConfiguredPause } from './pause-chain';
import { CALLBACK_HINTS, CANCEL_LETS_CREATES_FINISH, FIRST_FRAME_OWN_CREATE } from './patches';
import { type FinishedTask, isSegmentsTask } from './segment-await';
import { providerOf, runwayMlFirstFrameCredits } from '../chain/providers';
import { firstFrameFor, imageToVideoRequest, makeFirstFrame } from './segment-runwayml';

/** A create's task, the attempt it belongs to, and whether its callback is expected. */
export interface CreatedTask {
  taskId: string;
  attempt: number;
  callbacks: boolean;
  /** The task's end, when it is already known (a lost create's task, confirmed by a read). */
  outcome?: FinishedTask;
}

/** Submit one create for `segment` as its `attempt`; answers the task it made. */
export async function submit(run: ChainRun, segment: SegmentState, attempt: number): Promise<CreatedTask> {
  const { chain, input, activities } = run;
  // The official API: the segment's image first (a later one waits for the previous segment's archive).
  const firstFrame = providerOf(input) === 'runwayml' ? await firstFrameFor(run, segment) : undefined;
  const previousTaskId = chain.previousTaskId(segment);
  const cost = costOf(run, segment);
  const budget = chain.maxCredits;
  if (budget !== undefined && chain.creditsSpent + cost > budget) {
    throw new PauseChain(
      `budget: segment ${segment.index} costs ${cost} credits and ${chain.creditsSpent} of ${budget} are spent; ` +
        'resume with a higher --max-credits',
      'budget',
    );
  }
  chain.submitting(segment, attempt);
  const target = { workflowId: workflowInfo().workflowId, segment: segment.index, attempt };
  const label = `${firstFrame ? 'image_to_video' : previousTaskId ? 'extend' : 'generate'} ${segment.index}/${chain.segments.length}`;
  const awaited = patched(CANCEL_LETS_CREATES_FINISH);
  const { submitGeneration, submitExtension } = awaited
    ? activities.awaitedCreates
    : activities.abandonedCreates;
  let result: SubmitResult;
  try {
    const frame =
      firstFrame && 'textToImage' in firstFrame && patched(FIRST_FRAME_OWN_CREATE)
        ? await makeFirstFrame(run, segment, target, firstFrame)
        : firstFrame;
    result = frame
      ? await activities.imageCreates.submitImageToVideo.executeWithOptions({ summary: label }, [
          { ...target, request: imageToVideoRequest(run, segment.prompt), firstFrame: frame },
        ])
      : previousTaskId
        ? await submitExtension.executeWithOptions({ summary: label }, [
            { ...target, request: extendRequest(input, segment.prompt, previousTaskId) },
          ])
        : await submitGeneration.executeWithOptions({ summary: label }, [
            { ...target, request: generateRequest(input, segment.prompt) },
          ]);
  } catch (err) {
    const failure = applicationFailure(err);
    // Cancelled once segment 1's first frame was made: that image is paid for (no video was sent).
    if (failure?.type === FailureTypes.FirstFrameWithoutVideo) chain.charged(runwayMlFirstFrameCredits());
    if (awaited && CancellationScope.current().consideredCancelled) throw cancelledCreate(run, segment, err);
    const unconfigured = notConfiguredPause(run, segment, failure);
    if (unconfigured) throw unconfigured;
    if (failure?.type === FailureTypes.InsufficientCredits) {
      throw new PauseChain(`out of credits: ${failure.message}`, 'provider (402)');
    }
    if (failure?.type === FailureTypes.FirstFrameFailed) {
      // Its image task was made, and paid: counted now unless it was when made (or adopted).
      const counted = segment.firstFrameTaskId !== undefined;
      if (!counted) chain.charged(runwayMlFirstFrameCredits());
      const [{ kind }] = failure.details as [{ kind?: string }];
      // A transient failure of an image made by its own create: another, within the failure budget.
      if (counted && kind === 'transient' && segment.failures < input.options.maxTaskFailures) {
        chain.firstFrameFailed(segment, failure.message);
        return submit(run, segment, attempt + 1);
      }
      delete segment.firstFrameTaskId; // the next try makes another
      throw new PauseChain(
        `segment ${segment.index}: ${failure.message}. Give it another prompt (redo --from 1 --prompt "…") ` +
          'or start the chain from an image (--image-url)',
        'provider (first frame)',
      );
    }
    if (failure?.type !== FailureTypes.AmbiguousCreate) throw err;
    const [{ callbacks: usesCallbacks, firstFrame: lostFirstFrame }] = failure.details as [
      { callbacks: boolean; firstFrame?: boolean },
    ];
    if (lostFirstFrame) return firstFrameLost(run, segment, attempt, failure.message);
    return awaitAmbiguousCreate(run, segment, attempt, failure.message, usesCallbacks);
  }
  // What is left to count: a first frame made above was counted when it was paid.
  chain.charged(costOf(run, segment));
  return { taskId: result.taskId, attempt, callbacks: result.callbacks };
}

/**
 * Official API: the create of segment 1's first frame (text_to_image) lost its answer, so an image may have
 * been made and paid. No clip was asked for yet: the operator adopts that image (the clip then starts
 * from it), or makes the first frame again; the `resubmit` policy makes it again at once.
 */
function firstFrameLost(
  run: ChainRun,
  segment: SegmentState,
  attempt: number,
  why: string,
): Promise<CreatedTask> {
  if (run.input.options.ambiguousCreatePolicy === 'resubmit') return submit(run, segment, attempt + 1);
  run.chain.firstFrameLost(segment);
  throw new PauseChain(
    `segment ${segment.index}: ${why}. Look on the provider's dashboard for a text_to_image task with prompt ` +
      `"${segment.prompt.slice(0, 60)}": if it is there, resume with --adopt-task TASK_ID (the clip starts from ` +
      'that image, paid once); if not, a plain resume makes the first frame again.',
    GUARD,
  );
}

/**
 * A create of `segment` whose answer was lost may have made a paid task: wait `callbackGraceMs` for that
 * attempt's callback and adopt its task; if none comes, the policy decides (pause, or pay again).
 */
export async function awaitAmbiguousCreate(
  run: ChainRun,
  segment: SegmentState,
  attempt: number,
  why: string,
  usesCallbacks: boolean,
): Promise<CreatedTask> {
  const { chain, input, callbacks } = run;
  const key = `${segment.index}:${attempt}`;
  let unconfirmed: string[] = [];
  if (usesCallbacks && patched(CALLBACK_HINTS)) {
    const found = await confirmHintedTask(run, segment, attempt);
    if ('taskId' in found) return found;
    unconfirmed = found.unconfirmed;
  } else if (usesCallbacks) {
    // Before the hints: the signal carried the provider's outcome, taken as it was.
    const isOurs = () => {
      const c = callbacks.get(key) as LegacyTaskFinishedSignal | undefined;
      return c !== undefined && isSegmentsTask(c, segment, chain.previousTaskId(segment));
    };
    if (await condition(isOurs, input.options.callbackGraceMs)) {
      chain.charged(costOf(run, segment));
      return { taskId: callbacks.get(key)!.taskId, attempt, callbacks: true }; // the task exists after all: adopt it
    }
  }
  if (input.options.ambiguousCreatePolicy === 'resubmit') return submit(run, segment, attempt + 1);
  const named = unconfirmed.length
    ? ` (a callback named task ${unconfirmed.join(', ')}, which a read could not confirm as this segment's)`
    : '';
  throw new PauseChain(
    `segment ${segment.index}: ${why}. No callback arrived within ` +
      `${input.options.callbackGraceMs} ms${named}; look on the provider's dashboard for ` +
      // On the official API, segment 1's first frame (text_to_image) has the same prompt: not that one.
      `${providerOf(input) === 'runwayml' ? 'an image_to_video task' : 'a task'} with prompt ` +
      `"${segment.prompt.slice(0, 60)}": if it is there, resume with --adopt-task TASK_ID; ` +
      'if not, a plain resume submits the segment again.',
    GUARD,
  );
}

/**
 * Within `callbackGraceMs`, the task a callback for (segment, attempt) names, once the chain's own read
 * proves it finished and the segment's (its prompt and parent): charged once and adopted, with the read's
 * outcome. A hint the read refutes (another task, an unknown id, an answer that cannot be read) is set
 * aside and the wait goes on. A cancel during the read keeps the hinted task as adopted (and charged),
 * as an operator's `--adopt-task` would: a resume proves it before taking it, instead of paying again.
 */
async function confirmHintedTask(
  run: ChainRun,
  segment: SegmentState,
  attempt: number,
): Promise<CreatedTask | { unconfirmed: string[] }> {
  const { chain, input, callbacks, activities } = run;
  const key = `${segment.index}:${attempt}`;
  const refuted = new Set<string>();
  const hinted = () => {
    const taskId = callbacks.get(key)?.taskId;
    return taskId !== undefined && !refuted.has(taskId) ? taskId : undefined;
  };
  const deadline = Date.now() + input.options.callbackGraceMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0 || !(await condition(() => hinted() !== undefined, left))) {
      return { unconfirmed: [...refuted] };
    }
    const taskId = hinted()!;
    let outcome;
    try {
      outcome = await activities.reads.awaitTaskResult.executeWithOptions(
        { summary: `confirm ${segment.index}/${chain.segments.length} (callback)` },
        [{ taskId }],
      );
    } catch (err) {
      if (isCancellation(err)) {
        chain.adopt(segment, taskId);
        chain.charged(costOf(run, segment));
        throw err;
      }
      log.warn('a callback named a task the chain could not read', { segment: segment.index, taskId });
      refuted.add(taskId);
      continue;
    }
    if (isSegmentsTask(outcome, segment, chain.previousTaskId(segment))) {
      chain.charged(costOf(run, segment)); // the task exists after all: adopt it, paid once
      return { taskId, attempt, callbacks: true, outcome: { ...outcome, by: 'callback' } };
    }
    log.warn("a callback named a task that is not the segment's", { segment: segment.index, taskId });
    refuted.add(taskId);
  }
}

/**
 * The chain is being cancelled and `segment`'s create ended without a task. A create cancelled before it
 * ran, or refused, made nothing (or only a first frame, which the caller counted): the segment is pending
 * again. Any other end (an ambiguous answer, a time-out) leaves it `submitting`, which the chain's next run
 * treats as an ambiguous create.
 */
function cancelledCreate({ chain }: ChainRun, segment: SegmentState, err: unknown): CancelledFailure {
  const failure = applicationFailure(err);
  const madeNothing = isCancellation(err) || (failure && failure.type !== FailureTypes.AmbiguousCreate);
  if (madeNothing) {
    const firstFrameOnly = failure?.type === FailureTypes.FirstFrameWithoutVideo;
    const image = segment.firstFrameTaskId;
    chain.notSubmitted(
      segment,
      firstFrameOnly
        ? failure.message
        : image
          ? `the chain was cancelled before its clip's create: image task ${image} is paid for, kept as its first frame`
          : 'the chain was cancelled before this create made a task',
    );
  }
  return err instanceof CancelledFailure
    ? err
    : new CancelledFailure('cancelled while a create was in flight');
}
