/** Steering a chain: cancel, and the workflow's updates (pause, resume, redo, append, approve); a new run of a closed chain. */
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { ChainProgress } from '../chain/progress';
import { type LongVideoInput, parseLongVideoInput } from '../chain/input';
import type { ChainState, SegmentState } from '../chain/progress';
import { appendSegments, redoSegments, segmentForNewRun } from '../chain/segment-rules';
import { longVideo } from '../workflows';
import {
  type OperatorRequest,
  appendUpdate,
  approveUpdate,
  pauseUpdate,
  redoUpdate,
  resumeUpdate,
} from '../workflows/messages';
import { ChainNotFound, ChainRequestRefused } from './errors';
import { chainProgress, knownChain } from './progress';
import { chainStartOptions } from './start';

/** Run an update; a refusal by the workflow's validator is `ChainRequestRefused` with its message. */
async function update<T>(id: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new ChainRequestRefused(`${id}: ${err.cause?.message ?? err.message}`);
    if (err instanceof WorkflowNotFoundError) throw new ChainNotFound(id, `no running chain with id ${id}`);
    throw err;
  }
}

/** Stop new paid calls; the call in flight finishes and is kept. */
export function pauseChain(client: Client, id: string, request: OperatorRequest & { reason?: string }) {
  const handle = client.workflow.getHandle(id);
  return update(id, () => handle.executeUpdate(pauseUpdate, { args: [request] }));
}

/**
 * Approve the segment a review gate awaits (a chain started with `review`): it goes on to the next
 * segment, or delivers after the last. Refused (`ChainRequestRefused`) when the chain awaits no review,
 * or, with `segment`, another one.
 */
export function approveChain(
  client: Client,
  id: string,
  request: OperatorRequest & { segment?: number } = {},
) {
  const handle = client.workflow.getHandle(id);
  return update(id, () => handle.executeUpdate(approveUpdate, { args: [request] }));
}

/** What a redo or an append did: changed the running chain, or started a new run of a closed one. */
export interface RevisionOutcome {
  kind: 'updated' | 'new-run';
  progress: ChainProgress;
}

/**
 * Discard segments `from`..end and generate them again (segment `from` with a new prompt, if given). A
 * running or paused chain does it in place; a completed, cancelled or failed one starts a new run with
 * segments 1..from-1 as they are: only the segments generated again are paid for.
 */
export async function redoChain(
  client: Client,
  id: string,
  request: OperatorRequest & { from: number; prompt?: string },
): Promise<RevisionOutcome> {
  const handle = client.workflow.getHandle(id);
  const { from, prompt } = request;
  return revise(
    client,
    id,
    () => handle.executeUpdate(redoUpdate, { args: [request] }),
    (segments) => {
      if (!Number.isInteger(from) || from < 1 || from > segments.length)
        throw new ChainRequestRefused(`--from must be a segment number between 1 and ${segments.length}`);
      const unresolved = segments.find((s) => s.index >= from && s.state === 'submitting');
      if (unresolved)
        throw new ChainRequestRefused(
          `segment ${unresolved.index}'s create never answered and may have made a paid task: resume ${id} ` +
            'first so the chain finds out (or the never-pay-twice guard asks you), then redo',
        );
      redoSegments(segments, from, { prompt, keepAttempts: true, at: new Date().toISOString() });
    },
  );
}

/**
 * Add segments to the end of a chain: a running or paused one in place; a completed, cancelled or failed
 * one starts a new run that continues from its last segment and pays only for the new ones.
 */
export async function appendChain(
  client: Client,
  id: string,
  request: OperatorRequest & { prompts: string[] },
): Promise<RevisionOutcome> {
  const handle = client.workflow.getHandle(id);
  return revise(
    client,
    id,
    () => handle.executeUpdate(appendUpdate, { args: [request] }),
    (segments) => appendSegments(segments, request.prompts),
  );
}

/** A running or paused chain changes in place (`inPlace`, an update); a closed one in a new run (`change`). */
async function revise(
  client: Client,
  id: string,
  inPlace: () => Promise<ChainProgress>,
  change: (segments: SegmentState[]) => void,
): Promise<RevisionOutcome> {
  if (await isRunning(client, id)) return { kind: 'updated', progress: await update(id, inPlace) };
  return { kind: 'new-run', progress: await startNextRun(client, id, change) };
}

async function isRunning(client: Client, id: string): Promise<boolean> {
  const { status } = await knownChain(id, () => client.workflow.getHandle(id).describe());
  return status.name === 'RUNNING';
}

/** What a cancel did: asked an open chain to stop, or found it already closed (in that state). */
export type CancelOutcome = { kind: 'requested' } | { kind: 'closed'; state: ChainState };

/**
 * Cancel a chain: no new paid calls; finished segments are kept in its progress. A chain already closed
 * (cancelled, completed, failed) is left as it is and its state answered, so a second cancel can say so.
 */
export async function cancelChain(client: Client, id: string): Promise<CancelOutcome> {
  if (await isRunning(client, id)) {
    try {
      await client.workflow.getHandle(id).cancel();
      return { kind: 'requested' };
    } catch (err) {
      // It closed between the two calls: say how, below.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return { kind: 'closed', state: (await chainProgress(client, id)).state };
}

export type ResumeOutcome =
  /** A paused chain goes on. */
  | { kind: 'resumed'; progress: ChainProgress }
  /** A closed chain started a new run (see `resumeClosedChain`). */
  | { kind: 'new-run'; progress: ChainProgress }
  | { kind: 'completed' };

/**
 * Resume a chain: a paused one goes on (`maxCredits` raises its budget, `adoptTaskId` names a lost
 * create's task); a cancelled, failed or terminated one starts a new run; a completed one stays so.
 */
export async function resumeChain(
  client: Client,
  id: string,
  request: OperatorRequest & { maxCredits?: number; adoptTaskId?: string } = {},
): Promise<ResumeOutcome> {
  const handle = client.workflow.getHandle(id);
  const status = (await knownChain(id, () => handle.describe())).status.name;
  if (status === 'RUNNING') {
    const progress = await update(id, () => handle.executeUpdate(resumeUpdate, { args: [request] }));
    return { kind: 'resumed', progress };
  }
  if (request.adoptTaskId)
    throw new ChainRequestRefused(`--adopt-task is for a paused chain; ${id} is ${status.toLowerCase()}`);
  if (status === 'COMPLETED') return { kind: 'completed' };
  return { kind: 'new-run', progress: await startNextRun(client, id) };
}

/**
 * Start a new run of a closed chain, seeded with what its last run finished, what it spent and its budget,
 * and changed by `revise` (a redo or an append, which throws `ChainRequestRefused` to start nothing);
 * answers that progress. The new run starts as a chain does (`chainStartOptions`: its summary, details and
 * search attributes), on its last run's task queue. Its deliverables replace the last run's only once
 * they are made.
 */
export async function startNextRun(
  client: Client,
  id: string,
  revise?: (segments: SegmentState[]) => void,
): Promise<ChainProgress> {
  const handle = client.workflow.getHandle(id);
  const progress = await chainProgress(client, id);
  const history = await knownChain(id, () => handle.fetchHistory());
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const payloads = started?.input?.payloads;
  if (!payloads?.length) throw new Error(`cannot read the input of ${id}'s last run`);
  // The client's own converter and codecs: the input was written with them.
  const input = await decodeFromPayloadsAtIndex<LongVideoInput>(
    client.options.loadedDataConverter,
    0,
    payloads,
    { type: 'workflow', namespace: client.options.namespace, workflowId: id },
  );
  const segments = progress.segments.map(segmentForNewRun);
  const guarded = progress.paused?.by === 'never-pay-twice guard' ? progress.paused : undefined;
  if (revise && guarded)
    throw new ChainRequestRefused(
      `${id}: ${guarded.reason}; resolve that first (resume --adopt-task TASK_ID if the dashboard shows it, ` +
        'else a plain resume), then change the chain',
    );
  revise?.(segments);
  const next = {
    ...input,
    prompts: segments.map((s) => s.prompt),
    // The spend and the cap go on over the chain's whole life: the cap is the latest one in force
    // (`resume --max-credits` raises it inside a run), and what was spent counts against it.
    options: { ...input.options, maxCredits: progress.maxCredits ?? input.options?.maxCredits },
    carry: {
      segments,
      startedAt: progress.startedAt,
      creditsSpent: progress.creditsSpent,
      runs: progress.run,
      // A create the never-pay-twice guard paused for is still unresolved: the new run starts paused by
      // it, for its runbook (`resume --adopt-task`, or a plain resume once the dashboard shows nothing).
      ...(guarded ? { paused: guarded } : {}),
    },
  } satisfies LongVideoInput;
  let resolved;
  try {
    resolved = parseLongVideoInput(next); // the new run would refuse it: say so here, and start nothing
  } catch (err) {
    throw new ChainRequestRefused(`${id} cannot start a new run: ${(err as Error).message}`);
  }
  const options = chainStartOptions(resolved, id);
  try {
    await client.workflow.start(longVideo, {
      ...options,
      // The input as it was written (defaults unresolved, as a continue-as-new carries it).
      args: [next],
      taskQueue: started?.taskQueue?.name ?? options.taskQueue,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
  } catch (err) {
    // Another operator's resume, redo or append started it first: theirs goes on, this one changed nothing.
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      throw new ChainRequestRefused(`${id} has just started a new run (another request): run this one again`);
    throw err;
  }
  const done = segments.filter((s) => s.state === 'succeeded').length;
  const newRun = {
    ...progress,
    segments,
    segmentsDone: done,
    segmentsTotal: segments.length,
    run: progress.run + 1,
    outputs: undefined,
  };
  return guarded
    ? { ...newRun, state: 'paused', reason: guarded.reason, paused: guarded }
    : { ...newRun, state: 'running', reason: undefined, paused: undefined };
}
