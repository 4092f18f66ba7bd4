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

/** Until when `followChain` follows: the chain stops running (paused or closed), or it closes. */
export type FollowUntil = 'not-running' | 'closed';

/**
 * Follow a chain, handing each progress read to `onProgress`, until it is no longer running (`until:
 * 'not-running'`, the default: a pause ends it) or until it has completed, been cancelled or failed
 * (`until: 'closed'`: a pause is shown and followed through); answers the last read. A read that fails
 * (e.g. no worker yet to answer the query) is tried again; an unknown chain is `ChainNotFound`.
 */
export async function followChain(
  client: Client,
  workflowId: string,
  {
    onProgress,
    intervalMs = 500,
    until = 'not-running',
  }: { onProgress?: (p: ChainProgress) => void; intervalMs?: number; until?: FollowUntil } = {},
): Promise<ChainProgress> {
  const followed = (p: ChainProgress) =>
    p.state === 'running' || (until === 'closed' && p.state === 'paused');
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
    if (!followed(progress)) return progress;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const CHAIN_STATES: readonly ChainState[] = ['running', 'paused', 'completed', 'cancelled', 'failed'];

export interface ChainListing {
  workflowId: string;
  state: string;
  segmentsDone: number;
  segmentsTotal: number;
  /** From the chain's progress; null when it could not be read in time (e.g. no worker to answer). */
  creditsSpent: number | null;
  /** The chain's budget; null when it has none or its progress could not be read. */
  maxCredits: number | null;
  startedAt: string;
}

/** How long `listChains` waits for one chain's progress (its credits) before leaving them unknown. */
const LIST_READ_TIMEOUT_MS = 3_000;
/** Progress reads in flight at once while listing. */
const LIST_READ_CONCURRENCY = 8;

/**
 * Chains, newest first, from the LongVideo* search attributes; each with its credits from its progress
 * (not a search attribute), read a few at a time.
 */
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
      creditsSpent: null,
      maxCredits: null,
      startedAt: wf.startTime.toISOString(),
    });
    if (rows.length >= limit) break;
  }
  let next = 0;
  const readCredits = async () => {
    while (next < rows.length) {
      const row = rows[next++]!;
      const progress = await withTimeout(chainProgress(client, row.workflowId), LIST_READ_TIMEOUT_MS);
      if (!progress) continue;
      row.creditsSpent = progress.creditsSpent;
      row.maxCredits = progress.maxCredits ?? null;
    }
  };
  await Promise.all(Array.from({ length: Math.min(LIST_READ_CONCURRENCY, rows.length) }, readCredits));
  return rows;
}

/** The promise's value, or undefined if it fails or takes longer than `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
