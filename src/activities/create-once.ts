/**
 * Never pay twice: the protocol every paid create follows, whichever provider it goes to.
 *
 * A create heartbeats `sending` before the request and the task id the moment it arrives. A retried
 * attempt that finds a task id answers it; one that finds `sending`, or nothing at all where something
 * should be, cannot know whether a task was made, and reports an ambiguous create instead of sending
 * again. A create refused outright (nothing made) records `not-created` first, so that a retry may send.
 * A create once sent is not aborted when its chain is cancelled: it finishes, and the chain keeps its task.
 */
import { type Context, sleep } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { RunwayError } from '../provider/errors';

/** What an attempt recorded (in its heartbeat) about one create. */
export type CreateRecord =
  { phase: 'sending' } | { phase: 'created'; taskId: string } | { phase: 'not-created' };

export interface CreateOnce {
  /** What earlier attempts recorded about this create; undefined when nothing. */
  recorded: CreateRecord | undefined;
  /**
   * Whether nothing recorded proves nothing was sent: true for a first attempt, or when an earlier
   * attempt's record shows it stopped before this create (a heartbeat is not acknowledged: an attempt
   * killed right after sending may not have recorded even `sending`).
   */
  freshStart: boolean;
  /** Heartbeat this record (with whatever else the activity keeps in its heartbeat). */
  record(record: CreateRecord): void;
  send(signal: AbortSignal): Promise<string>;
  ambiguous(reason: string): ApplicationFailure;
  /** How long a heartbeat may take to reach the server. */
  flushMs: number;
}

/** One create under the protocol; answers its task id (this attempt's, or one recorded earlier). */
export async function createOnce(ctx: Context, c: CreateOnce): Promise<string> {
  if (c.recorded?.phase === 'created') return c.recorded.taskId;
  if (c.recorded?.phase === 'sending') {
    throw c.ambiguous('an earlier attempt stopped while its create was in flight');
  }
  if (!c.recorded && !c.freshStart) {
    throw c.ambiguous('an earlier attempt stopped before it recorded whether its create was sent');
  }
  c.record({ phase: 'sending' });
  let taskId: string;
  try {
    taskId = await c.send(abortedOnlyByStop(ctx));
  } catch (err) {
    if (!(err instanceof RunwayError) || err.createOutcome === 'may-have-created') {
      throw c.ambiguous((err as Error).message);
    }
    // Nothing was created: say so before failing, so that a retry may send again.
    c.record({ phase: 'not-created' });
    await sleep(c.flushMs);
    throw toFailure(err);
  }
  c.record({ phase: 'created', taskId });
  return taskId;
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
