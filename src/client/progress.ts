/** Reading chains: one chain's progress however it ended, following it to its end, and the list. */
import { type Client, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ChainProgress, ChainState } from '../chain/progress';
import { LongVideoSegmentsDone, LongVideoSegmentsTotal, LongVideoState } from '../chain/search-attributes';
import { progressQuery } from '../workflows/messages';
import { ChainNotFound } from './errors';

/** Run `fn`; a chain Temporal does not know is `ChainNotFound`. */
export async function knownChain<T>(workflowId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new ChainNotFound(workflowId);
    throw err;
  }
}

/** The chain's progress, whether it is running or closed (completed, failed or cancelled). */
export function chainProgress(client: Client, workflowId: string): Promise<ChainProgress> {
  return knownChain(workflowId, () => readProgress(client, workflowId));
}

async function readProgress(client: Client, workflowId: string): Promise<ChainProgress> {
  const handle = client.workflow.getHandle(workflowId);
  const { status } = await handle.describe();
  if (status.name === 'COMPLETED') return (await handle.result()) as ChainProgress;
  if (status.name === 'FAILED') {
    const failure = await handle.result().catch((e: unknown) => e);
    const details =
      failure instanceof WorkflowFailedError && failure.cause instanceof ApplicationFailure
        ? failure.cause.details
        : undefined;
    if (details?.[0]) return details[0] as ChainProgress;
    // Failed before it had any state (e.g. invalid input): the failure is all there is.
    const reason =
      failure instanceof WorkflowFailedError ? (failure.cause?.message ?? failure.message) : String(failure);
    const now = new Date().toISOString();
    return {
      state: 'failed',
      reason,
      run: 1,
      creditsSpent: 0,
      segmentsDone: 0,
      segmentsTotal: 0,
      segments: [],
      startedAt: now,
      updatedAt: now,
    };
  }
  const progress = await handle.query(progressQuery);
  // A terminated chain never got to say so itself.
  if (status.name === 'TERMINATED' || status.name === 'TIMED_OUT')
    return { ...progress, state: 'failed', reason: status.name.toLowerCase() };
  return progress;
}

/**
 * Follow a chain until it is no longer running, handing each progress read to `onProgress`; answers the
 * last one. A read that fails (e.g. no worker yet to answer the query) is tried again; an unknown chain
 * is `ChainNotFound`.
 */
export async function followChain(
  client: Client,
  workflowId: string,
  { onProgress, intervalMs = 500 }: { onProgress?: (p: ChainProgress) => void; intervalMs?: number } = {},
): Promise<ChainProgress> {
  for (;;) {
    let progress: ChainProgress;
    try {
      progress = await chainProgress(client, workflowId);
    } catch (err) {
      if (err instanceof ChainNotFound) throw err;
      await new Promise((r) => setTimeout(r, intervalMs));
      continue;
    }
    onProgress?.(progress);
    if (progress.state !== 'running') return progress;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const CHAIN_STATES: readonly ChainState[] = ['running', 'paused', 'completed', 'cancelled', 'failed'];

export interface ChainListing {
  workflowId: string;
  state: string;
  segmentsDone: number;
  segmentsTotal: number;
  startedAt: string;
}

/** Chains, newest first, from the LongVideo* search attributes. */
export async function listChains(
  client: Client,
  { state, limit = 50 }: { state?: ChainState; limit?: number } = {},
): Promise<ChainListing[]> {
  if (state !== undefined && !CHAIN_STATES.includes(state)) throw new Error(`unknown chain state ${state}`);
  const query = `WorkflowType = 'longVideo'${state ? ` AND LongVideoState = '${state}'` : ''}`;
  const rows: ChainListing[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const sa = wf.typedSearchAttributes;
    rows.push({
      workflowId: wf.workflowId,
      state: sa.get(LongVideoState) ?? wf.status.name.toLowerCase(),
      segmentsDone: sa.get(LongVideoSegmentsDone) ?? 0,
      segmentsTotal: sa.get(LongVideoSegmentsTotal) ?? 0,
      startedAt: wf.startTime.toISOString(),
    });
    if (rows.length >= limit) break;
  }
  return rows;
}
