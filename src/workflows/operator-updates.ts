/**
 * What the chain answers and accepts while it runs: the `progress` query, the receiver's callback signal,
 * and the operator's updates (pause, resume, redo, append, approve). Each update is checked by its validator
 * first: a refused one changes nothing and leaves nothing in the history.
 */
import { ApplicationFailure, condition, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { providerOf, runwayMlFirstFrameCredits } from '../chain/providers';
import { type ChainRun, costOf } from './chain-run';
import { checkAppend, checkPrompts, reject } from './chain-inputs';
import {
  appendUpdate,
  approveUpdate,
  pauseUpdate,
  progressQuery,
  redoUpdate,
  resumeUpdate,
  taskFinishedSignal,
} from './messages';
import { GUARD } from './pause-chain';
import { REDO_KEEPS_ATTEMPTS, REDO_WAITS_FOR_LOST_CREATE } from './patches';
import { endReview, underReview } from './review';
import { cancelDiscarded, cancelsAtProvider } from './segment-runwayml';

export function handleMessages(run: ChainRun): void {
  const { chain, callbacks } = run;
  setHandler(progressQuery, () => chain.progress());
  setHandler(taskFinishedSignal, (s) => void callbacks.set(`${s.segment}:${s.attempt}`, s));
  setHandler(
    pauseUpdate,
    ({ by, reason }) => {
      chain.pause(reason || 'paused by an operator', by || 'operator');
      return chain.progress();
    },
    {
      validator: (_request) => {
        if (chain.paused) reject('the chain is already paused');
      },
    },
  );
  setHandler(
    resumeUpdate,
    ({ maxCredits, adoptTaskId }) => {
      if (maxCredits !== undefined) chain.maxCredits = maxCredits;
      const segment = chain.next();
      if (adoptTaskId && segment?.firstFrameLost) {
        // An operator says this (already paid) image task is the segment's first frame.
        chain.firstFrameMade(segment, adoptTaskId, runwayMlFirstFrameCredits());
      } else if (adoptTaskId) {
        chain.adopt(segment!, adoptTaskId);
        chain.charged(costOf(run, segment!));
      } else if (segment?.firstFrameLost) {
        delete segment.firstFrameLost; // a plain resume makes the first frame again
      }
      chain.resume();
      return chain.progress();
    },
    {
      validator: ({ adoptTaskId }) => {
        if (!chain.paused) reject('the chain is not paused');
        const reviewing = underReview(run);
        if (reviewing !== undefined) reject(awaitsReview(reviewing));
        if (adoptTaskId === undefined) return;
        if (typeof adoptTaskId !== 'string' || !/^[\w.-]{1,200}$/.test(adoptTaskId)) {
          reject('--adopt-task needs the task id the provider shows');
        }
        const next = chain.next();
        if (!next || next.state !== 'pending' || run.inFlight) {
          reject('no segment waits for a task: --adopt-task is for a segment whose create answer was lost');
        }
      },
    },
  );
  setHandler(
    redoUpdate,
    async ({ from, prompt }) => {
      run.redosWaiting++;
      try {
        await condition(() => !run.inFlight || run.inFlight.index < from);
        const held = lostCreateAtOrAfter(run, from);
        if (held && patched(REDO_WAITS_FOR_LOST_CREATE)) throw ApplicationFailure.nonRetryable(held);
        // Tasks still generating that the redo discards (kept by a pause): cancelled where the provider can.
        const discarded = chain.segments
          .filter((s) => s.index >= from && s.state === 'generating' && s.taskId)
          .map((s) => ({ index: s.index, taskId: s.taskId! }));
        redo(run, from, prompt);
        if (cancelsAtProvider(run)) await cancelDiscarded(run, discarded);
        // Redoing the segment under review (or one before it) is the review's answer: make it again.
        const reviewing = underReview(run);
        if (reviewing !== undefined && from <= reviewing) endReview(run);
      } finally {
        run.redosWaiting--;
      }
      return chain.progress();
    },
    {
      validator: ({ from, prompt }) => {
        if (!Number.isInteger(from) || from < 1 || from > chain.segments.length) {
          reject(`--from must be a segment number between 1 and ${chain.segments.length}`);
        }
        if (prompt !== undefined) checkPrompts([prompt], providerOf(run.input));
        const held = lostCreateAtOrAfter(run, from);
        if (held) reject(held);
      },
    },
  );
  setHandler(
    approveUpdate,
    () => {
      endReview(run);
      return chain.progress();
    },
    {
      validator: ({ segment }) => {
        const reviewing = underReview(run);
        if (reviewing === undefined) {
          reject(
            chain.paused
              ? `the chain is not awaiting review: it is paused by ${chain.paused.by} (${chain.paused.reason}); resume it instead`
              : 'the chain is not awaiting review (it is running: nothing to approve)',
          );
        }
        if (segment !== undefined && segment !== reviewing) {
          reject(`the chain awaits review of segment ${reviewing}, not ${String(segment)}`);
        }
      },
    },
  );
  setHandler(
    appendUpdate,
    ({ prompts }) => {
      chain.append(prompts);
      return chain.progress();
    },
    { validator: ({ prompts }) => checkAppend(chain.segments.length, prompts, providerOf(run.input)) },
  );
}

function awaitsReview(segment: number): string {
  const id = workflowInfo().workflowId;
  return (
    `the chain awaits review of segment ${segment}: approve it (long-video approve ${id}), or make it ` +
    `again (long-video redo ${id} --from ${segment} --prompt "…")`
  );
}

/**
 * Why a redo from `from` must wait: the guard holds a create of a segment it would discard, which may
 * have made a paid task (a redo would lose its cost from the spend and the budget).
 */
function lostCreateAtOrAfter({ chain }: ChainRun, from: number): string | undefined {
  const held = chain.paused?.by === GUARD ? chain.next() : undefined;
  if (!held || held.index < from) return undefined;
  return (
    `segment ${held.index}'s create may have made a paid task (the never-pay-twice guard paused the chain): ` +
    'resolve it first (resume --adopt-task TASK_ID if the dashboard shows it, else a plain resume), then redo'
  );
}

/**
 * Discard segments `from`..end. Their next creates take new attempt numbers, and callbacks of the
 * discarded creates are forgotten: the callback of a discarded task can never be taken for a new one.
 */
function redo({ chain, callbacks }: ChainRun, from: number, prompt: string | undefined): void {
  const keepAttempts = patched(REDO_KEEPS_ATTEMPTS);
  chain.redo(from, prompt, keepAttempts);
  if (!keepAttempts) return;
  for (const [key, signal] of callbacks) if (signal.segment >= from) callbacks.delete(key);
}
