/**
 * The long-video chain: generate segment 1, wait until it succeeds, then extend the previous segment's
 * task once per further prompt. Each wait is a race between the provider's callback (a signal from our
 * receiver) and a poll on the provider queue; a task that fails is resubmitted a few times; a create whose
 * answer was lost is never blindly resubmitted.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createProviderActivities, SubmitResult } from '../activities/provider';
import {
  type ChainProgress,
  FailureTypes,
  PROVIDER_TASK_QUEUE,
  type ResolvedInput,
  type SegmentState,
  type TaskFinishedSignal,
  type TaskOutcome,
  parseLongVideoInput,
  progressQuery,
  taskFinishedSignal,
} from './definitions';
import { ChainView } from './chain-view';

type ProviderActivities = ReturnType<typeof createProviderActivities>;

export async function longVideo(rawInput: unknown): Promise<ChainProgress> {
  const input = validate(rawInput);
  const view = new ChainView(input);
  const callbacks = new Map<string, TaskFinishedSignal>();
  setHandler(progressQuery, () => view.progress());
  setHandler(taskFinishedSignal, (s) => void callbacks.set(`${s.segment}:${s.attempt}`, s));

  const { submitGeneration, submitExtension } = proxyActivities<ProviderActivities>({
    taskQueue: PROVIDER_TASK_QUEUE,
    startToCloseTimeout: input.options.providerCallTimeoutMs,
    // Only refusals that created nothing come back as retryable (429, maintenance, connection refused).
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2m' },
  });
  const { awaitTaskResult } = proxyActivities<ProviderActivities>({
    taskQueue: PROVIDER_TASK_QUEUE,
    startToCloseTimeout: input.options.providerCallTimeoutMs,
    retry: {
      initialInterval: input.options.pollIntervalMs,
      backoffCoefficient: 1,
      nonRetryableErrorTypes: ['NotFoundError', 'UnauthorizedError'],
    },
  });

  /**
   * Submit one create for `segment`; on an ambiguous answer, look for that create's callback before
   * deciding anything. Answers the task id and the attempt it belongs to.
   */
  async function submit(
    segment: SegmentState,
    attempt: number,
    previousTaskId?: string,
  ): Promise<{ taskId: string; attempt: number }> {
    view.submitting(segment, attempt);
    const target = { workflowId: workflowInfo().workflowId, segment: segment.index, attempt };
    const label = `${previousTaskId ? 'extend' : 'generate'} ${segment.index}/${input.prompts.length}`;
    let result: SubmitResult;
    try {
      result = previousTaskId
        ? await submitExtension.executeWithOptions({ summary: label }, [
            {
              ...target,
              request: {
                taskId: previousTaskId,
                prompt: segment.prompt,
                quality: input.quality,
                waterMark: input.waterMark,
              },
            },
          ])
        : await submitGeneration.executeWithOptions({ summary: label }, [
            { ...target, request: generateRequest(input, segment.prompt) },
          ]);
    } catch (err) {
      const failure = applicationFailure(err);
      if (failure?.type !== FailureTypes.AmbiguousCreate) throw err;
      const [{ callbacks: usesCallbacks }] = failure.details as [{ callbacks: boolean }];
      const key = `${segment.index}:${attempt}`;
      const isOurs = () => {
        const c = callbacks.get(key);
        return c !== undefined && c.prompt === segment.prompt && c.parentTaskId === (previousTaskId ?? '');
      };
      if (usesCallbacks && (await condition(isOurs, input.options.callbackGraceMs))) {
        return { taskId: callbacks.get(key)!.taskId, attempt }; // the task exists after all: adopt it
      }
      if (input.options.ambiguousCreatePolicy === 'resubmit')
        return submit(segment, attempt + 1, previousTaskId);
      throw ApplicationFailure.create({
        type: FailureTypes.AmbiguousCreate,
        nonRetryable: true,
        message:
          `segment ${segment.index}: ${failure.message}. No callback arrived within ` +
          `${input.options.callbackGraceMs} ms; check the provider's dashboard or ledger for a task with ` +
          `prompt "${segment.prompt.slice(0, 60)}" before resuming, to avoid paying twice.`,
      });
    }
    return { taskId: result.taskId, attempt };
  }

  /** Wait for a task's end: the callback for this create, or a poll, whichever comes first. */
  async function awaitOutcome(
    segment: SegmentState,
    attempt: number,
    taskId: string,
  ): Promise<TaskOutcome & { by: 'callback' | 'poll' }> {
    const key = `${segment.index}:${attempt}`;
    const scope = new CancellationScope();
    const polled = scope.run(() =>
      awaitTaskResult.executeWithOptions({ summary: `await ${segment.index}/${input.prompts.length}` }, [
        { taskId },
      ]),
    );
    polled.catch(() => undefined); // cancelled when the callback wins
    const signalled = condition(() => callbacks.get(key)?.taskId === taskId);
    const winner = await Promise.race([
      polled.then((o) => ({ ...o, by: 'poll' as const })),
      signalled.then(() => ({ ...callbacks.get(key)!, by: 'callback' as const })),
    ]);
    scope.cancel();
    return winner;
  }

  try {
    let previousTaskId: string | undefined;
    for (const segment of view.segments) {
      for (let failures = 0; ;) {
        const { taskId, attempt } = await submit(segment, segment.attempts + 1, previousTaskId);
        view.generating(segment, taskId);
        const outcome = await awaitOutcome(segment, attempt, taskId);
        if (outcome.state === 'success') {
          view.succeeded(segment, outcome, outcome.by);
          break;
        }
        view.taskFailed(segment, outcome);
        if (++failures > input.options.maxTaskFailures) {
          throw ApplicationFailure.create({
            type: 'TaskFailed',
            nonRetryable: true,
            message:
              `segment ${segment.index} failed ${failures} times; the provider said: ${outcome.failCode ?? ''} ${outcome.failMsg ?? 'no reason'}`.trim(),
          });
        }
      }
      previousTaskId = segment.taskId;
    }
    view.finish('completed');
    return view.progress();
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => view.finish('cancelled', 'cancelled by request'));
      throw err;
    }
    const reason = applicationFailure(err)?.message ?? (err as Error).message;
    view.finish('failed', reason);
    throw ApplicationFailure.create({
      type: 'ChainFailed',
      nonRetryable: true,
      message: reason,
      details: [view.progress()],
    });
  }
}

function validate(rawInput: unknown): ResolvedInput {
  try {
    return parseLongVideoInput(rawInput);
  } catch (err) {
    throw ApplicationFailure.create({
      type: 'InvalidChainInput',
      nonRetryable: true,
      message: (err as Error).message,
    });
  }
}

function generateRequest(input: ResolvedInput, prompt: string) {
  return {
    prompt,
    duration: input.duration,
    quality: input.quality,
    ...(input.imageUrl ? { imageUrl: input.imageUrl } : { aspectRatio: input.aspectRatio }),
    ...(input.waterMark ? { waterMark: input.waterMark } : {}),
  };
}

/** The ApplicationFailure behind an activity's failure, if that is what it is. */
function applicationFailure(err: unknown): ApplicationFailure | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? cause : undefined;
}
