/**
 * `npm run chaos`: fault drills on the real stack (Temporal dev server, worker processes, receiver,
 * simulator over HTTP, all on 127.0.0.1). Prints a table (or, with --json, one JSON object) and writes
 * the JSON to --out. Exits 1 when any drill paid twice, lost a segment, or left a chain unexplained.
 *
 *   npm run chaos                 R1–R4 at full size (50 chains × 5 segments each), on both providers
 *   npm run chaos -- --quick      a small variant of every drill (part of `npm test`)
 *   npm run chaos -- --only R3    one drill
 *   npm run chaos -- --provider runwayml   every drill on one provider only (kie-runway or runwayml)
 *   npm run chaos -- --only R5 --seed N   replay the operator sequence of seed N (one chain)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Runtime } from '@temporalio/worker';
import { PROVIDER_NAMES, type ProviderName } from '../../src/chain/providers';
import { workerLogger } from '../../src/temporal/logging';
import { SCENARIOS, type ScenarioResult, type ScenarioSize, runScenario } from './chaos-scenarios';
import { type OperatorDrillResult, runOperatorDrill } from './operator-sequences';
import { formatTable } from './table';

const FULL: ScenarioSize = { chains: 50, segments: 5 };
/** The quick drills run twice (both providers) inside `npm test`: small enough to keep it under 20 minutes. */
const QUICK: ScenarioSize = { chains: 6, segments: 3 };
/** runwayml's quick R1–R4 render every clip whole (continuity is judged): fewer chains. */
const QUICK_RUNWAYML: ScenarioSize = { chains: 4, segments: 3 };
/** R5: chains per round × rounds sequences of `steps` actions each. */
const R5_FULL = { chains: 40, rounds: 5, steps: 8 };
/** The quick variant (in `npm test`) plays the same sequences every time: a seed that found nothing. */
const R5_QUICK = { chains: 6, rounds: 1, steps: 6, seed: 73982 };
/**
 * The quick R5 kills workers on the reseller only. With worker kills, an operator's update that reaches a
 * chain in the workflow task after a timed-out one (its worker killed) can be recorded in an order the
 * SDK's replay does not reproduce (TMPRL1100 "Update machine does not handle this event": a Temporal
 * Core bug class, temporalio/sdk-rust#943 and #1146); seen on runwayml chains in about one quick run of
 * three. The full R5 keeps the kills on both providers; R1 kills workers under runwayml chains.
 */
const R5_QUICK_KILLS: Record<ProviderName, boolean> = { 'kie-runway': true, runwayml: false };

/** A drill that fails its promise: duplicate charges, lost segments, chains neither completed nor paused. */
export function broken(r: ScenarioResult): boolean {
  const limitExceeded = r.rateLimitPerWindow > 0 && r.maxRequestsPerWindow > r.rateLimitPerWindow;
  const violated = 'violations' in r && (r as OperatorDrillResult).violations.length > 0;
  return r.duplicateCharges > 0 || r.lostSegments > 0 || r.other > 0 || limitExceeded || violated;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean' },
      quick: { type: 'boolean' },
      only: { type: 'string' },
      chains: { type: 'string' },
      segments: { type: 'string' },
      rounds: { type: 'string' },
      steps: { type: 'string' },
      seed: { type: 'string' },
      provider: { type: 'string' },
      'budget-minutes': { type: 'string' },
      out: { type: 'string' },
    },
  });
  const sizeOn = (provider: ProviderName): ScenarioSize => {
    const base = values.quick ? (provider === 'runwayml' ? QUICK_RUNWAYML : QUICK) : FULL;
    return {
      chains: Number(values.chains ?? base.chains),
      segments: Number(values.segments ?? base.segments),
    };
  };
  const size = sizeOn('kie-runway');
  if (!(size.chains >= 1 && size.segments >= 1)) throw new Error('--chains and --segments must be ≥ 1');
  const budgetMs = Number(values['budget-minutes'] ?? (values.quick ? 2 : 8)) * 60_000;
  const only = values.only?.toUpperCase().split(',');
  const scenarios = SCENARIOS.filter((s) => !only || only.includes(s.name.split(' ')[0]!));
  const withR5 = !only || only.includes('R5');
  if (scenarios.length === 0 && !withR5)
    throw new Error(`--only ${values.only}: no such drill (R1, R2, R3, R4, R5)`);

  const providers = (values.provider ? [values.provider] : PROVIDER_NAMES) as ProviderName[];
  const unknown = providers.find((p) => !PROVIDER_NAMES.includes(p));
  if (unknown) throw new Error(`--provider ${unknown}: no such provider (${PROVIDER_NAMES.join(', ')})`);

  Runtime.install({ logger: workerLogger('ERROR'), shutdownSignals: [] });
  const log = (line: string) => void (values.json ? process.stderr : process.stdout).write(`${line}\n`);
  const results: ScenarioResult[] = [];
  for (const provider of providers) {
    for (const scenario of scenarios) {
      const result = await runScenario(scenario, sizeOn(provider), budgetMs, log, provider);
      results.push(result);
      log(
        `${result.name} (${provider}): ${result.completed}/${result.chains} completed in ${result.wallSeconds} s`,
      );
    }
  }
  if (withR5) {
    const r5 = values.quick ? R5_QUICK : R5_FULL;
    // `--seed N` alone replays the one sequence of seed N; with --chains/--rounds, N is the run's first seed.
    const replay = values.seed !== undefined && values.chains === undefined && values.rounds === undefined;
    const seed = Number(values.seed ?? ('seed' in r5 ? r5.seed : Math.floor(Math.random() * 1_000_000)));
    for (const provider of providers) {
      const result = await runOperatorDrill(
        {
          chains: replay ? 1 : Number(values.chains ?? r5.chains),
          rounds: replay ? 1 : Number(values.rounds ?? r5.rounds),
          steps: Number(values.steps ?? r5.steps),
          segments: size.segments,
          seed,
          killWorkers: values.quick ? R5_QUICK_KILLS[provider] : true,
        },
        Number(values['budget-minutes'] ?? (values.quick ? 3 : 20)) * 60_000,
        log,
        provider,
      );
      results.push(result);
      log(
        `${result.name} (${provider}): ${result.sequences} sequences, ${result.violations.length} violations in ${result.wallSeconds} s`,
      );
    }
  }

  const report = { quick: Boolean(values.quick), size, scenarios: results };
  const out = values.out ?? path.join('.data', values.quick ? 'chaos-quick.json' : 'chaos.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2));
  if (values.json) {
    console.log(JSON.stringify(report));
  } else {
    console.log(
      formatTable(
        [
          'scenario',
          'provider',
          'chains',
          'completed',
          'paused',
          'runbook',
          'dup charges',
          'lost segs',
          'secrets leaked',
          'requests',
          '429s',
          'max/window',
          'sequences',
          'violations',
          'wall s',
        ],
        results.map((r) => [
          r.name,
          r.provider,
          r.chains,
          r.completed,
          r.paused,
          r.lostCreatesResolved,
          r.duplicateCharges,
          r.lostSegments,
          `${r.leakedSecrets} in ${r.auditedForSecrets}`,
          r.providerRequests,
          r.rateLimited,
          r.rateLimitPerWindow
            ? `${r.maxRequestsPerWindow}/${r.rateLimitPerWindow}`
            : `${r.maxRequestsPerWindow}/∞`,
          'sequences' in r ? (r as OperatorDrillResult).sequences : '—',
          'violations' in r ? (r as OperatorDrillResult).violations.length : '—',
          r.wallSeconds,
        ]),
      ),
    );
    for (const r of results) {
      const name = `${r.name} (${r.provider})`;
      for (const [reason, n] of Object.entries(r.pausedReasons))
        console.log(`  ${name} paused ×${n}: ${reason}`);
      for (const e of r.events.slice(0, 3)) console.log(`  ${name}: ${e}`);
      for (const p of r.problems.slice(0, 10)) console.log(`  ${name} PROBLEM: ${p}`);
    }
    for (const r of results.filter((r): r is OperatorDrillResult => 'sequences' in r)) {
      const list = (t: Record<string, number>) =>
        Object.entries(t)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ') || 'none';
      const r5 = `R5 (${r.provider})`;
      console.log(`  ${r5} seed ${r.seed}: actions ${list(r.actions)}`);
      console.log(
        `  ${r5} refused by a validator: ${list(r.refusals)}; on a closed chain: ${list(r.closed)}`,
      );
      console.log(`  ${r5} errors ${r.errors}; cancelled with a create unanswered ${r.unansweredAtCancel}`);
    }
    console.log(`JSON: ${out}`);
  }
  return results.some(broken) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`chaos: ${(err as Error).stack ?? err}`);
    process.exit(2);
  },
);
