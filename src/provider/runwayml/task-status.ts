/**
 * A task answer of the official API in the chain's words (pure). PENDING, THROTTLED and RUNNING are still
 * waiting (THROTTLED is the account's concurrency limit queueing the task, not an error), and so is a status
 * we do not know; SUCCEEDED with an output URL is a success; SUCCEEDED without one is an answer we cannot
 * use (never a reason to pay again); FAILED is classed by its `failureCode`; CANCELLED is cancelled.
 */
import type { TaskOutcome } from '../../chain/task-outcome';
import type { TaskFailureKind } from '../../chain/task-failures';
import { classifyRunwayMlFailure } from '../../chain/task-failures-runwayml';
import type { RunwayMlTask } from './answers';

export type RunwayMlTaskView =
  | {
      state: 'waiting';
      /** The status as it came (upper case). */
      status: string;
      /** False for a status the API does not document: we keep polling, and say so. */
      known: boolean;
      throttled: boolean;
      /** 0 to 1, when the API said. */
      progress?: number;
    }
  | { state: 'success'; outcome: TaskOutcome }
  | { state: 'fail'; outcome: TaskOutcome; kind: TaskFailureKind }
  | { state: 'cancelled'; taskId: string }
  | { state: 'unreadable'; taskId: string; reason: string };

const WAITING = new Set(['PENDING', 'THROTTLED', 'RUNNING']);

/** `output` (what the task made) is a video for image_to_video, an image for text_to_image. */
export function viewRunwayMlTask(task: RunwayMlTask, made: 'video' | 'image' = 'video'): RunwayMlTaskView {
  const taskId = task.id;
  switch (task.status) {
    case 'SUCCEEDED': {
      const url = task.output?.[0];
      if (!url) return { state: 'unreadable', taskId, reason: 'SUCCEEDED without an output URL' };
      if (!isHttpUrl(url))
        return { state: 'unreadable', taskId, reason: 'SUCCEEDED with an output that is no URL' };
      const outcome: TaskOutcome = {
        taskId,
        state: 'success',
        ...(made === 'video' ? { videoUrl: url } : { imageUrl: url }),
      };
      return { state: 'success', outcome };
    }
    case 'FAILED': {
      const outcome = withoutUndefined<TaskOutcome>({
        taskId,
        state: 'fail',
        failCode: task.failureCode || undefined,
        failMsg: task.failure || undefined,
      });
      return { state: 'fail', outcome, kind: classifyRunwayMlFailure(outcome) };
    }
    // The SDK spells it CANCELLED; one of Runway's own guides writes CANCELED.
    case 'CANCELLED':
    case 'CANCELED':
      return { state: 'cancelled', taskId };
    default:
      return withoutUndefined({
        state: 'waiting' as const,
        status: task.status,
        known: WAITING.has(task.status),
        throttled: task.status === 'THROTTLED',
        progress: fraction(task.progress),
      });
  }
}

/** Progress as 0 to 1: the API sends a fraction; a percentage (over 1, up to 100) is scaled. */
function fraction(p: number | undefined): number | undefined {
  if (p === undefined || p < 0) return undefined;
  if (p <= 1) return p;
  return p <= 100 ? p / 100 : undefined;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname.length > 0;
  } catch {
    return false;
  }
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
