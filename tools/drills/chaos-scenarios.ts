/**
 * The four fault drills of `npm run chaos`. Each runs real chains on a real stack while something goes
 * wrong, then lets the simulator's charge ledger and the chains' output folders judge the result.
 */
import type { SimulatorAdmin } from '../../src/simulator/admin-client';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { resumeUpdate } from '../../src/workflows/messages';
import type { ChainOptions } from '../../src/chain/input';
import type { ChainProgress } from '../../src/chain/progress';
import type { FaultConfig, SimulatorOptions } from '../../src/simulator/options';
import { type Stack, startDrillStack } from '../stack';
import { type FleetChain, type Settled, settleFleet, startFleet } from '../lab/fleet-chains';
import { exportHistories, filesUnder, findLeaks } from '../lab/leaks';
import { FAILED_STATES, judge } from '../lab/verdict';
import type { LedgerEntry } from '../../src/simulator/ledger';
import { type ProviderName, segmentCredits } from '../../src/chain/providers';

export interface ScenarioSize {
  chains: number;
  segments: number;
}

export interface ScenarioResult {
  name: string;
  /** The API the chains and the simulator spoke. */
  provider: ProviderName;
  chains: number;
  completed: number;
  paused: number;
  /** Paused chains' reasons, counted. */
  pausedReasons: Record<string, number>;
  /** Chains that neither completed nor paused (failed, cancelled, stuck at the deadline). */
  other: number;
  duplicateCharges: number;
  lostSegments: number;
  providerRequests: number;
  rateLimited: number;
  maxRequestsPerWindow: number;
  rateLimitPerWindow: number;
  wallSeconds: number;
  /** Histories, worker logs and output files searched for the API key and the callback secret. */
  auditedForSecrets: number;
  leakedSecrets: number;
  /** Chains paused by the never-pay-twice guard and resumed by the runbook (adopt or resubmit). */
  lostCreatesResolved: number;
  /** What the disruption did (kills, restarts, top-ups, runbook resumes). */
  events: string[];
  problems: string[];
}

interface Scenario {
  name: string;
  /** Every chain must complete (the drill plays the operator for pauses); otherwise a stated pause is fine. */
  mustComplete: boolean;
  callbacks: boolean;
  workers: number;
  sim?: SimulatorOptions;
  faults?: Partial<FaultConfig>;
  workerEnv?: Record<string, string>;
  chainOptions?: Partial<ChainOptions>;
  /** Runs beside the chains until `running()` turns false; answers what it did. */
  disrupt?: (stack: Stack, running: () => boolean, events: string[]) => Promise<void>;
  onPaused?: (stack: Stack, chain: FleetChain, p: ChainProgress, events: string[]) => Promise<boolean>;
}

/** Provider time runs 100× faster: a 60 s generation takes 0.6 s. */
const TIME_SCALE = 0.01;
const BASE_CHAIN_OPTIONS: Partial<ChainOptions> = {
  pollIntervalMs: 1_000,
  callbackGraceMs: 10_000,
  providerCallTimeoutMs: 8_000,
  maxTaskFailures: 3,
};
const BASE_WORKER_ENV = { PROVIDER_RATE_LIMIT_PER_SECOND: '40', RUNWAY_TIMEOUT_MS: '3000' };

const random = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)]!;

export const SCENARIOS: Scenario[] = [
  {
    name: 'R1 worker crashes',
    mustComplete: true,
    callbacks: true,
    workers: 3,
    async disrupt(stack, running, events) {
      let kills = 0;
      while (running()) {
        await sleep(2_500 + Math.random() * 2_000);
        if (!running()) break;
        const victim = random(stack.workers);
        await stack.replaceWorker(victim);
        events.push(`SIGKILL worker ${victim.pid}`);
        kills++;
      }
      events.unshift(`${kills} workers killed and replaced`);
    },
  },
  {
    name: 'R2 server restart',
    mustComplete: true,
    callbacks: true,
    workers: 2,
    async disrupt(stack, running, events) {
      await sleep(4_000);
      if (!running()) return;
      const before = stack.serverPid();
      const started = Date.now();
      await stack.restartServer(2_000);
      events.push(`server ${before} stopped, ${stack.serverPid()} up after ${Date.now() - started} ms`);
    },
  },
  {
    name: 'R3 provider storm',
    mustComplete: false,
    callbacks: true,
    workers: 2,
    // The account's limit: 150 creates per 10 s; we ask the provider queue for fewer calls than that.
    sim: { rateLimit: 150 },
    workerEnv: { PROVIDER_RATE_LIMIT_PER_SECOND: '12', RUNWAY_TIMEOUT_MS: '1500' },
    chainOptions: { pollIntervalMs: 3_000 },
    faults: {
      createFailBefore: 0.1,
      createFailAfter: 0.1,
      readFail: 0.2,
      burst429Probability: 0.05,
      burst429Ms: 1_500,
      taskFailProbability: 0.1,
      // Failures worth another paid try: the reseller's codes, the official API's (one of its own kind).
      taskFailCodes: [501, 408],
      failureCodes: ['INTERNAL.BAD_OUTPUT.CODE01', 'INPUT_PREPROCESSING.INTERNAL'],
      // The official API's queue: a task may sit THROTTLED a while before it runs.
      throttleProbability: 0.3,
      throttleMs: 30_000,
      callbackDropProbability: 0.3,
      callbackDuplicateProbability: 0.1,
      slowProbability: 0.05,
      slowMs: 2_500,
    },
  },
  {
    name: 'R4 credits run out',
    mustComplete: true,
    callbacks: true,
    workers: 2,
    // Enough for about 40 % of the run's creates.
    sim: { credits: 0 },
    async onPaused(stack, chain, progress, events) {
      if (!progress.reason?.startsWith('out of credits')) return false;
      if (!events.some((e) => e.startsWith('credits topped up'))) {
        await stack.admin.setCredits(1_000_000);
        events.push(`credits topped up after ${chain.workflowId} paused: ${progress.reason.slice(0, 60)}`);
      }
      await stack.client.workflow
        .getHandle(chain.workflowId)
        .executeUpdate(resumeUpdate, { args: [{ by: 'chaos drill' }] });
      return true;
    },
  },
];

/**
 * Whether a ledger entry continues `parent` (or starts a chain, for ''): the reseller's extend names its
 * parent; an official image_to_video started from the clip whose last frame it was sent, which the
 * simulator tells only in its `full` media (`null` otherwise: any parent, as a dashboard without it).
 */
const continues = (e: LedgerEntry, parent: string) =>
  e.endpoint === 'image_to_video'
    ? e.startedFrom === undefined || e.startedFrom === null || e.startedFrom === parent
    : e.parentTaskId === parent;

/** The runbook for a chain paused by the never-pay-twice guard, as an operator would follow it. */
export async function resolveLostCreate(
  stack: Stack,
  chain: FleetChain,
  progress: ChainProgress,
  events: string[],
): Promise<boolean> {
  if (progress.paused?.by !== 'never-pay-twice guard') return false;
  const segment = progress.segments.find((s) => s.state !== 'succeeded')!;
  const parent = segment.index > 1 ? progress.segments[segment.index - 2]!.taskId! : '';
  const [ledger, tasks] = await Promise.all([stack.admin.ledger(), stack.admin.tasks()]);
  const failed = new Set(tasks.filter((t) => FAILED_STATES.has(t.state)).map((t) => t.taskId));
  // Not a task the chain already had (a redo without a new prompt leaves one with the same prompt and
  // parent, discarded): the newest other one is the lost create's.
  const known = new Set(
    progress.segments.flatMap((s) => [
      s.taskId,
      s.firstFrameTaskId,
      ...(s.pastAttempts ?? []).map((a) => a.taskId),
    ]),
  );
  // Official API: when the lost create was segment 1's first frame, the task to look for is an image.
  const wanted = (e: LedgerEntry) =>
    segment.firstFrameLost
      ? e.endpoint === 'text_to_image'
      : e.endpoint !== 'text_to_image' && continues(e, parent);
  const found = ledger
    .filter((e) => wanted(e) && e.prompt === segment.prompt)
    .filter((e) => !failed.has(e.taskId) && !known.has(e.taskId))
    .pop();
  await stack.client.workflow
    .getHandle(chain.workflowId)
    .executeUpdate(resumeUpdate, { args: [{ by: 'chaos drill', adoptTaskId: found?.taskId }] });
  const what = segment.firstFrameLost ? 'first frame' : 'task';
  events.push(
    found
      ? `${chain.workflowId} segment ${segment.index}: lost create's ${what} found on the dashboard, adopted`
      : `${chain.workflowId} segment ${segment.index}: no task on the dashboard, resubmitted`,
  );
  return true;
}

/**
 * A task that failed with a reason nobody classified (the `nulls` shape gives none) pauses the chain; the
 * operator, seeing the reason, decides to pay for one more try.
 */
async function retryUnknownFailure(
  stack: Stack,
  chain: FleetChain,
  progress: ChainProgress,
  events: string[],
): Promise<boolean> {
  if (progress.paused?.by !== 'provider (unknown failure)') return false;
  await stack.client.workflow
    .getHandle(chain.workflowId)
    .executeUpdate(resumeUpdate, { args: [{ by: 'chaos drill' }] });
  events.push(`${chain.workflowId}: a task failed with no known reason, resumed for one more try`);
  return true;
}

export async function runScenario(
  scenario: Scenario,
  size: ScenarioSize,
  budgetMs: number,
  log: (line: string) => void,
  provider: ProviderName = 'kie-runway',
): Promise<ScenarioResult> {
  const started = Date.now();
  const credits = scenario.name.startsWith('R4')
    ? Math.floor(chainCredits(provider, size.segments) * size.chains * 0.4)
    : undefined;
  // The official API's clips are rendered whole (each ends with a frame of its own), so that the
  // simulator tells which clip each image_to_video started from: continuity is judged too.
  const continuity = provider === 'runwayml';
  const stack = await startDrillStack({
    sim: {
      provider,
      timeScale: TIME_SCALE,
      rateLimit: 0,
      media: continuity ? 'full' : 'shared',
      jitter: 0.25,
      // Every answer shape a real provider may send: the docs' own, nulls, strings, full.
      shapes: 'mixed',
      ...scenario.sim,
      ...(credits !== undefined ? { credits } : {}),
    },
    callbacks: scenario.callbacks,
    workerEnv: { ...BASE_WORKER_ENV, ...scenario.workerEnv },
    // CHAOS_DEBUG=1 shows what the receiver does with each callback.
    receiverLog: process.env.CHAOS_DEBUG ? (l) => log(`receiver: ${l}`) : undefined,
  });
  const events: string[] = [];
  try {
    await stack.startWorkers(scenario.workers);
    if (scenario.faults) await stack.admin.setFaults(scenario.faults);
    const prefix = `${scenario.name.split(' ')[0]!.toLowerCase()}-${provider}-${process.pid}`;
    const chains = await startFleet(stack.client, {
      prefix,
      ...size,
      options: { ...BASE_CHAIN_OPTIONS, ...scenario.chainOptions },
      provider,
    });
    log(`${scenario.name} (${provider}): ${chains.length} chains × ${size.segments} segments started`);
    let running = true;
    const disruption = scenario.disrupt?.(stack, () => running, events) ?? Promise.resolve();
    let settled: Settled[];
    try {
      settled = await settleFleet(stack.client, chains, {
        deadline: started + budgetMs,
        // In every drill, the drill plays the operator for chains the never-pay-twice guard paused: it
        // looks on the provider's dashboard (the simulator's ledger) for the lost create's task, and
        // adopts it or resubmits (the runbook the pause reason gives).
        onPaused: async (chain, p) => {
          try {
            return (
              (await resolveLostCreate(stack, chain, p, events)) ||
              (await retryUnknownFailure(stack, chain, p, events)) ||
              (scenario.onPaused ? await scenario.onPaused(stack, chain, p, events) : false)
            );
          } catch (err) {
            events.push(`${chain.workflowId}: resume failed (${(err as Error).message}), trying again`);
            throw err;
          }
        },
      });
    } finally {
      running = false;
      await disruption;
    }
    // Faults off before judging: the judge reads the simulator's admin API, not the faulty one.
    await stack.admin.setFaults({});
    const verdict = await judge(stack.admin, settled, stack.outputDir, { continuity });
    // Secrets: the API key and the callback secret in no history, worker log or output file.
    const audited = [
      ...(await exportHistories(stack.client)),
      ...stack.workers.map((w) => ({ source: `worker ${w.pid} output`, text: w.output() })),
      ...filesUnder(stack.outputDir),
    ];
    const leaks = audited.flatMap((a) => findLeaks(a.text, stack.secrets).map((l) => `${l} in ${a.source}`));
    const stats = await stack.admin.stats();
    const count = (s: Settled['state']) => settled.filter((c) => c.state === s).length;
    const pausedReasons: Record<string, number> = {};
    for (const c of settled.filter((c) => c.state === 'paused')) {
      const key = (c.reason ?? 'no reason').replace(/\d+/g, 'N').slice(0, 90);
      pausedReasons[key] = (pausedReasons[key] ?? 0) + 1;
    }
    if (verdict.duplicateCharges > 0 || verdict.discontinuities.length > 0) {
      await dumpEvidence(stack, `${scenario.name.split(' ')[0]}-${provider}`, settled);
    }
    const problems = [
      ...verdict.duplicates.map((d) => `duplicate charge: ${d}`),
      ...verdict.lost.map((l) => `lost: ${l}`),
      ...verdict.discontinuities.map((d) => `not continuous: ${d}`),
      ...leaks.map((l) => `secret leaked: ${l}`),
      ...settled
        .filter((c) => c.state !== 'completed' && (scenario.mustComplete || c.state !== 'paused'))
        .map((c) => `${c.workflowId} ${c.state}: ${c.reason ?? ''}`),
    ];
    return {
      name: scenario.name,
      provider,
      chains: chains.length,
      completed: count('completed'),
      paused: count('paused'),
      pausedReasons,
      other: chains.length - count('completed') - count('paused'),
      duplicateCharges: verdict.duplicateCharges,
      lostSegments: verdict.lostSegments,
      ...providerLoad(stats, started),
      auditedForSecrets: audited.length,
      leakedSecrets: leaks.length,
      lostCreatesResolved: events.filter((e) => e.includes(' on the dashboard')).length,
      events,
      problems,
    };
  } finally {
    await stack.stop();
  }
}

/**
 * A drill that paid twice or broke continuity leaves its evidence for the diagnosis: the simulator's
 * ledger and tasks, and every chain's last progress, in `.data/chaos-evidence/`.
 */
async function dumpEvidence(stack: Stack, name: string, settled: Settled[]): Promise<void> {
  const [ledger, tasks] = await Promise.all([stack.admin.ledger(), stack.admin.tasks()]);
  const dir = path.join('.data', 'chaos-evidence');
  mkdirSync(dir, { recursive: true });
  const chains = settled.map((c) => ({ workflowId: c.workflowId, state: c.state, progress: c.progress }));
  writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({ ledger, tasks, chains }, null, 2));
}

/** What a chain of `segments` 5 s segments at 720p costs on `provider` (no image of the user's). */
export function chainCredits(provider: ProviderName, segments: number): number {
  const call = { duration: 5 as const, quality: '720p' as const, hasImage: false };
  return Array.from({ length: segments }, (_, i) =>
    segmentCredits(provider, { ...call, first: i === 0 }),
  ).reduce((a, b) => a + b, 0);
}

/** What a drill asked of the provider (from the simulator's stats), and how long it took. */
export function providerLoad(stats: Awaited<ReturnType<SimulatorAdmin['stats']>>, started: number) {
  return {
    providerRequests: Object.values(stats.requests).reduce(
      (sum, byStatus) => sum + Object.values(byStatus).reduce((a, b) => a + b, 0),
      0,
    ),
    rateLimited: stats.rateLimited,
    maxRequestsPerWindow: stats.rateLimit.maxCreatesInWindow,
    rateLimitPerWindow: stats.rateLimit.limit,
    wallSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
}
