/**
 * P1 and P2 of `npm run bench`: how long a chain takes from the provider marking a segment `success` to
 * the next extension arriving at the provider (both are the simulator's own wall-clock stamps, so the
 * figure is pure orchestration), and the chain's wall time over the sum of its generation times. Four
 * ways of driving the same chains, against the same simulator settings:
 *   callback        long-video with the callback receiver
 *   poll            long-video in poll-only mode, polling at the official SDK helper's 6 s
 *   sdk-poller      a plain sequential script polling every 6 s ± 1.5 s, as the official SDK's helper does
 *   example-poller  the provider docs' "complete workflow example" shape: a fixed sleep between polls
 * Poll intervals are provider seconds, scaled by the time scale like every provider duration.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type LedgerEntry } from '../../src/simulator/ledger';
import { RunwayClient } from '../../src/provider/client';
import { SimulatorAdmin } from '../../src/simulator/admin-client';
import { startSimulator } from '../../src/simulator/server';
import type { SimulatorOptions } from '../../src/simulator/options';
import { startDrillStack } from '../stack';
import { fleetPrompt, settleFleet, startFleet } from '../lab/fleet-chains';
import { percentile } from '../drills/table';

export const MODES = ['callback', 'poll', 'sdk-poller', 'example-poller'] as const;
export type Mode = (typeof MODES)[number];

export interface HandoffSpec {
  chains: number;
  segments: number;
  timeScale: number;
  /** The example script's fixed poll interval, provider seconds. */
  examplePollSeconds: number;
}

export interface ModeResult {
  mode: Mode;
  handoffs: number;
  overheadMs: { p50: number; p95: number; p99: number; max: number };
  /** Σ chain wall time ÷ Σ generation time (P2). */
  wallOverSum: number;
  chainsCompleted: number;
  wallSeconds: number;
}

const SDK_POLL_MS = 6_000;
const SDK_JITTER_MS = 1_500;

function simulatorOptions(spec: HandoffSpec): SimulatorOptions {
  // Real generation times vary: without jitter, polls would line up with completions by construction.
  return { timeScale: spec.timeScale, rateLimit: 0, media: 'shared', jitter: 0.25, log: false };
}

export async function measureMode(mode: Mode, spec: HandoffSpec): Promise<ModeResult> {
  const started = Date.now();
  const prefix = `bench-${mode}`;
  if (mode === 'callback' || mode === 'poll') {
    const stack = await startDrillStack({
      sim: simulatorOptions(spec),
      callbacks: mode === 'callback',
      workerEnv: { PROVIDER_RATE_LIMIT_PER_SECOND: '500', PROVIDER_READS_PER_SECOND: '500' },
    });
    try {
      await stack.startWorkers(1);
      const chainStarted = Date.now();
      const chains = await startFleet(stack.client, {
        prefix,
        chains: spec.chains,
        segments: spec.segments,
        options: {
          deliver: false,
          // Poll-only mode polls at the SDK helper's interval; with callbacks the poll is a slow safety net.
          pollIntervalMs: Math.max(10, Math.round((mode === 'poll' ? SDK_POLL_MS : 60_000) * spec.timeScale)),
        },
      });
      const settled = await settleFleet(stack.client, chains, { deadline: Date.now() + 10 * 60_000 });
      const completed = settled.filter((c) => c.state === 'completed').length;
      return await summarise(mode, stack.admin, prefix, spec, chainStarted, completed, started);
    } finally {
      await stack.stop();
    }
  }

  const sim = await startSimulator(simulatorOptions(spec));
  const admin = new SimulatorAdmin(sim.url, sim.options.adminToken);
  const client = new RunwayClient({ baseUrl: sim.url, apiKey: sim.options.apiKeys[0]!, timeoutMs: 10_000 });
  const interval =
    mode === 'sdk-poller'
      ? () => (SDK_POLL_MS + (Math.random() * 2 - 1) * SDK_JITTER_MS) * spec.timeScale
      : () => spec.examplePollSeconds * 1000 * spec.timeScale;
  try {
    const chainStarted = Date.now();
    const results = await Promise.allSettled(
      Array.from({ length: spec.chains }, (_, c) =>
        pollingScript(
          client,
          Array.from({ length: spec.segments }, (_, s) => fleetPrompt(prefix, c + 1, s + 1)),
          interval,
        ),
      ),
    );
    const completed = results.filter((r) => r.status === 'fulfilled').length;
    return await summarise(mode, admin, prefix, spec, chainStarted, completed, started);
  } finally {
    await sim.close();
  }
}

/** The baseline: generate, poll until success, extend, poll, ... one request at a time. */
async function pollingScript(client: RunwayClient, prompts: string[], interval: () => number): Promise<void> {
  let taskId = '';
  for (const prompt of prompts) {
    taskId = taskId
      ? await client.extend({ taskId, prompt, quality: '720p' })
      : await client.generate({ prompt, duration: 5, quality: '720p', aspectRatio: '16:9' });
    for (;;) {
      await sleep(interval());
      const detail = await client.recordDetail(taskId);
      if (detail.state === 'success') break;
      if (detail.state === 'fail') throw new Error(`task ${taskId} failed: ${detail.failMsg}`);
    }
  }
}

/** P1 and P2 from the simulator's ledger (create stamps) and task list (finish stamps). */
async function summarise(
  mode: Mode,
  admin: SimulatorAdmin,
  prefix: string,
  spec: HandoffSpec,
  chainStarted: number,
  chainsCompleted: number,
  started: number,
): Promise<ModeResult> {
  const [ledger, tasks] = await Promise.all([admin.ledger(), admin.tasks()]);
  const finished = new Map(tasks.map((t) => [t.taskId, t.finishedAt ? Date.parse(t.finishedAt) : NaN]));
  const ours = ledger.filter((e) => e.prompt.startsWith(`${prefix} `));
  const gaps = ours
    .filter((e) => e.endpoint === 'extend')
    .map((e) => Date.parse(e.createdAt) - finished.get(e.parentTaskId)!)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  let wall = 0;
  let generating = 0;
  for (let c = 1; c <= spec.chains; c++) {
    const chain = ours.filter((e) => e.prompt.startsWith(`${prefix} chain ${c} `));
    const ends = chain.map((e: LedgerEntry) => finished.get(e.taskId)!);
    if (chain.length !== spec.segments || !ends.every(Number.isFinite)) continue;
    wall += Math.max(...ends) - chainStarted;
    generating += chain.reduce((sum, e, i) => sum + ends[i]! - Date.parse(e.createdAt), 0);
  }
  return {
    mode,
    handoffs: gaps.length,
    overheadMs: {
      p50: percentile(gaps, 50),
      p95: percentile(gaps, 95),
      p99: percentile(gaps, 99),
      max: gaps[gaps.length - 1] ?? NaN,
    },
    wallOverSum: Math.round((wall / generating) * 1000) / 1000,
    chainsCompleted,
    wallSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
}
