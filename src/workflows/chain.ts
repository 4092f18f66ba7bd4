/**
 * The chain's state: its segments and every transition of theirs, the spend, the pause, the outputs. The
 * `progress` query answers from here, and every transition is shown in the Web UI (web-ui.ts), so the two
 * never disagree. Workflow code: deterministic, time from the workflow clock.
 */
import type {
  AttemptRecord,
  ChainOutputs,
  ChainOutputUrls,
  ChainProgress,
  ChainState,
  PauseState,
  SegmentArchive,
  SegmentState,
} from '../chain/progress';
import type { ChainCarry, ResolvedInput } from '../chain/input';
import type { TaskOutcome } from '../chain/task-outcome';
import { appendSegments, pendingSegment, recordAttempt, redoSegments } from '../chain/segment-rules';
import { WebUiView } from './web-ui';

const now = () => new Date().toISOString(); // the workflow clock: deterministic under replay

export class Chain {
  readonly segments: SegmentState[];
  paused?: PauseState;
  private state: Exclude<ChainState, 'paused'> = 'running';
  private reason?: string;
  private readonly startedAt: string;
  private readonly run: number;
  private updatedAt: string;
  private readonly webUi = new WebUiView();
  creditsSpent: number;
  /** The cap on `creditsSpent` in force: the input's `--max-credits`, raised by `resume --max-credits`. */
  maxCredits?: number;
  outputs?: ChainOutputs;
  /** Told of every pause as it happens (the chain's notifications). */
  onPause?: () => void;

  constructor(input: ResolvedInput) {
    const carry = input.carry;
    this.segments = carry
      ? carry.segments.map((s) => ({ ...s }))
      : input.prompts.map((prompt, i) => pendingSegment(i + 1, prompt));
    this.paused = carry?.paused;
    this.startedAt = carry?.startedAt ?? now();
    this.creditsSpent = carry?.creditsSpent ?? 0;
    this.maxCredits = input.options.maxCredits;
    this.run = (carry?.runs ?? 0) + 1;
    this.updatedAt = this.startedAt;
    this.publish();
  }

  progress(): ChainProgress {
    return {
      state: this.paused && this.state === 'running' ? 'paused' : this.state,
      ...(this.reason ? { reason: this.reason } : this.paused ? { reason: this.paused.reason } : {}),
      ...(this.paused ? { paused: { ...this.paused } } : {}),
      run: this.run,
      creditsSpent: this.creditsSpent,
      ...(this.maxCredits !== undefined ? { maxCredits: this.maxCredits } : {}),
      ...(this.outputs ? { outputs: { ...this.outputs } } : {}),
      segmentsDone: this.done(),
      segmentsTotal: this.segments.length,
      segments: this.segments.map((s) => ({ ...s })),
      startedAt: this.startedAt,
      updatedAt: this.updatedAt,
    };
  }

  /** Everything a next run needs to go on where this one stops. */
  carry(): ChainCarry {
    return {
      segments: this.segments.map((s) => ({ ...s })),
      ...(this.paused ? { paused: { ...this.paused } } : {}),
      startedAt: this.startedAt,
      creditsSpent: this.creditsSpent,
      runs: this.run,
    };
  }

  /** The first segment not yet succeeded, if any. */
  next(): SegmentState | undefined {
    return this.segments.find((s) => s.state !== 'succeeded');
  }

  /** The task a segment continues: the previous segment's. */
  previousTaskId(segment: SegmentState): string | undefined {
    return segment.index > 1 ? this.segments[segment.index - 2]!.taskId : undefined;
  }

  submitting(segment: SegmentState, attempt: number): void {
    Object.assign(segment, { state: 'submitting', attempts: attempt, submittedAt: now() });
    delete segment.taskId;
    delete segment.adopted;
    this.publish();
  }

  /** Official API: the segment's first frame may have been made by a create whose answer was lost. */
  firstFrameLost(segment: SegmentState): void {
    segment.firstFrameLost = true;
    this.publish();
  }

  /** Official API: the segment's first frame is this image task, paid `credits` (counted now, once). */
  firstFrameMade(segment: SegmentState, taskId: string, credits: number): void {
    segment.firstFrameTaskId = taskId;
    delete segment.firstFrameLost;
    this.charged(credits);
    this.publish();
  }

  /** Official API: the segment's first frame failed for a transient reason: another is to be made. */
  firstFrameFailed(segment: SegmentState, reason: string): void {
    this.recordAttempt(segment, { taskId: segment.firstFrameTaskId, kind: 'transient', reason });
    Object.assign(segment, { failures: segment.failures + 1, lastError: reason });
    delete segment.firstFrameTaskId;
    this.publish();
  }

  /** An operator says this (already paid) task is the segment's: await it instead of submitting. */
  adopt(segment: SegmentState, taskId: string): void {
    Object.assign(segment, { state: 'generating', taskId, adopted: true });
    delete segment.lastError;
    this.publish();
  }

  generating(segment: SegmentState, taskId: string): void {
    Object.assign(segment, { state: 'generating', taskId });
    this.publish();
  }

  succeeded(segment: SegmentState, outcome: TaskOutcome, by: 'callback' | 'poll'): void {
    Object.assign(segment, {
      state: 'succeeded',
      taskId: outcome.taskId,
      videoUrl: outcome.videoUrl,
      imageUrl: outcome.imageUrl,
      completedAt: now(),
      completedBy: by,
    });
    delete segment.lastError;
    this.publish();
  }

  /** A create made a task: it is paid for. */
  charged(credits: number): void {
    this.creditsSpent += credits;
  }

  archived(segment: SegmentState, archive: SegmentArchive, preview?: string, previewUrl?: string): void {
    segment.archive = archive;
    if (preview) this.setOutputs({ preview }, { preview: previewUrl });
    this.publish();
  }

  /** Deliverables made: their paths, and their URLs when the output folder is served. */
  delivered(outputs: Omit<ChainOutputs, 'urls'>, urls: ChainOutputUrls = {}): void {
    this.setOutputs(outputs, urls);
    this.publish();
  }

  private setOutputs(paths: Omit<ChainOutputs, 'urls'>, urls: ChainOutputUrls): void {
    // A file made again without a URL (a worker that serves no files) keeps no stale one.
    const kept = Object.fromEntries(
      Object.entries(this.outputs?.urls ?? {}).filter(([k]) => !(k in paths)),
    ) as ChainOutputUrls;
    const known = Object.fromEntries(Object.entries(urls).filter(([, v]) => v)) as ChainOutputUrls;
    const merged = { ...kept, ...known };
    const { urls: _old, ...before } = this.outputs ?? {};
    this.outputs = { ...before, ...paths, ...(Object.keys(merged).length ? { urls: merged } : {}) };
  }

  taskFailed(segment: SegmentState, outcome: TaskOutcome, kind?: string): void {
    const lastError =
      `task ${outcome.taskId} failed: ${outcome.failCode ?? ''} ${outcome.failMsg ?? ''}`.trim();
    Object.assign(segment, { state: 'failed', failures: segment.failures + 1, lastError });
    this.recordAttempt(segment, { taskId: outcome.taskId, kind, reason: lastError });
    this.publish();
  }

  /** A create that made nothing, or whose task we gave up on: the segment is to be submitted again. */
  notSubmitted(segment: SegmentState, error: string): void {
    if (segment.state === 'submitting' || segment.state === 'generating') {
      this.recordAttempt(segment, { taskId: segment.taskId, reason: error });
    }
    Object.assign(segment, { state: 'pending', lastError: error });
    delete segment.taskId;
    delete segment.adopted;
    this.publish();
  }

  /** Something the segment's reader should know (a cancel at the provider, and how it went). */
  noted(segment: SegmentState, note: string): void {
    segment.lastError = note;
    this.publish();
  }

  /** The segment's task is kept (paid for) but cannot be followed for now: a resume awaits it again. */
  stalled(segment: SegmentState, error: string, kind = 'unreadable'): void {
    segment.lastError = error;
    this.recordAttempt(segment, { taskId: segment.taskId, kind, reason: error });
    this.publish();
  }

  private recordAttempt(segment: SegmentState, record: Omit<AttemptRecord, 'attempt' | 'at'>): void {
    recordAttempt(segment, record, now());
  }

  pause(reason: string, by: string): void {
    this.paused = { reason, by, at: now() };
    this.publish();
    this.onPause?.();
  }

  resume(): void {
    this.paused = undefined;
    for (const s of this.segments) s.failures = 0;
    this.publish();
  }

  /**
   * Forget segments `from`..end (they will be generated again), optionally with a new prompt for `from`.
   * With `keepAttempts`, each keeps counting its attempts (and keeps its past ones, the discarded task
   * among them): an attempt number names a create's callback URL, so it must never be used twice.
   */
  redo(from: number, prompt?: string, keepAttempts = false): void {
    redoSegments(this.segments, from, { prompt, keepAttempts, at: now() });
    this.publish();
  }

  append(prompts: string[]): void {
    appendSegments(this.segments, prompts);
    this.publish();
  }

  finish(state: 'completed' | 'cancelled' | 'failed', reason?: string): void {
    this.state = state;
    this.reason = reason;
    this.publish();
  }

  done(): number {
    return this.segments.filter((s) => s.state === 'succeeded').length;
  }

  private publish(): void {
    this.updatedAt = now();
    this.webUi.show(this.progress(), this.next()?.index);
  }
}
