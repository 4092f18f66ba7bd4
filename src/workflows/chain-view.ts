/**
 * The chain's state as people see it: the `progress` query, the Web UI's current details (a Markdown
 * table of segments) and the search attributes. Every transition goes through here, so the three never
 * disagree. Workflow code: deterministic, time from the workflow clock.
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { ChainProgress, ChainState, ResolvedInput, SegmentState, TaskOutcome } from './definitions';
import { LongVideoSegmentsDone, LongVideoSegmentsTotal, LongVideoState } from '../temporal/search-attributes';

const now = () => new Date().toISOString(); // the workflow clock: deterministic under replay

export class ChainView {
  readonly segments: SegmentState[];
  private state: ChainState = 'running';
  private reason?: string;
  private readonly startedAt = now();
  private updatedAt = this.startedAt;

  constructor(input: ResolvedInput) {
    this.segments = input.prompts.map((prompt, i) => ({
      index: i + 1,
      prompt,
      state: 'pending',
      attempts: 0,
    }));
    this.publish();
  }

  progress(): ChainProgress {
    return {
      state: this.state,
      ...(this.reason ? { reason: this.reason } : {}),
      segmentsDone: this.done(),
      segmentsTotal: this.segments.length,
      segments: this.segments.map((s) => ({ ...s })),
      startedAt: this.startedAt,
      updatedAt: this.updatedAt,
    };
  }

  submitting(segment: SegmentState, attempt: number): void {
    Object.assign(segment, { state: 'submitting', attempts: attempt, submittedAt: now() });
    delete segment.taskId;
    this.publish();
  }

  generating(segment: SegmentState, taskId: string): void {
    Object.assign(segment, { state: 'generating', taskId });
    this.publish();
  }

  succeeded(segment: SegmentState, outcome: TaskOutcome, by: 'callback' | 'poll'): void {
    Object.assign(segment, {
      state: 'succeeded',
      videoUrl: outcome.videoUrl,
      imageUrl: outcome.imageUrl,
      completedAt: now(),
      completedBy: by,
    });
    this.publish();
  }

  taskFailed(segment: SegmentState, outcome: TaskOutcome): void {
    Object.assign(segment, {
      state: 'failed',
      lastError: `task ${outcome.taskId} failed: ${outcome.failCode ?? ''} ${outcome.failMsg ?? ''}`.trim(),
    });
    this.publish();
  }

  finish(state: Exclude<ChainState, 'running'>, reason?: string): void {
    this.state = state;
    this.reason = reason;
    this.publish();
  }

  private done(): number {
    return this.segments.filter((s) => s.state === 'succeeded').length;
  }

  private publish(): void {
    this.updatedAt = now();
    upsertSearchAttributes([
      { key: LongVideoState, value: this.state },
      { key: LongVideoSegmentsDone, value: this.done() },
      { key: LongVideoSegmentsTotal, value: this.segments.length },
    ]);
    setCurrentDetails(this.details());
  }

  private details(): string {
    const head = `**${this.state}**${this.reason ? `: ${this.reason}` : ''} · ${this.done()}/${this.segments.length} segments`;
    const rows = this.segments.map((s) => {
      const video = s.videoUrl ? `[video](${s.videoUrl})` : '';
      const prompt = s.prompt.replace(/\s+/g, ' ').replace(/\|/g, '\\|').slice(0, 60);
      return `| ${s.index} | ${s.state} | ${s.attempts} | ${s.taskId ?? ''} | ${video} | ${prompt} |`;
    });
    return [
      head,
      '',
      '| # | state | attempts | task | video | prompt |',
      '|---|---|---|---|---|---|',
      ...rows,
    ].join('\n');
  }
}
