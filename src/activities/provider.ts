/**
 * The providers' calls as activities, run on the provider task queues (rate-limited across all workers):
 * thin adapters over the clients that turn their errors into the failures the workflow acts on.
 *
 * Never pay twice: every create follows `createOnce` (create-once.ts): it heartbeats `sending` before the
 * request and the task id the moment it arrives; a retried attempt that finds a task id answers it, one
 * that finds `sending` (or nothing at all) reports an ambiguous create instead of sending again. A create
 * once sent is not aborted when its chain is cancelled: it finishes, and the chain keeps its task.
 *
 * The reseller's activities are here; the official API's (image_to_video from a first or last frame, its
 * reads and cancels) are in provider-runwayml.ts. A worker without a provider's key fails that provider's
 * activities with a non-retryable error naming the setting.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { type ExtendRequest, type GenerateRequest } from '../chain/requests';
import { ProtocolError, RunwayError } from '../provider/errors';
import { RunwayClient } from '../provider/client';
import { type TaskDetail } from '../provider/answers';
import { callbackUrl } from '../provider/callback-tokens';
import { FailureTypes } from '../chain/failure-types';
import { type TaskOutcome } from '../chain/task-outcome';
import { type ProviderName } from '../chain/providers';
import type { RunwayMlClient } from '../provider/runwayml/client';
import { type CreateRecord, createOnce, toFailure } from './create-once';
import { createRunwayMlActivities, notConfigured, readRunwayMlTask } from './provider-runwayml';

export { toFailure };

export interface ProviderDeps {
  /** The reseller's client (RUNWAY_API_KEY); absent when this worker has no key for it. */
  client?: RunwayClient;
  /** The official API's client (RUNWAYML_API_SECRET); absent when this worker has no key for it. */
  runwayml?: RunwayMlClient;
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

export function createProviderActivities(deps: ProviderDeps) {
  const reseller = (): RunwayClient => deps.client ?? notConfigured('kie-runway');

  async function submit<R extends object>(
    input: SubmitInput<R>,
    send: (request: R & { callBackUrl?: string }, signal: AbortSignal) => Promise<string>,
  ): Promise<SubmitResult> {
    const ctx = Context.current();
    const callbacks = Boolean(deps.callbacks);
    const callBackUrl = deps.callbacks && callbackUrl(deps.callbacks.publicUrl, deps.callbacks.secret, input);
    const taskId = await createOnce(ctx, {
      recorded: ctx.info.heartbeatDetails as CreateRecord | undefined,
      freshStart: ctx.info.attempt === 1,
      record: (r) => ctx.heartbeat(r),
      send: (signal) => send({ ...input.request, ...(callBackUrl ? { callBackUrl } : {}) }, signal),
      ambiguous: (reason) => ambiguous(reason, callbacks),
      flushMs: deps.heartbeatFlushMs,
    });
    return { taskId, callbacks };
  }

  return {
    ...createRunwayMlActivities(deps),

    async submitGeneration(input: SubmitInput<Omit<GenerateRequest, 'callBackUrl'>>): Promise<SubmitResult> {
      return submit(input, (request, signal) => reseller().generate(request, { signal }));
    },

    async submitExtension(input: SubmitInput<Omit<ExtendRequest, 'callBackUrl'>>): Promise<SubmitResult> {
      return submit(input, (request, signal) => reseller().extend(request, { signal }));
    },

    /**
     * One look at a task. Unfinished is a retryable failure, so that the activity's retry policy does the
     * polling: no history events until the task is done, and every look obeys the provider queue's limit.
     */
    async awaitTaskResult(input: { taskId: string; provider?: ProviderName }): Promise<TaskOutcome> {
      if (input.provider === 'runwayml') {
        return readRunwayMlTask(deps.runwayml ?? notConfigured('runwayml'), input.taskId);
      }
      let detail: TaskDetail;
      try {
        detail = await reseller().recordDetail(input.taskId, {
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

function ambiguous(reason: string, callbacks: boolean): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.AmbiguousCreate,
    message: `the create may have made a paid task whose id we do not have: ${reason}`,
    nonRetryable: true,
    details: [{ callbacks }],
  });
}
