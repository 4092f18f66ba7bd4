/**
 * What R5's operator does to a chain: its sequence's actions (each refusal counted, never an error), the
 * provider faults and worker kills around them, and at the end the finishing of every chain it can.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import {
  ChainNotFound,
  ChainRequestRefused,
  chainProgress,
  startNextRun,
  startChain,
} from '../../src/client';
import type { Stack } from '../stack';
import type { FaultConfig } from '../../src/simulator/options';
import { appendUpdate, pauseUpdate, redoUpdate, resumeUpdate } from '../../src/workflows/messages';
import { parseLongVideoInput } from '../../src/chain/input';
import type { ProviderName } from '../../src/chain/providers';
import { resolveLostCreate } from './chaos-scenarios';
import type { ChainRecord } from './operator-invariants';
import { type Plan, type Step, markedPrompt, seededRandom } from './operator-plan';

const CHAIN_OPTIONS = {
  pollIntervalMs: 1_000,
  callbackGraceMs: 3_000,
  providerCallTimeoutMs: 8_000,
  maxTaskFailures: 3,
};
const BY = 'R5 operator drill';
export const CALM: Partial<FaultConfig> = { slowProbability: 0, createFailAfter: 0, hangProbability: 0 };
const FAULTS: Record<string, Partial<FaultConfig>> = {
  calm: {},
  slow: { slowProbability: 0.4, slowMs: 2_000 },
  ambiguous: { createFailAfter: 0.3 },
  hung: { hangProbability: 0.15, hangMs: 4_500 },
};

export interface Ctx {
  stack: Stack;
  /** The chains' provider. */
  provider: ProviderName;
  /** The most one create can cost on it (a first segment's, its first frame included): caps are sized by it. */
  price: number;
  actions: Record<string, number>;
  refusals: Record<string, number>;
  closed: Record<string, number>;
  events: string[];
  errors: number;
}

export const count = (tally: Record<string, number>, key: string) =>
  void (tally[key] = (tally[key] ?? 0) + 1);

/** What an error says of an action: refused by a validator, the chain closed, or no answer. */
function outcomeOf(err: unknown): 'refused' | 'closed' | 'error' {
  if (err instanceof WorkflowUpdateFailedError || err instanceof ChainRequestRefused) return 'refused';
  if (err instanceof ChainNotFound) return 'closed';
  const message = (err as Error).message ?? String(err);
  return err instanceof WorkflowNotFoundError || /already completed|not found/i.test(message)
    ? 'closed'
    : 'error';
}

/**
 * An update with its own id, sent again after an error that is no answer (a time-out): the server answers
 * a known id with that update's outcome, so a redo's or a raise's fate is never left unknown.
 */
async function update<T>(send: (updateId: string) => Promise<T>): Promise<T> {
  const updateId = randomUUID();
  for (let attempt = 1; ; attempt++) {
    try {
      return await send(updateId);
    } catch (err) {
      if (attempt >= 4 || outcomeOf(err) !== 'error') throw err;
      await sleep(1_000);
    }
  }
}

/** Start a chain, run its plan's steps, spaced by their delays, until done or the deadline. */
export async function runSequence(ctx: Ctx, rec: ChainRecord, plan: Plan, deadline: number): Promise<void> {
  const prompts = Array.from({ length: plan.segments }, (_, i) => markedPrompt(rec.id, i + 1, 0));
  const options = { ...CHAIN_OPTIONS, ...(plan.cap !== undefined ? { maxCredits: plan.cap } : {}) };
  rec.t0 = Date.now();
  if (plan.cap !== undefined) rec.caps.push({ at: rec.t0, cap: plan.cap });
  const input = parseLongVideoInput({ prompts, aspectRatio: '16:9', options, provider: ctx.provider });
  try {
    await startChain(ctx.stack.client, input, rec.id);
  } catch (err) {
    rec.log.push(`start failed: ${(err as Error).message}`);
    ctx.errors++;
    return;
  }
  count(ctx.actions, 'start');
  for (const step of plan.steps) {
    if (Date.now() + step.delayMs > deadline) break;
    await sleep(step.delayMs);
    await act(ctx, rec, step, deadline);
  }
}

/** One operator action; a refusal (validator, closed chain) is an answer, counted, not an error. */
async function act(ctx: Ctx, rec: ChainRecord, step: Step, deadline: number): Promise<void> {
  const { client } = ctx.stack;
  const handle = client.workflow.getHandle(rec.id);
  const asked = Date.now();
  const call = <T>(fn: () => Promise<T>) =>
    client.connection.withDeadline(Math.min(asked + 30_000, deadline + 30_000), fn);
  let kind: string = step.kind;
  let what = '';
  try {
    if (step.kind === 'pause') {
      await update((updateId) =>
        call(() => handle.executeUpdate(pauseUpdate, { updateId, args: [{ by: BY, reason: 'R5 pause' }] })),
      );
    } else if (step.kind === 'cancel') {
      await call(() => handle.cancel());
    } else if (step.kind === 'append') {
      const n = 1 + Math.floor(step.u * 2);
      const prompts = Array.from({ length: n }, (_, i) => markedPrompt(rec.id, rec.total + i + 1, 0));
      what = `+${n}`;
      await update((updateId) =>
        call(() => handle.executeUpdate(appendUpdate, { updateId, args: [{ by: BY, prompts }] })),
      );
      rec.total += n;
      rec.generations.push(...prompts.map(() => 0));
    } else if (step.kind === 'redo' || step.kind === 'redo-prompt') {
      const from = 1 + Math.floor(step.u * rec.total);
      const generation = step.kind === 'redo-prompt' ? rec.generations[from - 1]! + 1 : undefined;
      const prompt = generation !== undefined ? markedPrompt(rec.id, from, generation) : undefined;
      what = `--from ${from}${prompt ? ` --prompt g${generation}` : ''}`;
      const p = await update((updateId) =>
        call(() => handle.executeUpdate(redoUpdate, { updateId, args: [{ by: BY, from, prompt }] })),
      );
      // The workflow's clock when it applied the redo: creates before it were of the old generation.
      rec.redos.push({ from, at: Date.parse(p.updatedAt) });
      if (generation !== undefined) rec.generations[from - 1] = generation;
    } else {
      const status = (await call(() => handle.describe())).status.name;
      if (status === 'COMPLETED') throw new Error('the chain has already completed');
      if (status !== 'RUNNING') {
        // `long-video resume` of a closed chain (its --max-credits is not applied there: the CLI ignores it).
        kind = 'resume-after-cancel';
        what = `(${status.toLowerCase()})`;
        await call(() => startNextRun(client, rec.id));
      } else {
        const p = await call(() => chainProgress(client, rec.id));
        if (p.paused?.by === 'never-pay-twice guard') {
          kind = 'resume (runbook)';
          await call(() => resolveLostCreate(ctx.stack, { workflowId: rec.id, prompts: [] }, p, ctx.events));
        } else {
          const raise =
            step.kind === 'resume-raise' && p.maxCredits !== undefined
              ? p.maxCredits + ctx.price * (1 + Math.floor(step.u * 3))
              : undefined;
          if (raise !== undefined) what = `--max-credits ${raise}`;
          await update((updateId) =>
            call(() =>
              handle.executeUpdate(resumeUpdate, { updateId, args: [{ by: BY, maxCredits: raise }] }),
            ),
          );
          if (raise !== undefined) rec.caps.push({ at: asked, cap: raise });
        }
      }
    }
    rec.lastAccepted = kind;
    count(ctx.actions, kind);
    rec.log.push(`+${asked - rec.t0}ms ${kind} ${what} ok`);
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    const outcome = outcomeOf(err);
    count(ctx.actions, kind);
    if (outcome === 'refused') count(ctx.refusals, kind);
    else if (outcome === 'closed') count(ctx.closed, kind);
    else ctx.errors++;
    const why = err instanceof WorkflowUpdateFailedError ? (err.cause?.message ?? message) : message;
    rec.log.push(`+${asked - rec.t0}ms ${kind} ${what} ${outcome}: ${why.slice(0, 100)}`);
  }
}

/**
 * The operator finishes every chain it can: resumes paused chains (the runbook for lost creates; a budget
 * pause with a higher cap only where the plan allows), resumes cancelled chains whose last action was not
 * the cancel, and follows each until it completes or stays paused or cancelled on purpose.
 */
export async function finish(ctx: Ctx, recs: ChainRecord[], plans: Map<string, Plan>, deadline: number) {
  const { client } = ctx.stack;
  const open = new Set(recs);
  const tries = new Map<string, number>();
  while (open.size > 0 && Date.now() < deadline) {
    for (const rec of [...open]) {
      const p = await chainProgress(client, rec.id).catch(
        (err: Error) => void (rec.unreadable = err.message),
      );
      if (!p) continue;
      delete rec.unreadable;
      rec.end = p;
      if (p.state === 'running') continue;
      const n = tries.get(rec.id) ?? 0;
      const done =
        p.state === 'completed' ||
        p.state === 'failed' ||
        n >= 5 ||
        (p.state === 'cancelled' && rec.lastAccepted === 'cancel') ||
        (p.paused?.by === 'budget' && !plans.get(rec.id)!.mayRaiseAtEnd);
      if (done) {
        open.delete(rec);
        continue;
      }
      tries.set(rec.id, n + 1);
      let kind = 'end: resume';
      const call = <T>(fn: () => Promise<T>) => client.connection.withDeadline(Date.now() + 30_000, fn);
      try {
        if (p.state === 'cancelled') {
          kind = 'end: resume-after-cancel';
          await call(() => startNextRun(client, rec.id));
        } else if (p.paused?.by === 'never-pay-twice guard') {
          kind = 'end: resume (runbook)';
          await call(() => resolveLostCreate(ctx.stack, { workflowId: rec.id, prompts: [] }, p, ctx.events));
        } else {
          const left = p.segments.filter((s) => s.state !== 'succeeded').length;
          const cap = p.paused?.by === 'budget' ? p.creditsSpent + ctx.price * (left + 1) : undefined;
          if (cap !== undefined) kind = 'end: resume-raise';
          const at = Date.now();
          await call(() =>
            client.workflow
              .getHandle(rec.id)
              .executeUpdate(resumeUpdate, { args: [{ by: BY, maxCredits: cap }] }),
          );
          if (cap !== undefined) rec.caps.push({ at, cap });
        }
        count(ctx.actions, kind);
        rec.log.push(`end: ${kind.slice(5)} ok`);
      } catch (err) {
        rec.log.push(`end: ${kind.slice(5)} failed: ${(err as Error).message.slice(0, 100)}`);
      }
    }
    if (open.size > 0) await sleep(500);
  }
  return open;
}

/** Provider faults toggled during the actions: creates calm, slow, ambiguous (5xx after create) or hung. */
export async function disrupt(
  ctx: Ctx,
  seed: number,
  running: () => boolean,
  killWorkers = true,
): Promise<void> {
  const rand = seededRandom(seed ^ 0x5eed);
  const modes = Object.keys(FAULTS);
  let nextKill = Date.now() + 1_500 + rand() * 1_500;
  while (running()) {
    await sleep(1_000 + rand() * 1_500);
    if (!running()) break;
    const mode = modes[Math.floor(rand() * modes.length)]!;
    await ctx.stack.admin.setFaults({ ...CALM, ...FAULTS[mode], callbackDropProbability: 0.3 });
    count(ctx.actions, `faults: ${mode}`);
    if (killWorkers && Date.now() >= nextKill && running()) {
      const victim = ctx.stack.workers[Math.floor(rand() * ctx.stack.workers.length)]!;
      await ctx.stack.replaceWorker(victim);
      count(ctx.actions, 'worker killed');
      nextKill = Date.now() + 4_000 + rand() * 4_000;
    }
  }
}
