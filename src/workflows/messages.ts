/**
 * The chain workflow's messages: the `progress` query, the operator's updates and the receiver's signal.
 * Imported by the workflow and by whoever sends them (client operations, the receiver).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChainProgress } from '../chain/progress';
import type { TaskOutcome } from '../chain/task-outcome';

/**
 * Sent by the callback receiver once it has verified the callback's URL token (and signature): a hint
 * that the create (segment, attempt) made task `taskId` and that it has ended. The receiver holds no
 * provider key and reads nothing: the workflow confirms the task with its own read before acting on it.
 */
export interface CallbackHint {
  segment: number;
  attempt: number;
  taskId: string;
  /** What the callback says (its `code` 200 or not); the workflow's read decides. */
  state: 'success' | 'fail';
}

/**
 * What the receiver sent before the callback became a hint (it re-fetched the task and forwarded the
 * outcome): histories recorded then carry it, and replay it on the old branch (patch `callback-hints`).
 */
export interface LegacyTaskFinishedSignal extends TaskOutcome {
  segment: number;
  attempt: number;
}

/** The `taskFinished` signal's payload: a hint, or (in histories from before the hints) a full outcome. */
export type TaskFinishedSignal = CallbackHint | LegacyTaskFinishedSignal;

export const progressQuery = defineQuery<ChainProgress>('progress');

/** Who asks: shown in `progress` and the Web UI as who paused or changed the chain. */
export interface OperatorRequest {
  by?: string;
}
export const pauseUpdate = defineUpdate<ChainProgress, [OperatorRequest & { reason?: string }]>('pause');
/**
 * Resume a paused chain; `maxCredits` raises (or sets) the chain's budget. `adoptTaskId` names the task an
 * operator found on the provider's dashboard for the segment whose create answer was lost: the chain
 * awaits that task instead of paying for a new one.
 */
export const resumeUpdate = defineUpdate<
  ChainProgress,
  [OperatorRequest & { maxCredits?: number; adoptTaskId?: string }]
>('resume');
/** Discard segments `from`..end and continue from segment `from - 1`'s task, optionally with a new prompt. */
export const redoUpdate = defineUpdate<ChainProgress, [OperatorRequest & { from: number; prompt?: string }]>(
  'redo',
);
/**
 * Approve the segment a review pause awaits (a chain started with `review`): the chain goes on to the
 * next segment, or to delivery after the last. `segment`, when given, must be the one under review (an
 * approval meant for another segment changes nothing).
 */
export const approveUpdate = defineUpdate<ChainProgress, [OperatorRequest & { segment?: number }]>('approve');
export const appendUpdate = defineUpdate<ChainProgress, [OperatorRequest & { prompts: string[] }]>('append');
export const taskFinishedSignal = defineSignal<[TaskFinishedSignal]>('taskFinished');
