/**
 * What happens to a segment when its work is kept or thrown away: shared by the chain workflow (a redo, a
 * create that made nothing) and the client (the new run of a closed chain). Pure: no I/O, no Temporal.
 */
import type { AttemptRecord, SegmentState } from './progress';

/** Past attempts kept per segment: enough to see a pattern, bounded for a segment retried for days. */
const PAST_ATTEMPTS_KEPT = 20;

/** A segment nothing was tried for yet. */
export function pendingSegment(index: number, prompt: string): SegmentState {
  return { index, prompt, state: 'pending', attempts: 0, failures: 0 };
}

/**
 * Whether a segment's paid work outlives its run: a finished segment, a task that was created and is
 * generating (it is awaited, not paid again), and a create whose answer never came (`submitting`: the next
 * run treats it as an ambiguous create and waits for its callback, then the never-pay-twice guard).
 */
export function keepsPaidWork(s: SegmentState): boolean {
  return (
    s.state === 'succeeded' || (s.state === 'generating' && Boolean(s.taskId)) || s.state === 'submitting'
  );
}

/**
 * What a segment whose work is not kept goes back to: pending (optionally with a new prompt), its task
 * forgotten. It keeps counting its attempts, and keeps its past ones: an attempt number names a create's
 * callback URL, so it must never be used twice. With `keepLastError`, the reason of its last failure stays.
 */
export function backToPending(
  s: SegmentState,
  { prompt, keepLastError = false }: { prompt?: string; keepLastError?: boolean } = {},
): SegmentState {
  return {
    ...pendingSegment(s.index, prompt ?? s.prompt),
    attempts: s.attempts,
    ...(keepLastError && s.lastError ? { lastError: s.lastError } : {}),
    ...(s.pastAttempts ? { pastAttempts: s.pastAttempts } : {}),
  };
}

/**
 * What a new run of a closed chain starts a segment from: its paid work if it is kept (`keepsPaidWork`),
 * pending otherwise (with its last error, for the operator, and, on the official API, its first frame
 * paid for or lost); either way its failures count from zero.
 */
export function segmentForNewRun(s: SegmentState): SegmentState {
  if (keepsPaidWork(s)) return { ...s, failures: 0 };
  const pending = backToPending(s, { keepLastError: true });
  // The official API's first frame: the one paid for, or the lost create a guard pause is about.
  const { firstFrameTaskId, firstFrameLost } = s;
  return {
    ...pending,
    ...(firstFrameTaskId ? { firstFrameTaskId } : {}),
    ...(firstFrameLost ? { firstFrameLost } : {}),
  };
}

/** Add `record` (an attempt of the segment's that ended, at `at`) to the segment's past attempts, in place. */
export function recordAttempt(
  segment: SegmentState,
  record: Omit<AttemptRecord, 'attempt' | 'at'>,
  at: string,
): void {
  const entry: AttemptRecord = { attempt: segment.attempts, ...record, at };
  for (const key of ['taskId', 'kind'] as const) if (entry[key] === undefined) delete entry[key];
  segment.pastAttempts = [...(segment.pastAttempts ?? []), entry].slice(-PAST_ATTEMPTS_KEPT);
}

/**
 * Segments `from`..end forgotten (to be generated again), optionally with a new prompt for `from`, in
 * place. With `keepAttempts`, each keeps counting its attempts (and keeps its past ones, the discarded
 * task among them): an attempt number names a create's callback URL, so it must never be used twice.
 */
export function redoSegments(
  segments: SegmentState[],
  from: number,
  { prompt, keepAttempts, at }: { prompt?: string; keepAttempts: boolean; at: string },
): void {
  for (const s of segments.slice(from - 1)) {
    const newPrompt = s.index === from && prompt ? prompt : undefined;
    if (keepAttempts && s.attempts > 0) {
      if (s.taskId) recordAttempt(s, { taskId: s.taskId, reason: `discarded by a redo from ${from}` }, at);
      segments[s.index - 1] = backToPending(s, { prompt: newPrompt });
    } else {
      segments[s.index - 1] = pendingSegment(s.index, newPrompt ?? s.prompt);
    }
  }
}

/** `prompts` added to the end of `segments` as pending segments, in place. */
export function appendSegments(segments: SegmentState[], prompts: string[]): void {
  for (const prompt of prompts) segments.push(pendingSegment(segments.length + 1, prompt));
}
