/**
 * The official Runway API's activities: a segment is one image_to_video whose `promptImage` is
 *   - segment 1: the chain's `imageUrl`, else a first frame made by text_to_image (paid, so it follows the
 *     never-pay-twice protocol too, and the activity waits for it, recording its task id in the heartbeat:
 *     a retried attempt resumes that task and never pays for the image twice; a cancel of the chain once
 *     the image is made ends the activity with `FirstFrameWithoutVideo`, so that the chain counts it);
 *   - later segments: the exact last frame of the previous segment's archived file, as a data URI.
 * (segment 1's image is its own create, `submitTextToImage`, in chains since `first-frame-own-create`;
 * the images themselves are made ready in first-frame.ts). Reads map the task's status into the chain's
 * `TaskOutcome`; a cancel DELETEs a task still in flight. Creates are never retried blindly
 * (create-once.ts); reads may be.
 */
import { Context, sleep } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { FailureTypes } from '../chain/failure-types';
import { PROVIDER_KEY_SETTING, type ProviderName } from '../chain/providers';
import type { ImageToVideoRequest, TextToImageRequest } from '../chain/requests-runwayml';
import type { TaskOutcome } from '../chain/task-outcome';
import { NotFoundError, ProtocolError, RunwayError } from '../provider/errors';
import type { RunwayMlClient } from '../provider/runwayml/client';
import { viewRunwayMlTask } from '../provider/runwayml/task-status';
import { type CreateRecord, createOnce, toFailure } from './create-once';
import { firstFrameImage, lastFrameUri } from './first-frame';
import type { ProviderDeps, SubmitResult } from './provider';

/** Where segment k's first frame comes from. */
export type FirstFrame =
  | { imageUrl: string }
  | { lastFrameOf: string }
  | { textToImage: TextToImageRequest; pollIntervalMs: number }
  /** A text_to_image task already made (its create's answer was lost, and an operator adopted it). */
  | { imageTaskId: string; pollIntervalMs: number };

export interface ImageToVideoInput {
  workflowId: string;
  segment: number;
  attempt: number;
  /** The request but its image, which the activity makes (a data URI is too large for the history). */
  request: Omit<ImageToVideoRequest, 'promptImage'>;
  firstFrame: FirstFrame;
}

/** Whether the first frame is a text_to_image task of ours (made here, or adopted), recorded in the heartbeat. */
const fromImageTask = (f: FirstFrame) => 'textToImage' in f || 'imageTaskId' in f;

/** What an attempt of `submitImageToVideo` recorded: the first frame's create, then the video's. */
interface ImageToVideoHeartbeat {
  image?: CreateRecord;
  video?: CreateRecord;
}

/** The non-retryable failure of a provider this worker has no key for. */
export function notConfigured(provider: ProviderName): never {
  throw ApplicationFailure.create({
    type: FailureTypes.ProviderNotConfigured,
    message: `this worker has no key for provider ${provider}: set ${PROVIDER_KEY_SETTING[provider]} on the worker`,
    nonRetryable: true,
  });
}

export function createRunwayMlActivities(deps: ProviderDeps) {
  const client = (): RunwayMlClient => deps.runwayml ?? notConfigured('runwayml');

  return {
    /** Start segment `input.segment`'s image_to_video (its first frame made first when needed). */
    async submitImageToVideo(input: ImageToVideoInput): Promise<SubmitResult> {
      const api = client();
      const ctx = Context.current();
      const recorded = (ctx.info.heartbeatDetails ?? undefined) as ImageToVideoHeartbeat | undefined;
      const state: ImageToVideoHeartbeat = { ...recorded };
      const beat = (part: Partial<ImageToVideoHeartbeat>) => {
        Object.assign(state, part);
        ctx.heartbeat({ ...state });
      };
      const ambiguous = (reason: string) => ambiguousCreate(reason);
      if (state.video?.phase === 'created') return { taskId: state.video.taskId, callbacks: false };
      if (state.video?.phase === 'sending') {
        throw ambiguous('an earlier attempt stopped while its create was in flight');
      }
      const { firstFrame } = input;
      let promptImage: string;
      if ('textToImage' in firstFrame) {
        const imageTaskId = await createOnce(ctx, {
          recorded: state.image,
          freshStart: ctx.info.attempt === 1,
          record: (image) => beat({ image }),
          send: (signal) => api.textToImage(firstFrame.textToImage, { signal }),
          ambiguous: (reason) => ambiguousCreate(`the first frame's text_to_image: ${reason}`, true),
          flushMs: deps.heartbeatFlushMs,
        });
        // The image is paid for from here on: a cancel of the chain stops the wait and sends no video, but
        // says which image was made, so that the chain counts it (its spend stays the provider's ledger).
        const cancelled = () => ctx.cancellationDetails?.cancelRequested === true;
        try {
          promptImage = await firstFrameImage(api, imageTaskId, firstFrame.pollIntervalMs, () => beat({}));
          // The video's `sending` must leave at once (unthrottled): nothing recorded after the image then
          // proves that no video create was sent.
          await sleep(deps.heartbeatFlushMs);
        } catch (err) {
          throw cancelled() ? firstFrameWithoutVideo(imageTaskId) : err;
        }
        if (cancelled()) throw firstFrameWithoutVideo(imageTaskId);
      } else if ('imageTaskId' in firstFrame) {
        // Recorded as this attempt's image, so that a retried attempt knows it got no further than here.
        const image: CreateRecord = { phase: 'created', taskId: firstFrame.imageTaskId };
        promptImage = await firstFrameImage(api, firstFrame.imageTaskId, firstFrame.pollIntervalMs, () =>
          beat({ image }),
        );
        await sleep(deps.heartbeatFlushMs); // as above: the video's `sending` leaves at once
      } else if ('lastFrameOf' in firstFrame) {
        promptImage = await lastFrameUri(firstFrame.lastFrameOf, ctx.cancellationSignal);
      } else {
        promptImage = firstFrame.imageUrl;
      }
      const taskId = await createOnce(ctx, {
        recorded: state.video,
        // An earlier attempt that recorded its first frame's task stopped before the video's create.
        freshStart: ctx.info.attempt === 1 || (fromImageTask(firstFrame) && recorded?.image !== undefined),
        record: (video) => beat({ video }),
        send: (signal) =>
          api.imageToVideo({ ...input.request, promptImage } as ImageToVideoRequest, { signal }),
        ambiguous,
        flushMs: deps.heartbeatFlushMs,
      });
      return { taskId, callbacks: false };
    },

    /**
     * Create segment 1's first frame (text_to_image) and answer its task id at once: the chain counts the
     * image the moment it is paid, and its clip's create (`submitImageToVideo` with `imageTaskId`) waits for
     * it. The same never-pay-twice protocol as every create.
     */
    async submitTextToImage(input: {
      workflowId: string;
      segment: number;
      attempt: number;
      request: TextToImageRequest;
    }): Promise<SubmitResult> {
      const api = client();
      const ctx = Context.current();
      const taskId = await createOnce(ctx, {
        recorded: ctx.info.heartbeatDetails as CreateRecord | undefined,
        freshStart: ctx.info.attempt === 1,
        record: (r) => ctx.heartbeat(r),
        send: (signal) => api.textToImage(input.request, { signal }),
        ambiguous: (reason) => ambiguousCreate(`the first frame's text_to_image: ${reason}`, true),
        flushMs: deps.heartbeatFlushMs,
      });
      return { taskId, callbacks: false };
    },

    /**
     * Cancel a task in flight at the provider (best effort: one already gone is fine). The API's DELETE
     * cancels a task still in flight but *deletes* a finished one, its paid output with it: a task found
     * finished is left alone and said so (`finished`), for the chain to keep.
     */
    async cancelProviderTask(input: {
      taskId: string;
      provider: ProviderName;
    }): Promise<{ cancelled: boolean; finished?: boolean }> {
      if (input.provider !== 'runwayml') return { cancelled: false };
      const signal = Context.current().cancellationSignal;
      try {
        const view = viewRunwayMlTask(await client().getTask(input.taskId, { signal }), 'video');
        if (view.state === 'success' || view.state === 'fail') return { cancelled: false, finished: true };
        await client().cancelTask(input.taskId, { signal });
        return { cancelled: true };
      } catch (err) {
        if (err instanceof NotFoundError) return { cancelled: false };
        throw err instanceof RunwayError ? toFailure(err) : err;
      }
    },
  };
}

/** One look at an image_to_video task, as `awaitTaskResult` answers for the reseller's tasks. */
export async function readRunwayMlTask(api: RunwayMlClient, taskId: string): Promise<TaskOutcome> {
  let task;
  try {
    task = await api.getTask(taskId, { signal: Context.current().cancellationSignal });
  } catch (err) {
    if (err instanceof ProtocolError) throw unreadable(err.message);
    throw err instanceof RunwayError ? toFailure(err) : err;
  }
  const view = viewRunwayMlTask(task, 'video');
  switch (view.state) {
    case 'waiting':
      throw ApplicationFailure.create({
        type: FailureTypes.TaskNotFinished,
        message: `task ${taskId} is ${view.status}${view.progress === undefined ? '' : ` (${Math.round(view.progress * 100)}%)`}`,
        category: ApplicationFailureCategory.BENIGN,
      });
    case 'success':
    case 'fail':
      return view.outcome;
    case 'cancelled':
      // Not by this chain (its cancel ends its wait first): someone cancelled it at the provider.
      return {
        taskId,
        state: 'fail',
        failCode: 'CANCELLED',
        failMsg: 'the task was cancelled at the provider',
      };
    case 'unreadable':
      throw unreadable(`task ${taskId}: ${view.reason}`);
  }
}

function unreadable(message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.UnreadableAnswer,
    message,
    nonRetryable: true,
    details: [{ attempt: Context.current().info.attempt }],
  });
}

function firstFrameWithoutVideo(imageTaskId: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.FirstFrameWithoutVideo,
    message: `the chain was cancelled after its first frame was made: image task ${imageTaskId} is paid for, no video was sent`,
    nonRetryable: true,
    details: [{ imageTaskId }],
  });
}

/** `firstFrame`: the lost create was the first frame's text_to_image (an operator may adopt that image). */
function ambiguousCreate(reason: string, firstFrame = false): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.AmbiguousCreate,
    message: `the create may have made a paid task whose id we do not have: ${reason}`,
    nonRetryable: true,
    details: [{ callbacks: false, ...(firstFrame ? { firstFrame } : {}) }],
  });
}
