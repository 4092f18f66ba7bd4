/**
 * P5 of `npm run bench`: sizing on the native production stack (`npm run stack:production -- --dry-run` in a
 * scratch folder): PostgreSQL persistence and visibility, the Temporal server, three `long-video worker`
 * processes with a bounded workflow cache (chains evicted and replayed as needed), the receiver and the
 * simulator. Many concurrent chains in callback mode; every chain must complete with one ledger charge per
 * segment. Reports segments per second, each worker's peak RSS, and each process group's share of the CPU
 * (PostgreSQL summed over its backends).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { SimulatorAdmin } from '../../src/simulator/admin-client';
import type { StackState } from '../production/stack';
import { chainProgress } from '../../src/client';
import type { ChainProgress } from '../../src/chain/progress';
import { type FleetChain, startFleet } from '../lab/fleet-chains';

const run = promisify(execFile);
const MAIN = path.join(__dirname, '..', 'production', 'main.ts');

/** The workers' memory settings (README, "Scale out"): a heap sized for the cache, the cache set apart. */
export const PRODUCTION_WORKER = {
  WORKER_NODE_OPTIONS: '--max-old-space-size=192 --max-semi-space-size=4',
  MALLOC_ARENA_MAX: '2',
  WORKER_CACHED_CHAINS: '1000',
};

export interface ProductionSpec {
  chains: number;
  segments: number;
  timeScale: number;
  /** When the bench stops waiting: chains still open then are reported, not awaited. */
  deadlineMinutes: number;
}

export interface ProductionResult extends ProductionSpec {
  completed: number;
  /** Chains that paused (or were still running at the deadline), by reason. */
  notCompleted: Record<string, number>;
  /** Segments charged more than once by the simulator's ledger (must be 0). */
  chargedTwice: number;
  /** Segments of completed chains with no charge (must be 0). */
  unpaid: number;
  startSeconds: number;
  wallSeconds: number;
  segmentsPerSecond: number;
  workers: Array<{ role: string; peakRssMb: number; cores: number }>;
  /** Average cores used while the chains ran, by process group; `total` of the machine's 2. */
  cores: {
    postgresql: number;
    temporal: number;
    workers: number;
    simulator: number;
    receiver: number;
    bench: number;
  };
  postgresqlShare: number;
}

export async function measureProduction(
  spec: ProductionSpec,
  log: (l: string) => void,
): Promise<ProductionResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-production-'));
  chmodSync(dir, 0o755); // PostgreSQL runs as its own user when we are root
  const env = {
    ...process.env,
    PRODUCTION_STACK_DIR: path.join(dir, 'stack'),
    SIMULATOR_TIME_SCALE: String(spec.timeScale),
    SIMULATOR_RATE_LIMIT: '0',
    SIMULATOR_MEDIA: 'shared',
    // The provider's limits are not what is measured here: the stack's own capacity is.
    PROVIDER_RATE_LIMIT_PER_SECOND: '5000',
    PROVIDER_READS_PER_SECOND: '5000',
    // PROVIDER_CONCURRENCY stays compose's 20 per worker: more starves a 2-core host (see the README).
    LOG_LEVEL: 'WARN',
    ...PRODUCTION_WORKER,
  };
  const stack = (args: string[]) =>
    run(process.execPath, ['-r', 'ts-node/register/transpile-only', MAIN, ...args], {
      env,
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  try {
    const { stdout } = await stack(['--dry-run', '--json']);
    const urls = JSON.parse(stdout.trim().split('\n').pop()!) as StackState['urls'];
    const state = JSON.parse(readFileSync(path.join(dir, 'stack', 'stack.json'), 'utf8')) as StackState;
    const pidOf = (role: string) => state.processes.find((p) => p.role === role)!.pid;
    const groups = {
      postgresql: () => treeUsage(pidOf('postgresql')),
      temporal: () => treeUsage(pidOf('temporal')),
      workers: () => sum(['worker-1', 'worker-2', 'worker-3'].map((r) => treeUsage(pidOf(r)))),
      simulator: () => treeUsage(pidOf('simulator')),
      receiver: () => treeUsage(pidOf('receiver')),
    };
    const workerRoles = ['worker-1', 'worker-2', 'worker-3'];
    const peak = new Map(workerRoles.map((r) => [r, 0]));
    const sampler = setInterval(() => {
      for (const r of workerRoles) peak.set(r, Math.max(peak.get(r)!, treeUsage(pidOf(r)).rssMb));
    }, 500);

    const connection = await Connection.connect({ address: urls.temporal });
    const client = new Client({ connection, namespace: state.namespace });
    const before = Object.fromEntries(Object.entries(groups).map(([k, f]) => [k, f().cpuSeconds]));
    const workerBefore = workerRoles.map((r) => treeUsage(pidOf(r)).cpuSeconds);
    const benchBefore = process.cpuUsage();
    const started = Date.now();
    log(`P5: starting ${spec.chains} chains…`);
    const fleet = await startFleet(client, {
      prefix: `p5-${spec.chains}`,
      chains: spec.chains,
      segments: spec.segments,
      options: { deliver: false, pollIntervalMs: 60_000 },
    });
    const startSeconds = (Date.now() - started) / 1000;
    log(`P5: ${spec.chains} started in ${round(startSeconds, 1)} s; waiting for them…`);
    const results = await awaitFleetUntil(client, fleet, started + spec.deadlineMinutes * 60_000);
    const ended = Math.max(...results.map((r) => r.completedAt));
    clearInterval(sampler);
    const wallSeconds = (ended - started) / 1000;
    const bench = process.cpuUsage(benchBefore);
    const cores = Object.fromEntries(
      Object.entries(groups).map(([k, f]) => [k, round((f().cpuSeconds - before[k]!) / wallSeconds, 2)]),
    ) as Omit<ProductionResult['cores'], 'bench'>;
    const all = { ...cores, bench: round((bench.user + bench.system) / 1e6 / wallSeconds, 2) };
    const completed = results.filter((r) => r.progress?.state === 'completed');
    const notCompleted: Record<string, number> = {};
    for (const r of results.filter((r) => r.progress?.state !== 'completed')) {
      const why = `${r.progress?.state ?? 'unknown'}: ${(r.progress?.reason ?? r.error ?? '').slice(0, 120)}`;
      notCompleted[why] = (notCompleted[why] ?? 0) + 1;
    }

    const ledger = await new SimulatorAdmin(urls.simulator!, 'sim-admin-token').ledger();
    const charges = new Map<string, number>();
    for (const e of ledger) charges.set(e.prompt, (charges.get(e.prompt) ?? 0) + 1);
    const prompts = completed.flatMap((r) => r.chain.prompts);
    // Not closed: the long polls of chains still open at the deadline would throw on a closed channel
    // (the bench process exits after the report).
    const total = Object.values(all).reduce((a, b) => a + b, 0);
    return {
      ...spec,
      completed: completed.length,
      notCompleted,
      chargedTwice: [...charges.values()].filter((n) => n > 1).length,
      unpaid: prompts.filter((p) => !charges.has(p)).length,
      startSeconds: round(startSeconds, 1),
      wallSeconds: round(wallSeconds, 1),
      segmentsPerSecond: round((completed.length * spec.segments) / wallSeconds, 1),
      workers: workerRoles.map((role, i) => ({
        role,
        peakRssMb: Math.round(peak.get(role)!),
        cores: round((treeUsage(pidOf(role)).cpuSeconds - workerBefore[i]!) / wallSeconds, 2),
      })),
      cores: all,
      postgresqlShare: round(all.postgresql / total, 2),
    };
  } finally {
    await stack(['--down', '--wipe']).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Each chain's result, waited for until `deadline`: a chain that pauses never returns one, so those still
 * open then are read once (paused, with its reason, or still running).
 */
async function awaitFleetUntil(client: Client, fleet: FleetChain[], deadline: number) {
  type Result = { chain: FleetChain; completedAt: number; progress?: ChainProgress; error?: string };
  const done = new Map<string, Result>();
  const all = Promise.all(
    fleet.map((chain) =>
      client.workflow
        .getHandle(chain.workflowId)
        .result()
        .then(
          (progress: ChainProgress) =>
            void done.set(chain.workflowId, { chain, completedAt: Date.now(), progress }),
          (err: Error) =>
            void done.set(chain.workflowId, { chain, completedAt: Date.now(), error: err.message }),
        ),
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now()))))]);
  clearTimeout(timer);
  return Promise.all(
    fleet.map(async (chain): Promise<Result> => {
      const known = done.get(chain.workflowId);
      if (known) return known;
      const progress = await chainProgress(client, chain.workflowId).catch(() => undefined);
      return { chain, completedAt: 0, progress, error: progress ? undefined : 'no progress could be read' };
    }),
  );
}

/** RSS and CPU seconds of a process and all its descendants (PostgreSQL forks a backend per connection). */
function treeUsage(root: number): { rssMb: number; cpuSeconds: number } {
  const children = new Map<number, number[]>();
  const usage = new Map<number, { rssMb: number; cpuSeconds: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      const pages = Number(fields[21]);
      usage.set(Number(name), {
        cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100,
        rssMb: (pages * 4096) / 1024 / 1024,
      });
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const total = { rssMb: 0, cpuSeconds: 0 };
  const visit = (pid: number) => {
    const u = usage.get(pid);
    if (u) {
      total.rssMb += u.rssMb;
      total.cpuSeconds += u.cpuSeconds;
    }
    for (const c of children.get(pid) ?? []) visit(c);
  };
  visit(root);
  return total;
}

const sum = (xs: Array<{ rssMb: number; cpuSeconds: number }>) =>
  xs.reduce((a, b) => ({ rssMb: a.rssMb + b.rssMb, cpuSeconds: a.cpuSeconds + b.cpuSeconds }), {
    rssMb: 0,
    cpuSeconds: 0,
  });
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
