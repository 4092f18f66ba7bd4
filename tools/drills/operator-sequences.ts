/**
 * R5 of `npm run chaos`: seeded random operator sequences (pause, resume, cancel, resume after cancel, redo
 * with and without a new prompt, append, `--max-credits` at start and raised on resume) on many chains at
 * once, while the provider's creates turn slow, ambiguous (5xx after the task was made) or hung and
 * workers are killed (`operator-actions.ts`). Then the drill plays the operator to finish what it can (the
 * never-pay-twice runbook for lost creates) and judges every chain against the charge ledger
 * (`operator-invariants.ts`). Violations name the chain, its seed and its sequence as run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { type Stack, startDrillStack } from '../stack';
import type { LedgerEntry } from '../../src/simulator/ledger';
import { type ScenarioResult, chainCredits, providerLoad } from './chaos-scenarios';
import { CALM, type Ctx, count, disrupt, finish, runSequence } from './operator-actions';
import type { ProviderName } from '../../src/chain/providers';
import { FAILED_STATES } from '../lab/verdict';
import { type ChainRecord, judgeChain } from './operator-invariants';
import { type Plan, describePlan, planSequence } from './operator-plan';

export interface OperatorDrillSize {
  chains: number;
  rounds: number;
  steps: number;
  segments: number;
  /** Chain `i` of round `r` plays the sequence of seed `seed + r × chains + i`. */
  seed: number;
  /** SIGKILL a worker every few seconds during the actions (default true). */
  killWorkers?: boolean;
}

export type OperatorDrillResult = ScenarioResult & {
  seed: number;
  sequences: number;
  /** Actions by kind (`end: …` are the drill's own, finishing chains), refusals by validators, closed chains. */
  actions: Record<string, number>;
  refusals: Record<string, number>;
  closed: Record<string, number>;
  errors: number;
  cancelled: number;
  unansweredAtCancel: number;
  violations: string[];
  /** Every sequence as run: its seed, what the drill did and how the chain ended. */
  runs: Array<{ id: string; seed: number; end?: string; spent?: number; log: string[] }>;
};

/** The longest one round may take: its actions, then the finishing of its chains. */
const ROUND_MS = 180_000;

/** A violating chain's evidence for its diagnosis: every run's history and its ledger entries. */
async function dumpChain(stack: Stack, rec: ChainRecord, ledger: LedgerEntry[], violations: string[]) {
  const histories: unknown[] = [];
  for await (const wf of stack.client.workflow.list({ query: `WorkflowId = '${rec.id}'` })) {
    const history = await stack.client.workflow.getHandle(rec.id, wf.runId).fetchHistory();
    histories.push(JSON.parse(historyToJSON(history)));
  }
  const dir = path.join('.data', 'r5-violations');
  mkdirSync(dir, { recursive: true });
  const entries = ledger.filter((e) => e.prompt.startsWith(`[${rec.id} `));
  writeFileSync(path.join(dir, `${rec.id}.json`), JSON.stringify({ violations, rec, entries, histories }));
}

export async function runOperatorDrill(
  size: OperatorDrillSize,
  budgetMs: number,
  log: (line: string) => void,
  provider: ProviderName = 'kie-runway',
): Promise<OperatorDrillResult> {
  const started = Date.now();
  const stack = await startDrillStack({
    sim: {
      provider,
      timeScale: 0.01,
      rateLimit: 0,
      media: 'shared',
      jitter: 0.25,
      shapes: 'mixed',
      seed: size.seed,
    },
    callbacks: true,
    workerEnv: { PROVIDER_RATE_LIMIT_PER_SECOND: '40', RUNWAY_TIMEOUT_MS: '3000' },
  });
  const price = chainCredits(provider, 1);
  const ctx: Ctx = { stack, provider, price, actions: {}, refusals: {}, closed: {}, events: [], errors: 0 };
  const all: ChainRecord[] = [];
  const violations: string[] = [];
  const problems: string[] = [];
  let unansweredAtCancel = 0;
  log(`R5 operator sequences (${provider}): seed ${size.seed}, ${size.rounds} × ${size.chains} sequences`);
  try {
    await stack.startWorkers(2);
    for (let round = 0; round < size.rounds; round++) {
      const roundStart = Date.now();
      // A round's share of the budget, and never more than ROUND_MS: a chain stuck (a workflow task that
      // keeps failing, say) is reported as unsettled, not waited for until the whole budget is gone.
      const share = (started + budgetMs - roundStart) / (size.rounds - round);
      const roundEnd = roundStart + Math.min(share, ROUND_MS);
      if (roundEnd - roundStart < 20_000) break;
      const plans = new Map<string, Plan>();
      const recs = Array.from({ length: size.chains }, (_, i): ChainRecord => {
        const seed = size.seed + round * size.chains + i;
        const id = `r5-${provider}-${process.pid}-s${seed}`;
        plans.set(id, planSequence(seed, { steps: size.steps, segments: size.segments, price }));
        const generations = Array.from({ length: size.segments }, () => 0);
        return { id, seed, t0: 0, log: [], caps: [], redos: [], total: size.segments, generations };
      });
      let running = true;
      const disruption = disrupt(ctx, size.seed + round, () => running, size.killWorkers ?? true);
      const actionsEnd = roundStart + Math.min((roundEnd - roundStart) * 0.4, 45_000);
      try {
        await Promise.all(recs.map((r) => runSequence(ctx, r, plans.get(r.id)!, actionsEnd)));
      } finally {
        running = false;
        await disruption;
      }
      await stack.admin.setFaults({ ...CALM, callbackDropProbability: 0 });
      const unsettled = await finish(ctx, recs, plans, roundEnd);
      const [ledger, tasks] = await Promise.all([stack.admin.ledger(), stack.admin.tasks()]);
      const failed = new Set(tasks.filter((t) => FAILED_STATES.has(t.state)).map((t) => t.taskId));
      for (const rec of recs) {
        const judged = await judgeChain(rec, ledger, failed, stack.outputDir, price);
        unansweredAtCancel += judged.unansweredAtCancel;
        const replay = `replay: npm run chaos -- --only R5 --provider ${provider} --seed ${rec.seed}`;
        const sequence = `${describePlan(plans.get(rec.id)!)} | as run: ${rec.log.join(' · ')}`;
        if (judged.violations.length) await dumpChain(stack, rec, ledger, judged.violations);
        for (const v of judged.violations) {
          violations.push(`${rec.id}: ${v} (${replay}; ${sequence})`);
          log(`R5 VIOLATION ${rec.id} (seed ${rec.seed}): ${v}`);
        }
        if (
          unsettled.has(rec) ||
          rec.end?.state === 'failed' ||
          (rec.end?.state === 'paused' && rec.end.paused?.by !== 'budget')
        )
          problems.push(
            `${rec.id} unsettled, ${rec.end?.state ?? 'unknown'}: ${rec.unreadable ?? rec.end?.reason ?? ''} (${replay}; ${sequence})`,
          );
      }
      all.push(...recs);
      log(
        `R5 round ${round + 1}: ${recs.length} sequences in ${Math.round((Date.now() - roundStart) / 1000)} s, ${violations.length} violations so far`,
      );
    }
    const stats = await stack.admin.stats();
    const state = (s: string) => all.filter((r) => r.end?.state === s).length;
    const pausedReasons: Record<string, number> = {};
    for (const r of all.filter((r) => r.end?.state === 'paused'))
      count(pausedReasons, (r.end!.reason ?? 'no reason').replace(/\d+/g, 'N').slice(0, 90));
    return {
      name: 'R5 operator sequences',
      provider,
      seed: size.seed,
      sequences: all.length,
      chains: all.length,
      completed: state('completed'),
      paused: state('paused'),
      cancelled: state('cancelled'),
      pausedReasons,
      other: all.length - state('completed') - state('paused') - state('cancelled'),
      duplicateCharges: violations.filter((v) => v.includes(': paid twice:')).length,
      lostSegments: violations.filter((v) => v.includes('final.mp4')).length,
      ...providerLoad(stats, started),
      auditedForSecrets: 0,
      leakedSecrets: 0,
      lostCreatesResolved: ctx.events.filter((e) => e.includes(' on the dashboard')).length,
      actions: ctx.actions,
      refusals: ctx.refusals,
      closed: ctx.closed,
      errors: ctx.errors,
      unansweredAtCancel,
      violations,
      runs: all.map((r) => ({
        id: r.id,
        seed: r.seed,
        end: r.end && `${r.end.state}${r.end.reason ? `: ${r.end.reason.slice(0, 80)}` : ''}`,
        spent: r.end?.creditsSpent,
        log: r.log,
      })),
      events: ctx.events,
      problems: [...violations, ...problems],
    };
  } finally {
    await stack.stop();
  }
}
