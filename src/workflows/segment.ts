/**
 * One segment, from its create (or a task carried over from an earlier run) to success or failure: a
 * failed task is paid again only when its reason is transient; any other reason pauses the chain.
 */
import { condition, patched, workflowInfo } from '@temporalio/workflow';
import type { SegmentState } from '../chain/progress';
import { type TaskFailureKind, classifyTaskFailure } from '../chain/task-failures';
import { classifyRunwayMlFailure } from '../chain/task-failures-runwayml';
import { providerOf } from '../chain/providers';
import type { TaskOutcome } from '../chain/task-outcome';
import type { ChainRun } from './chain-run';
import { archive } from './delivery';
import { PauseChain, quote } from './pause-chain';
import { CANCEL_LETS_CREATES_FINISH, CLASSIFY_TASK_FAILURES } from './patches';
import { awaitAdopted, awaitOutcome } from './segment-await';
import { type CreatedTask, awaitAmbiguousCreate, submit } from './segment-create';

/** The longest backoff before resubmitting a segment whose task failed for a transient reason. */
const MAX_RESUBMIT_BACKOFF_MS = 5 * 60_000;

export async function runSegment(run: ChainRun, segment: SegmentState): Promise<void> {
  const { chain, input } = run;
  run.inFlight = segment;
  try {
    // A task created by an earlier run is awaited, never paid again.
    const carried = segment.state === 'generating' && segment.taskId;
    // A create an earlier run sent and never heard back from: it may have made a task.
    const unanswered = !carried && segment.state === 'submitting' && patched(CANCEL_LETS_CREATES_FINISH);
    const {
      taskId,
      attempt,
      callbacks: expectCallback,
      outcome: known,
    }: CreatedTask = carried
      ? { taskId: segment.taskId!, attempt: segment.attempts, callbacks: false }
      : unanswered
        ? await awaitAmbiguousCreate(
            run,
            segment,
            segment.attempts,
            `the create sent by an earlier run of the chain (attempt ${segment.attempts}) never answered`,
            true,
          )
        : await submit(run, segment, segment.attempts + 1);
    chain.generating(segment, taskId);
    const outcome =
      known ??
      (segment.adopted
        ? await awaitAdopted(run, segment, taskId)
        : await awaitOutcome(run, segment, attempt, taskId, expectCallback));
    if (outcome.state === 'success') {
      chain.succeeded(segment, outcome, outcome.by);
      if (input.options.deliver) archive(run, segment);
      run.segmentsThisRun++;
      return;
    }
    const classified = patched(CLASSIFY_TASK_FAILURES);
    const kind =
      providerOf(input) === 'runwayml' ? classifyRunwayMlFailure(outcome) : classifyTaskFailure(outcome);
    chain.taskFailed(segment, outcome, classified ? kind : undefined);
    if (classified && kind !== 'transient') throw refusal(segment, outcome, kind);
    if (segment.failures > input.options.maxTaskFailures) {
      const said = `${outcome.failCode ?? ''} ${outcome.failMsg ?? 'no reason'}`.trim();
      throw new PauseChain(
        `segment ${segment.index} failed ${segment.failures} times; the provider said: ${said}`,
        'failure budget',
      );
    }
    if (classified) {
      // Back off before paying again; a pause or a redo cuts the wait short.
      const backoffMs = Math.min(
        input.options.pollIntervalMs * 2 ** (segment.failures - 1),
        MAX_RESUBMIT_BACKOFF_MS,
      );
      await condition(() => chain.paused !== undefined || run.redosWaiting > 0, backoffMs);
    }
  } finally {
    run.inFlight = undefined;
  }
}

/** A task failure that paying again cannot cure: pause with the provider's words and the way out. */
function refusal(segment: SegmentState, outcome: TaskOutcome, kind: TaskFailureKind): PauseChain {
  const id = workflowInfo().workflowId;
  const what = `segment ${segment.index}: task ${outcome.taskId} failed`;
  const code = outcome.failCode ? ` (failCode ${outcome.failCode})` : '';
  const said = outcome.failMsg
    ? `the provider said ${quote(outcome.failMsg)}${code}`
    : `no reason given${code}`;
  const redo = `\`long-video redo ${id} --from ${segment.index} --prompt "…"\``;
  const resume = `\`long-video resume ${id}\``;
  if (kind === 'input') {
    return new PauseChain(
      `${what}: the provider refused its input: ${said}. Nothing more was paid: give the segment a new prompt with ${redo}.`,
      'provider (input refused)',
    );
  }
  if (kind === 'plan') {
    return new PauseChain(
      `${what}: ${said}, a limit of the provider account's plan. Change the plan (or the chain's quality), then ${resume}.`,
      'provider (plan limit)',
    );
  }
  return new PauseChain(
    `${what}: ${said}, a reason not known to pass by itself. Nothing more was paid: ${resume} pays for one ` +
      `more try, ${redo} changes the prompt.`,
    'provider (unknown failure)',
  );
}
