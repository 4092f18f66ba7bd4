/**
 * The provider's calls as activities, run on the provider task queue (rate-limited across all workers):
 * thin adapters over the client that turn its errors into the failures the workflow acts on.
 *
 * Never pay twice: a create heartbeats `sending` before the request and the task id the moment it
 * arrives. A retried attempt that finds a task id answers it; one that finds `sending`, or nothing at all,
 * cannot know whether a task was made, and reports an ambiguous create instead of sending again. A create
 * once sent is not aborted when its chain is cancelled: it finishes, and the chain keeps its task.
 */
import { Context, sleep } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { type ExtendRequest, type GenerateRequest } from '../chain/requests';
import { ProtocolError, RunwayError } from '../provider/errors';
import { RunwayClient } from '../provider/client';
import { type TaskDetail } from '../provider/answers';
import { callbackUrl } from '../provider/callback-tokens';
import { FailureTypes } from '../chain/failure-types';
import { type TaskOutcome } from '../chain/task-outcome';

export interface ProviderDeps {
  client: RunwayClient;
  /** Set when the provider can reach our callback receiver. */
  callbacks?: { publicUrl: string; secret: string };
  /** How long a heartbeat may take to reach the server (the provider worker's heartbeat throttle). */
  heartbeatFlushMs: number;
}

export interface SubmitInput<R> {
  workflowId: string;
  segment: number;
  /** The workflow's attempt for this segment (not the activity's): it names the callback URL. */
  attempt: number;
  request: R;
}

export interface SubmitResult {
  /** This attempt's answer, or the one an earlier attempt recorded in its heartbeat. */
  taskId: string;
  callbacks: boolean;
}

type SubmitHeartbeat = { phase: 'sending' } | { phase: 'created'; taskId: string } | { phase: 'not-created' };

export function createProviderActivities(deps: ProviderDeps) {
  async function submit<R extends object>(
    input: SubmitInput<R>,
    send: (request: R & { callBackUrl?: string }, signal: AbortSignal) => Promise<string>,
  ): Promise<SubmitResult> {
    const ctx = Context.current();
    const callbacks = Boolean(deps.callbacks);
    const recorded = ctx.info.heartbeatDetails as SubmitHeartbeat | undefined;
    if (recorded?.phase === 'created') return { taskId: recorded.taskId, callbacks };
    if (recorded?.phase === 'sending') {
      throw ambiguous('an earlier attempt stopped while its create was in flight', callbacks);
    }
    // A heartbeat is not acknowledged: an attempt killed right after sending may not have recorded even
    // `sending`. Only a first attempt, or one after a recorded `not-created`, may send.
    if (!recorded && ctx.info.attempt > 1) {
      throw ambiguous('an earlier attempt stopped before it recorded whether its create was sent', callbacks);
    }
    const callBackUrl = deps.callbacks && callbackUrl(deps.callbacks.publicUrl, deps.callbacks.secret, input);
    ctx.heartbeat({ phase: 'sending' } satisfies SubmitHeartbeat);
    let taskId: string;
    try {
      taskId = await send(
        { ...input.request, ...(callBackUrl ? { callBackUrl } : {}) },
        abortedOnlyByStop(ctx),
      );
    } catch (err) {
      if (!(err instanceof RunwayError) || err.createOutcome === 'may-have-created') {
        throw ambiguous((err as Error).message, callbacks);
      }
      // Nothing was created: say so before failing, so that a retry may send again.
      ctx.heartbeat({ phase: 'not-created' } satisfies SubmitHeartbeat);
      await sleep(deps.heartbeatFlushMs);
      throw toFailure(err);
    }
    ctx.heartbeat({ phase: 'created', taskId } satisfies SubmitHeartbeat);
    return { taskId, callbacks };
  }

  return {
    async submitGeneration(input: SubmitInput<Omit<GenerateRequest, 'callBackUrl'>>): Promise<SubmitResult> {
      return submit(input, (request, signal) => deps.client.generate(request, { signal }));
    },

    async submitExtension(input: SubmitInput<Omit<ExtendRequest, 'callBackUrl'>>): Promise<SubmitResult> {
      return submit(input, (request, signal) => deps.client.extend(request, { signal }));
    },

    /**
     * One look at a task. Unfinished is a retryable failure, so that the activity's retry policy does the
     * polling: no history events until the task is done, and every look obeys the provider queue's limit.
     */
    async awaitTaskResult(input: { taskId: string }): Promise<TaskOutcome> {
      let detail: TaskDetail;
      try {
        detail = await deps.client.recordDetail(input.taskId, {
          signal: Context.current().cancellationSignal,
        });
      } catch (err) {
        // An answer we cannot read is not retried here: the workflow counts them and pauses the chain
        // after a few in a row, instead of polling for ever a task that is paid for.
        if (err instanceof ProtocolError) {
          throw ApplicationFailure.create({
            type: FailureTypes.UnreadableAnswer,
            message: err.message,
            nonRetryable: true,
            // An attempt after the first read other answers before this one: it is not one in a row.
            details: [{ attempt: Context.current().info.attempt }],
          });
        }
        throw err instanceof RunwayError ? toFailure(err) : err;
      }
      if (detail.state !== 'success' && detail.state !== 'fail') {
        throw ApplicationFailure.create({
          type: FailureTypes.TaskNotFinished,
          message: `task ${input.taskId} is ${detail.state}`,
          category: ApplicationFailureCategory.BENIGN, // expected: logged at DEBUG, not as a warning
        });
      }
      return outcomeOf(detail);
    },
  };
}

/** A finished task as the chain sees it; fields the provider left out stay out (undefined is not sent). */
export function outcomeOf(detail: TaskDetail): TaskOutcome {
  const outcome: TaskOutcome = {
    taskId: detail.taskId,
    state: detail.state === 'success' ? 'success' : 'fail',
    parentTaskId: detail.parentTaskId,
    // An empty prompt is no prompt: nobody pays for one, so it says nothing about whose task this is.
    prompt: detail.generateParam?.prompt || undefined,
    videoUrl: detail.videoInfo?.videoUrl || undefined,
    imageUrl: detail.videoInfo?.imageUrl || undefined,
    failCode: detail.failCode,
    failMsg: detail.failMsg,
  };
  return Object.fromEntries(Object.entries(outcome).filter(([, v]) => v !== undefined)) as TaskOutcome;
}

/**
 * The signal a sent create obeys: a cancel of the chain lets it finish (the chain records its task, so a
 * resumed chain awaits it instead of paying again); only a worker stopping, or an attempt the server has
 * given up on, abandons it.
 */
function abortedOnlyByStop(ctx: Context): AbortSignal {
  const controller = new AbortController();
  ctx.cancelled.catch(() => {
    if (!ctx.cancellationDetails?.cancelRequested) controller.abort();
  });
  return controller.signal;
}

function ambiguous(reason: string, callbacks: boolean): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.AmbiguousCreate,
    message: `the create may have made a paid task whose id we do not have: ${reason}`,
    nonRetryable: true,
    details: [{ callbacks }],
  });
}

/** The provider's error as a Temporal failure: retryable or not, and when to try again. */
export function toFailure(err: RunwayError): ApplicationFailure {
  const retryable = err.retryable;
  return ApplicationFailure.create({
    type: err.name,
    message: err.message,
    nonRetryable: !retryable,
    nextRetryDelay: err.retryAfterMs ?? (err.code === 455 ? 60_000 : undefined),
    details: [{ code: err.code ?? null }],
  });
}
