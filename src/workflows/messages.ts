/**
 * The chain workflow's messages: the `progress` query, the operator's updates and the receiver's signal.
 * Imported by the workflow and by whoever sends them (client operations, the receiver).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChainProgress } from '../chain/progress';
import type { TaskOutcome } from '../chain/task-outcome';

/** Sent by the callback receiver once it has verified the callback and re-fetched the task. */
export interface TaskFinishedSignal extends TaskOutcome {
  segment: number;
  attempt: number;
}

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
export const appendUpdate = defineUpdate<ChainProgress, [OperatorRequest & { prompts: string[] }]>('append');
export const taskFinishedSignal = defineSignal<[TaskFinishedSignal]>('taskFinished');
