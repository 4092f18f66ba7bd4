/**
 * Waiting for a segment's task to end: the callback for its create, or a poll, whichever comes first;
 * answers that cannot be read pause the chain (the task kept); a task an operator adopted is proven to
 * be the segment's first.
 */
import {
  CancellationScope,
  condition,
  isCancellation,
  patched,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureTypes } from '../chain/failure-types';
import type { SegmentState } from '../chain/progress';
import type { TaskOutcome } from '../chain/task-outcome';
import { type ChainRun, costOf } from './chain-run';
import { providerOf } from '../chain/providers';
import { applicationFailure } from './chain-inputs';
import { PauseChain, notConfiguredPause } from './pause-chain';
import { CALLBACK_HINTS, CANCEL_KEEPS_ADOPTED_TASK, POLL_BEHIND_CALLBACK } from './patches';

export type FinishedTask = TaskOutcome & { by: 'callback' | 'poll' };

/**
 * Wait for a task's end: the callback for this create, or a poll, whichever comes first. When a callback
 * is expected the poll is only a safety net, held back one poll interval by a timer (a new task is
 * queued then anyway): when the callback wins, no poll activity was scheduled nor has to be cancelled.
 *
 * A callback is a hint (patch `callback-hints`): it makes the chain read the task at once, on the read
 * queue, instead of at the next poll, and the read's answer is the outcome. (Histories from before the
 * hints carry the outcome in the signal and replay taking it as it is.)
 */
export async function awaitOutcome(
  run: ChainRun,
  segment: SegmentState,
  attempt: number,
  taskId: string,
  expectCallback = false,
): Promise<FinishedTask> {
  const { chain, input, callbacks, activities } = run;
  const key = `${segment.index}:${attempt}`;
  const callbackArrived = () => callbacks.get(key)?.taskId === taskId;
  const byCallback = (): FinishedTask => ({ ...callbacks.get(key)!, by: 'callback' });
  /** Once the callback has come: read the task now, labelled as completed by the callback. */
  let hinted = false;
  if (
    expectCallback &&
    patched(POLL_BEHIND_CALLBACK) &&
    (await condition(callbackArrived, input.options.pollIntervalMs))
  ) {
    if (!patched(CALLBACK_HINTS)) return byCallback();
    hinted = true;
  }
  const summary = `await ${segment.index}/${chain.segments.length}`;
  // The reseller's reads carry the task id only, as they always have.
  const readInput = providerOf(input) === 'runwayml' ? { taskId, provider: 'runwayml' as const } : { taskId };
  let unreadable = 0;
  for (;;) {
    const scope = new CancellationScope();
    const read = scope.run(() =>
      activities.reads.awaitTaskResult.executeWithOptions(
        { summary: hinted ? `${summary} (callback)` : summary },
        [readInput],
      ),
    );
    read.catch(() => undefined); // cancelled when the callback wins
    const by = hinted ? 'callback' : 'poll';
    try {
      const first = await Promise.race([
        read.then((o): FinishedTask => ({ ...o, by })),
        // Once hinted, the read in flight is the callback's: nothing more to race against.
        hinted ? new Promise<never>(() => undefined) : condition(callbackArrived).then(() => undefined),
      ]);
      if (first) return first;
      // The callback came while the poll waited for its next look.
      if (!patched(CALLBACK_HINTS)) return byCallback();
      hinted = true;
    } catch (err) {
      // An answer we cannot read: look again a few times (a passing glitch), then pause for a person
      // (an upgrade, say) rather than poll for ever; the task stays the segment's, paid once.
      const failure = applicationFailure(err);
      const unconfigured = notConfiguredPause(run, segment, failure, true);
      if (unconfigured) throw unconfigured;
      if (failure?.type !== FailureTypes.UnreadableAnswer) throw err;
      // Answers in a row: a poll that read other answers first (its attempt > 1) starts the count again.
      const [{ attempt = 1 } = {}] = (failure.details ?? []) as Array<{ attempt?: number }>;
      unreadable = attempt > 1 ? 1 : unreadable + 1;
      if (unreadable >= input.options.maxUnreadableAnswers) {
        throw new PauseChain(
          `segment ${segment.index}: ${unreadable} answers in a row about task ${taskId} could not be read ` +
            `(${failure.message}). The task is paid for and kept: once the provider or long-video is ` +
            `fixed, \`long-video resume ${workflowInfo().workflowId}\` awaits it again without paying.`,
          'unreadable provider answer',
          true,
        );
      }
      if (!hinted && (await condition(callbackArrived, input.options.pollIntervalMs))) {
        if (!patched(CALLBACK_HINTS)) return byCallback();
        hinted = true;
      } else if (hinted) {
        await sleep(input.options.pollIntervalMs);
      }
    } finally {
      scope.cancel();
    }
  }
}

/**
 * An operator's task is awaited like ours, but first proven to be this segment's: same prompt, continuing
 * the previous segment's task. A wrong or unknown id pauses the chain again and costs nothing more.
 */
export async function awaitAdopted(
  run: ChainRun,
  segment: SegmentState,
  taskId: string,
): Promise<FinishedTask> {
  const { chain } = run;
  const wrong = (why: string) => {
    chain.charged(-costOf(run, segment));
    return new PauseChain(
      `segment ${segment.index}: the adopted task ${taskId} ${why}; resume with the right --adopt-task, ` +
        'or without it to submit the segment again',
      'operator',
    );
  };
  let outcome;
  try {
    outcome = await awaitOutcome(run, segment, segment.attempts, taskId);
  } catch (err) {
    if (err instanceof PauseChain) throw err; // unreadable answers: the task stays adopted
    // The chain's cancel is no verdict on the task: it stays adopted and paid, for a resume to await.
    if (isCancellation(err) && patched(CANCEL_KEEPS_ADOPTED_TASK)) throw err;
    throw wrong(`cannot be awaited (${applicationFailure(err)?.message ?? (err as Error).message})`);
  }
  if (!isSegmentsTask(outcome, segment, chain.previousTaskId(segment))) {
    throw wrong(`is not this segment's (its prompt or the task it continues differ)`);
  }
  return outcome;
}

/**
 * Whether a finished task is `segment`'s: the same prompt, continuing the previous segment's task. A field
 * the provider leaves out refutes nothing (the docs' own answers carry neither); the callback URL or the
 * operator's word then stands.
 */
export function isSegmentsTask(
  task: Pick<TaskOutcome, 'prompt' | 'parentTaskId'>,
  segment: SegmentState,
  previousTaskId: string | undefined,
): boolean {
  return (
    (task.prompt === undefined || task.prompt === segment.prompt) &&
    (task.parentTaskId === undefined || task.parentTaskId === (previousTaskId ?? ''))
  );
}
