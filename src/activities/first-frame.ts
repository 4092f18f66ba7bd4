/**
 * The images a clip on the official API starts from: segment 1's first frame (a text_to_image task of
 * ours, awaited and downloaded: the API's output URLs expire) and a later segment's exact last frame of the
 * previous archived clip, each as a data URI under the API's limit.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Context, sleep } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../chain/failure-types';
import { extractLastFrame, imageDataUri } from '../media/last-frame';
import { NotFoundError, RunwayError } from '../provider/errors';
import type { RunwayMlClient } from '../provider/runwayml/client';
import { viewRunwayMlTask } from '../provider/runwayml/task-status';
import { toFailure } from './create-once';

/** The largest first frame we download from the API's own output. */
const MAX_IMAGE_BYTES = 16 * 1024 * 1024;

/** Wait for the first frame's text_to_image task (heartbeating); answers the image as a data URI. */
export async function firstFrameImage(
  api: RunwayMlClient,
  taskId: string,
  pollIntervalMs: number,
  heartbeat: () => void,
): Promise<string> {
  const signal = Context.current().cancellationSignal;
  for (;;) {
    heartbeat();
    let task;
    try {
      task = await api.getTask(taskId, { signal });
    } catch (err) {
      if (err instanceof NotFoundError) throw imageGone(taskId, 'the task is gone at the provider');
      // A retried attempt reads the same task again (its id is in the heartbeat): nothing is paid again.
      throw err instanceof RunwayError ? toFailure(err) : err;
    }
    const view = viewRunwayMlTask(task, 'image');
    if (view.state === 'success') return downloadedImageUri(taskId, view.outcome.imageUrl!, signal);
    if (view.state !== 'waiting') {
      const said =
        view.state === 'fail'
          ? `${view.outcome.failCode ?? ''} ${view.outcome.failMsg ?? ''}`.trim() || 'no reason given'
          : view.state === 'cancelled'
            ? 'it was cancelled'
            : view.reason;
      throw ApplicationFailure.create({
        type: FailureTypes.FirstFrameFailed,
        message: `the first frame (text_to_image task ${taskId}) was not made: ${said}`,
        nonRetryable: true,
        details: [{ taskId, kind: view.state === 'fail' ? view.kind : 'unknown' }],
      });
    }
    await sleep(pollIntervalMs);
  }
}

/**
 * A first frame made earlier that can no longer be had (its output expired, its task deleted): the chain
 * makes another, within its failure budget, as for a transient failure.
 */
function imageGone(taskId: string, why: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.FirstFrameFailed,
    message: `the first frame (text_to_image task ${taskId}) can no longer be had: ${why}`,
    nonRetryable: true,
    details: [{ taskId, kind: 'transient' }],
  });
}

/** The API's image output as a data URI (its URLs expire, and may not be ones the API fetches from). */
async function downloadedImageUri(taskId: string, url: string, signal: AbortSignal): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(30_000)]) });
  if (res.status >= 400 && res.status < 500) {
    throw imageGone(taskId, `its output answered HTTP ${res.status} (expired?)`);
  }
  if (!res.ok) throw new Error(`downloading the first frame answered HTTP ${res.status}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  if (bytes.length > MAX_IMAGE_BYTES) throw new Error('the first frame is larger than 16 MB');
  return withTempDir(async (dir) => {
    const file = path.join(dir, 'first-frame');
    await writeFile(file, bytes);
    return imageDataUri(file, undefined, signal);
  });
}

/** The exact last frame of an archived clip, as a data URI under the API's limit. */
export async function lastFrameUri(video: string, signal: AbortSignal): Promise<string> {
  return withTempDir(async (dir) => {
    const frame = path.join(dir, 'last-frame.png');
    await extractLastFrame(video, frame, signal);
    return imageDataUri(frame, undefined, signal);
  });
}

async function withTempDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'long-video-runwayml-'));
  try {
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
