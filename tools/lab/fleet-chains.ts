/**
 * Many chains at once, for drills and benchmarks: start them (through the client layer's `startChain`, as the CLI does), then
 * follow each until it settles (completed, failed, cancelled, or paused with its reason), tolerating a
 * Temporal server or workers that come and go meanwhile.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { chainProgress, startChain } from '../../src/client';
import { type ChainOptions, parseLongVideoInput } from '../../src/chain/input';
import { type ChainProgress } from '../../src/chain/progress';
import type { ProviderName } from '../../src/chain/providers';

export interface FleetChain {
  workflowId: string;
  prompts: string[];
}

/** The prompt of one segment: unique per chain and segment, so that the charge ledger tells them apart. */
export const fleetPrompt = (prefix: string, chain: number, segment: number) =>
  `${prefix} chain ${chain} segment ${segment}: a lighthouse at dusk, the camera drifting closer`;

export async function startFleet(
  client: Client,
  spec: {
    prefix: string;
    chains: number;
    segments: number;
    options?: Partial<ChainOptions>;
    /** The chains' provider (absent: the default, kie-runway). */
    provider?: ProviderName;
  },
): Promise<FleetChain[]> {
  const chains: FleetChain[] = [];
  // A few starts at a time: a thousand chains start in seconds without flooding the server.
  for (let first = 1; first <= spec.chains; first += START_BATCH) {
    const batch = Array.from({ length: Math.min(START_BATCH, spec.chains - first + 1) }, (_, i) => first + i);
    const started = await Promise.all(
      batch.map(async (c) => {
        const prompts = Array.from({ length: spec.segments }, (_, s) => fleetPrompt(spec.prefix, c, s + 1));
        const input = parseLongVideoInput({
          prompts,
          aspectRatio: '16:9',
          options: spec.options ?? {},
          ...(spec.provider ? { provider: spec.provider } : {}),
        });
        return { workflowId: await startChain(client, input, `${spec.prefix}-${c}`), prompts };
      }),
    );
    chains.push(...started);
  }
  return chains;
}

const START_BATCH = 20;

/** Wait for every chain's result (long polls, no per-chain polling): for load runs with no pauses. */
export async function awaitFleet(
  client: Client,
  chains: FleetChain[],
): Promise<Array<{ chain: FleetChain; completedAt: number; progress?: ChainProgress; error?: string }>> {
  return Promise.all(
    chains.map((chain) =>
      client.workflow
        .getHandle(chain.workflowId)
        .result()
        .then(
          (progress: ChainProgress) => ({ chain, completedAt: Date.now(), progress }),
          (err: Error) => ({ chain, completedAt: Date.now(), error: err.message }),
        ),
    ),
  );
}

export type Settled = FleetChain & {
  /** `stuck`: neither finished nor paused by the deadline. */
  state: ChainProgress['state'] | 'stuck';
  reason?: string;
  progress?: ChainProgress;
};

export interface SettleOptions {
  deadline: number;
  /** Called for a paused chain; answer true when it was resumed (the chain is followed on). */
  onPaused?: (chain: FleetChain, progress: ChainProgress) => Promise<boolean>;
  intervalMs?: number;
}

/** Follow every chain until it completes, fails, is cancelled or pauses; never throws on a flaky server. */
export async function settleFleet(
  client: Client,
  chains: FleetChain[],
  options: SettleOptions,
): Promise<Settled[]> {
  const settled = new Map<string, Settled>();
  const last = new Map<string, ChainProgress>();
  const resumeFailures = new Map<string, number>();
  while (settled.size < chains.length && Date.now() < options.deadline) {
    for (const chain of chains) {
      if (settled.has(chain.workflowId)) continue;
      const progress = await chainProgress(client, chain.workflowId).catch(() => undefined);
      if (!progress) continue; // server restarting or no worker to answer the query yet
      last.set(chain.workflowId, progress);
      if (progress.state === 'running') continue;
      if (progress.state === 'paused' && options.onPaused) {
        // A resume can fail for a moment (its worker killed mid-update, the server restarting): try again
        // on the next round, a few times, before taking the pause as the chain's end.
        const resumed = await options.onPaused(chain, progress).catch(() => undefined);
        if (resumed) continue;
        if (resumed === undefined && (resumeFailures.get(chain.workflowId) ?? 0) < 5) {
          resumeFailures.set(chain.workflowId, (resumeFailures.get(chain.workflowId) ?? 0) + 1);
          continue;
        }
      }
      settled.set(chain.workflowId, { ...chain, state: progress.state, reason: progress.reason, progress });
    }
    if (settled.size < chains.length) await sleep(options.intervalMs ?? 500);
  }
  return Promise.all(
    chains.map(
      async (c) =>
        settled.get(c.workflowId) ?? {
          ...c,
          state: 'stuck' as const,
          progress: last.get(c.workflowId),
          reason: `still ${last.get(c.workflowId)?.state ?? 'unknown'} at the deadline${await waitingOn(client, c.workflowId)}`,
        },
    ),
  );
}

/** What a chain still running waits on: its segments' states and its pending activities, for the report. */
async function waitingOn(client: Client, workflowId: string): Promise<string> {
  try {
    const [description, progress] = await Promise.all([
      client.workflow.getHandle(workflowId).describe(),
      chainProgress(client, workflowId).catch(() => undefined),
    ]);
    const segments = progress?.segments.map((s) => `${s.index}:${s.state}`).join(' ') ?? '?';
    const activities = (description.raw.pendingActivities ?? []).map((a) => {
      const failure = a.lastFailure?.message ? `, last failure: ${a.lastFailure.message.slice(0, 120)}` : '';
      return `${a.activityType?.name} attempt ${a.attempt} (${a.state})${failure}`;
    });
    return ` (segments ${segments}; waiting on ${activities.join('; ') || 'no activity'})`;
  } catch (err) {
    return ` (not described: ${(err as Error).message})`;
  }
}
