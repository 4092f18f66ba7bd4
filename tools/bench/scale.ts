/**
 * P3 of `npm run bench`: many concurrent chains on ONE worker process (callback mode, segments left at the
 * provider so that ffmpeg is not what is measured). Reports segments orchestrated per second, workflow
 * task latency (from sampled histories: scheduled → started → completed, server timestamps), and the CPU
 * and memory of each process, so that the ceiling (dev server, worker, or the bench process running the
 * simulator and the receiver) shows in numbers.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time';
import { startDrillStack } from '../stack';
import { awaitFleet, startFleet } from '../lab/fleet-chains';
import { type ProcessUsage, processUsage } from '../lab/worker-process';
import { percentile } from '../drills/table';

/** One P3 run: how many chains, on a worker started with which extra environment. */
export interface ScaleRun {
  chains: number;
  label?: string;
  workerEnv?: Record<string, string>;
}

/**
 * The worker README's "Memory" section recommends for 1,000 chains in 400 MB: a small V8 heap makes
 * garbage collection prompt (Node sizes the heap from the machine, 4 GB here, and collects lazily), a
 * cache set apart from it keeps every chain in memory (the SDK would size the cache from the heap), and
 * two malloc arenas keep the core's threads from holding freed memory.
 */
export const BOUNDED = {
  label: 'bounded',
  workerEnv: {
    NODE_OPTIONS: '--max-old-space-size=160 --max-semi-space-size=4',
    MALLOC_ARENA_MAX: '2',
    WORKER_CACHED_CHAINS: '1000',
  },
} satisfies Omit<ScaleRun, 'chains'>;

export function describeBounded(): string {
  return Object.entries(BOUNDED.workerEnv)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
}

export interface ScaleResult {
  /** Which worker: `default`, or the label of the environment it was started with. */
  worker: string;
  chains: number;
  segments: number;
  completed: number;
  segmentsPerSecond: number;
  wallSeconds: number;
  workflowTaskMs: { scheduleToStartP50: number; scheduleToStartP95: number; runP50: number; runP95: number };
  /** Peak RSS of the worker process. */
  rssMb: number;
  /** Cores used on average while the chains ran (2 = both cores of this machine). */
  cores: { worker: number; server: number; bench: number };
  ceiling: string;
}

const EventType = temporal.api.enums.v1.EventType;

export async function measureScale(
  { chains, label = 'default', workerEnv = {} }: ScaleRun,
  segments: number,
  timeScale: number,
): Promise<ScaleResult> {
  const stack = await startDrillStack({
    sim: { timeScale, rateLimit: 0, media: 'shared', jitter: 0.25, log: false },
    callbacks: true,
    workerEnv: {
      PROVIDER_RATE_LIMIT_PER_SECOND: '5000',
      PROVIDER_READS_PER_SECOND: '5000',
      PROVIDER_CONCURRENCY: '200',
      ...workerEnv,
    },
  });
  try {
    const [worker] = await stack.startWorkers(1);
    const pids = { worker: worker!.pid, server: stack.serverPid() };
    const before = { worker: processUsage(pids.worker)!, server: processUsage(pids.server)! };
    const benchBefore = process.cpuUsage();
    let peakRss = before.worker.rssMb;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, processUsage(pids.worker)?.rssMb ?? 0);
    }, 250);

    const started = Date.now();
    const fleet = await startFleet(stack.client, {
      prefix: `scale-${chains}`,
      chains,
      segments,
      // Callbacks carry the chain; the poll is a slow safety net, not load.
      options: { deliver: false, pollIntervalMs: 60_000 },
    });
    const results = await awaitFleet(stack.client, fleet);
    const ended = Math.max(...results.map((r) => r.completedAt));
    clearInterval(sampler);
    const wallSeconds = (ended - started) / 1000;
    const used = (a: ProcessUsage, b: ProcessUsage | undefined) =>
      round(((b?.cpuSeconds ?? a.cpuSeconds) - a.cpuSeconds) / wallSeconds, 2);
    const bench = process.cpuUsage(benchBefore);
    const cores = {
      worker: used(before.worker, processUsage(pids.worker)),
      server: used(before.server, processUsage(pids.server)),
      bench: round((bench.user + bench.system) / 1e6 / wallSeconds, 2),
    };
    const completed = results.filter((r) => r.progress?.state === 'completed').length;
    const busiest = Object.entries(cores).sort((a, b) => b[1] - a[1])[0]!;
    return {
      worker: label,
      chains,
      segments,
      completed,
      segmentsPerSecond: round((completed * segments) / wallSeconds, 1),
      wallSeconds: round(wallSeconds, 1),
      workflowTaskMs: await workflowTaskLatency(
        stack.client,
        fleet.slice(0, 40).map((c) => c.workflowId),
      ),
      rssMb: Math.round(peakRss),
      cores,
      ceiling:
        cores.worker + cores.server + cores.bench > 1.7
          ? `CPU: the machine's 2 cores are busy; the ${busiest[0]} uses most (${busiest[1]} cores)`
          : `none reached: ${busiest[0]} busiest at ${busiest[1]} cores`,
    };
  } finally {
    await stack.stop();
  }
}

/** Workflow task schedule-to-start and start-to-complete, from the server's event timestamps. */
async function workflowTaskLatency(client: Client, workflowIds: string[]) {
  const toStart: number[] = [];
  const run: number[] = [];
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    let scheduled: number | undefined;
    let startedAt: number | undefined;
    for (const e of history.events ?? []) {
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) scheduled = tsToMs(e.eventTime);
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED && scheduled !== undefined) {
        startedAt = tsToMs(e.eventTime);
        toStart.push(startedAt - scheduled);
      }
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED && startedAt !== undefined) {
        run.push(tsToMs(e.eventTime) - startedAt);
        scheduled = startedAt = undefined;
      }
    }
  }
  toStart.sort((a, b) => a - b);
  run.sort((a, b) => a - b);
  return {
    scheduleToStartP50: percentile(toStart, 50),
    scheduleToStartP95: percentile(toStart, 95),
    runP50: percentile(run, 50),
    runP95: percentile(run, 95),
  };
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
