/**
 * R5's judge: what one chain's operator sequence left on the simulator's charge ledger, held against the
 * promise. A chain's ledger entries are the ones whose prompt carries its marker (`[ID #POS gGEN]`).
 *
 *   1. no segment paid twice in one generation: a position's paid tasks that did not fail (nor were
 *      cancelled at the provider by the chain's cancel or redo), between two redos covering it (a redo
 *      from K discards K..end: their earlier tasks are allowed);
 *   2. the ledger's running total for the chain never above the highest cap set at the time of a charge;
 *   3. the spend the chain reports (`progress.creditsSpent`) equals the ledger's sum;
 *   4. a completed chain's manifest and files hold every segment, and final.mp4 lasts ≈ segments × 5 s.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { LedgerEntry } from '../../src/simulator/ledger';
import type { ChainProgress } from '../../src/chain/progress';
import { missingSegments } from '../lab/verdict';
import { probeVideo } from '../../src/media/probe';
import { folderName } from '../../src/media/storage';
import { parseMarker } from './operator-plan';

export interface ChainRecord {
  id: string;
  seed: number;
  /** Wall ms when the drill started the chain. */
  t0: number;
  /** What the drill did, in order, with each answer: the sequence as run. */
  log: string[];
  /** Caps set by the drill: wall ms when asked for (before the chain took it), the cap. */
  caps: Array<{ at: number; cap: number }>;
  /** Redos applied: the first discarded segment, and the workflow's clock when it applied the redo. */
  redos: Array<{ from: number; at: number }>;
  /** The chain's segment count as the drill knows it (appends add). */
  total: number;
  /** Per position, the latest prompt generation. */
  generations: number[];
  /** Kind of the last action the chain accepted. */
  lastAccepted?: string;
  end?: ChainProgress;
  /** Why the chain's progress could not be read at the end, if it could not. */
  unreadable?: string;
}

export interface ChainJudgement {
  violations: string[];
  /**
   * The reported spend lags the ledger by creates a cancel left unanswered (a segment `submitting`, or the
   * lost create the never-pay-twice guard paused for, unresolved): not a violation.
   */
  unansweredAtCancel: number;
}

export async function judgeChain(
  rec: ChainRecord,
  ledger: LedgerEntry[],
  failed: Set<string>,
  outputDir: string,
  price: number,
): Promise<ChainJudgement> {
  const mine = ledger
    .map((e) => ({ e, m: parseMarker(e.prompt), at: Date.parse(e.createdAt) }))
    .filter((x) => x.m?.id === rec.id)
    .sort((a, b) => a.at - b.at);
  const violations: string[] = [];

  // 1. One paid, not failed task per position, generation and endpoint (redo boundaries from the workflow's
  // clock): on the official API segment 1's first frame (text_to_image) is paid besides its clip.
  const byEpoch = new Map<string, string[]>();
  for (const { e, m, at } of mine) {
    // A failed task may be paid again; so may one the chain cancelled at the provider (the official API)
    // because an operator cancelled the chain or redid its segment: the operator discarded it.
    if (failed.has(e.taskId) || e.cancelledAt) continue;
    const epoch = rec.redos.filter((r) => r.from <= m!.position && r.at < at).length;
    const key = `${m!.position}/${epoch}${e.endpoint === 'text_to_image' ? ' (first frame)' : ''}`;
    byEpoch.set(key, [...(byEpoch.get(key) ?? []), `${e.taskId}@${e.createdAt.slice(11, 23)}`]);
  }
  for (const [key, tasks] of byEpoch) {
    if (tasks.length < 2) continue;
    const [position, epoch] = key.split('/');
    violations.push(
      `paid twice: segment ${position} (after ${epoch} redos covering it): ${tasks.join(', ')}`,
    );
  }

  // 2. The running total under the highest cap in force at each charge.
  let total = 0;
  let over: string | undefined;
  for (const { e, at } of mine) {
    total += e.cost;
    const inForce = rec.caps.filter((c) => c.at <= at).map((c) => c.cap);
    const cap = inForce.length ? Math.max(...inForce) : undefined;
    if (cap !== undefined && total > cap && !over)
      over = `over budget: ${total} credits spent at ${e.createdAt} (task ${e.taskId}), cap ${cap}`;
  }
  if (over) violations.push(over);

  // 3. The reported spend is the ledger's. A chain cancelled while a create's answer was outstanding does
  // not know that create's task yet (its segment stays `submitting`, for a resume to look for).
  let unansweredAtCancel = 0;
  const reported = rec.end?.creditsSpent;
  if (reported === undefined) {
    violations.push(
      `no progress could be read at the end${rec.unreadable ? `: ${rec.unreadable.slice(0, 300)}` : ''}`,
    );
  } else if (reported !== total) {
    // Creates whose answer never came: a segment left `submitting`, or the one the guard paused for.
    const guard = rec.end!.paused?.by === 'never-pay-twice guard' ? 1 : 0;
    const unanswered = rec.end!.segments.filter((s) => s.state === 'submitting').length + guard;
    const lag = total - reported;
    if (rec.end!.state === 'cancelled' && lag > 0 && lag <= unanswered * price) unansweredAtCancel = 1;
    else
      violations.push(
        `reported spend ${reported} ≠ ledger ${total} (chain ${rec.end!.state})${unknownTasks(rec, mine)}`,
      );
  }

  // 4. A completed chain's deliverables hold its segments.
  if (rec.end?.state === 'completed') {
    const prompts = rec.end.segments.map((s) => s.prompt);
    const missing = missingSegments(outputDir, { workflowId: rec.id, prompts });
    if (missing.length) violations.push(`final.mp4/manifest lacks segments ${missing.join(', ')}`);
    else violations.push(...(await checkDuration(outputDir, rec.id, prompts.length)));
  }
  return { violations, unansweredAtCancel };
}

/** The chain's paid tasks it never knew of (no segment's task, no past attempt's), for the diagnosis. */
function unknownTasks(rec: ChainRecord, mine: Array<{ e: LedgerEntry; at: number }>): string {
  const known = new Set(
    rec.end!.segments.flatMap((s) => [
      s.taskId,
      s.firstFrameTaskId,
      ...(s.pastAttempts ?? []).map((a) => a.taskId),
    ]),
  );
  const unknown = mine.filter(({ e }) => !known.has(e.taskId));
  if (!unknown.length) return '';
  const discarded = unknown.every(({ e, at }) =>
    rec.redos.some((r) => r.from <= parseMarker(e.prompt)!.position && r.at > at),
  );
  const tasks = unknown.map(({ e }) => `${e.taskId} (${e.prompt.slice(0, e.prompt.indexOf(']') + 1)})`);
  return (
    `: tasks the chain never knew of: ${tasks.join(', ')}` +
    (discarded ? ' — each a lost create whose segment a later redo discarded: its cost never counted' : '')
  );
}

async function checkDuration(outputDir: string, id: string, segments: number): Promise<string[]> {
  const folder = path.join(outputDir, folderName(id));
  const manifest = JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as {
    final: { file: string | null } | null;
  };
  const file = path.join(folder, manifest.final?.file ?? 'final.mp4');
  if (!existsSync(file)) return [`no final video at ${file}`];
  const { durationSeconds } = await probeVideo(file);
  const expected = segments * 5;
  return Math.abs(durationSeconds - expected) <= 0.5 + 0.05 * segments
    ? []
    : [`final.mp4 lasts ${durationSeconds.toFixed(2)} s, expected ≈ ${expected} s for ${segments} segments`];
}
