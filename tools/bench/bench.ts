/**
 * `npm run bench`: P1–P4 in one run against the simulator, on 127.0.0.1. Prints tables (or, with --json,
 * one JSON object) and writes the JSON to --out.
 *
 *   npm run bench                 the full run
 *   npm run bench -- --quick      a smaller run of every part (a few minutes)
 *   npm run bench -- --only P1,P3 some parts (P1 and P2 are measured together)
 *   npm run bench -- --only P5    sizing on the native production stack (PostgreSQL; only when named:
 *                                 it needs scripts/build-temporal.sh's binaries and takes about 20 minutes)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Runtime } from '@temporalio/worker';
import { workerLogger } from '../../src/temporal/logging';
import { formatTable } from '../drills/table';
import { type GoodputResult, measureGoodput } from './goodput';
import { type HandoffSpec, MODES, type ModeResult, measureMode } from './handoff';
import {
  PRODUCTION_WORKER,
  type ProductionResult,
  type ProductionSpec,
  measureProduction,
} from './production';
import { BOUNDED, type ScaleResult, type ScaleRun, describeBounded, measureScale } from './scale';

interface BenchSize {
  handoff: HandoffSpec;
  scale: { runs: ScaleRun[]; segments: number; timeScale: number };
  goodput: { limit: number; chains: number; segments: number; timeScale: number };
  production: ProductionSpec;
}

const FULL: BenchSize = {
  handoff: { chains: 10, segments: 11, timeScale: 0.05, examplePollSeconds: 10 },
  scale: {
    runs: [{ chains: 100 }, { chains: 1000 }, { chains: 1000, ...BOUNDED }],
    segments: 5,
    timeScale: 0.05,
  },
  goodput: { limit: 5, chains: 60, segments: 6, timeScale: 0.02 },
  production: { chains: 10_000, segments: 3, timeScale: 0.05, deadlineMinutes: 60 },
};
const QUICK: BenchSize = {
  handoff: { chains: 5, segments: 6, timeScale: 0.02, examplePollSeconds: 10 },
  scale: { runs: [{ chains: 100 }, { chains: 100, ...BOUNDED }], segments: 5, timeScale: 0.02 },
  goodput: { limit: 5, chains: 20, segments: 4, timeScale: 0.02 },
  production: { chains: 300, segments: 3, timeScale: 0.05, deadlineMinutes: 10 },
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean' },
      quick: { type: 'boolean' },
      only: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const size = values.quick ? QUICK : FULL;
  const only = values.only?.toUpperCase().split(',');
  // P5 brings up a whole production stack: only when named.
  const wants = (part: string) => (!only ? part !== 'P5' : only.includes(part));
  Runtime.install({ logger: workerLogger('ERROR'), shutdownSignals: [] });
  const log = (line: string) => void (values.json ? process.stderr : process.stdout).write(`${line}\n`);

  const modes: ModeResult[] = [];
  if (wants('P1') || wants('P2')) {
    for (const mode of MODES) {
      log(`P1/P2 ${mode}: ${size.handoff.chains} chains × ${size.handoff.segments} segments…`);
      modes.push(await measureMode(mode, size.handoff));
    }
  }
  const scale: ScaleResult[] = [];
  if (wants('P3')) {
    for (const run of size.scale.runs) {
      log(
        `P3: ${run.chains} chains × ${size.scale.segments} segments on one ${run.label ?? 'default'} worker…`,
      );
      scale.push(await measureScale(run, size.scale.segments, size.scale.timeScale));
    }
  }
  let goodput: GoodputResult | undefined;
  if (wants('P4')) {
    const g = size.goodput;
    log(`P4: limit ${g.limit}/s, 3 workers, ${g.chains} chains × ${g.segments} segments…`);
    goodput = await measureGoodput(g.limit, g.chains, g.segments, g.timeScale);
  }

  let production: ProductionResult | undefined;
  if (wants('P5')) {
    const p = size.production;
    log(`P5: production stack, 3 workers, ${p.chains} chains × ${p.segments} segments…`);
    production = await measureProduction(p, log);
  }

  const callback = modes.find((m) => m.mode === 'callback');
  const sdk = modes.find((m) => m.mode === 'sdk-poller');
  const report = {
    quick: Boolean(values.quick),
    size,
    modes: Object.fromEntries(modes.map((m) => [m.mode, m])),
    /** How many times longer the 6 s poller waits than the callback chain, at p50. */
    sdkPollerOverCallbackP50:
      callback && sdk ? Math.round((sdk.overheadMs.p50 / callback.overheadMs.p50) * 10) / 10 : undefined,
    scale,
    goodput,
    production,
  };
  const out = values.out ?? path.join('.data', values.quick ? 'bench-quick.json' : 'bench.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2));
  if (values.json) {
    console.log(JSON.stringify(report));
    return;
  }
  if (modes.length) {
    console.log(
      `\nP1 provider success → next extend request (ms) and P2 chain wall ÷ Σ generation time` +
        ` (time scale ${size.handoff.timeScale}: a 60 s generation takes ${60 * size.handoff.timeScale} s)`,
    );
    console.log(
      formatTable(
        ['mode', 'handoffs', 'p50', 'p95', 'p99', 'max', 'wall/Σgen', 'chains ok'],
        modes.map((m) => [
          m.mode,
          m.handoffs,
          m.overheadMs.p50,
          m.overheadMs.p95,
          m.overheadMs.p99,
          m.overheadMs.max,
          m.wallOverSum.toFixed(3),
          `${m.chainsCompleted}/${size.handoff.chains}`,
        ]),
      ),
    );
    const pollMs = Math.round(6_000 * size.handoff.timeScale);
    if (modes.some((m) => m.mode === 'poll') && pollMs < 1_000)
      console.log(
        `poll: Temporal's timers and retry backoffs fire on whole seconds, so the scaled 6 s poll ` +
          `(${pollMs} ms here) waits about 1 s; at real time scale that is at most 1 s on top of 6 s`,
      );
    if (report.sdkPollerOverCallbackP50)
      console.log(`the 6 s poller's p50 handoff is ${report.sdkPollerOverCallbackP50}× the callback chain's`);
  }
  if (scale.length) {
    console.log(`\nP3 concurrent chains on one worker (callback mode, segments left at the provider)`);
    console.log(
      formatTable(
        [
          'worker',
          'chains',
          'ok',
          'segments/s',
          'wall s',
          'WFT sched→start p50/p95',
          'WFT run p50/p95',
          'worker RSS MB',
          'cores w/srv/bench',
        ],
        scale.map((s) => [
          s.worker,
          s.chains,
          s.completed,
          s.segmentsPerSecond,
          s.wallSeconds,
          `${s.workflowTaskMs.scheduleToStartP50}/${s.workflowTaskMs.scheduleToStartP95} ms`,
          `${s.workflowTaskMs.runP50}/${s.workflowTaskMs.runP95} ms`,
          s.rssMb,
          `${s.cores.worker}/${s.cores.server}/${s.cores.bench}`,
        ]),
      ),
    );
    for (const s of scale) console.log(`  ${s.chains} chains, ${s.worker} worker: ceiling ${s.ceiling}`);
    console.log(`  bounded: ${describeBounded()}`);
  }
  if (goodput) {
    console.log(`\nP4 rate-limit goodput`);
    console.log(
      formatTable(
        ['limit/s', 'workers', 'creates', 'achieved/s', 'achieved ÷ limit', '429 share'],
        [
          [
            goodput.limit,
            goodput.workers,
            goodput.creates,
            goodput.achieved,
            goodput.ratio,
            `${(goodput.share429 * 100).toFixed(2)} %`,
          ],
        ],
      ),
    );
  }
  if (goodput?.rejectedAfterSeconds.length)
    console.log(`  429s at ${goodput.rejectedAfterSeconds.join(', ')} s after the first create`);
  if (production) printProduction(production);
  console.log(`\nJSON: ${out}`);
}

function printProduction(p: ProductionResult): void {
  console.log(
    `\nP5 the native production stack (PostgreSQL, 3 workers, callback mode, segments left at the provider)`,
  );
  console.log(
    formatTable(
      ['chains', 'ok', 'charged twice', 'unpaid', 'start s', 'wall s', 'segments/s', 'PostgreSQL share'],
      [
        [
          p.chains,
          p.completed,
          p.chargedTwice,
          p.unpaid,
          p.startSeconds,
          p.wallSeconds,
          p.segmentsPerSecond,
          `${Math.round(p.postgresqlShare * 100)} %`,
        ],
      ],
    ),
  );
  console.log(
    formatTable(
      ['worker', 'peak RSS MB', 'cores'],
      p.workers.map((w) => [w.role, w.peakRssMb, w.cores]),
    ),
  );
  const c = p.cores;
  console.log(
    `  cores: PostgreSQL ${c.postgresql}, Temporal ${c.temporal}, workers ${c.workers}, simulator ${c.simulator}, ` +
      `receiver ${c.receiver}, bench ${c.bench}`,
  );
  console.log(
    `  workers: ${Object.entries(PRODUCTION_WORKER)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(' ')}`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench: ${(err as Error).stack ?? err}`);
    process.exit(2);
  },
);
