/**
 * The judge of a drill: the simulator's charge ledger and the chains' own deliverables. A duplicate
 * charge is a second paid task for the same segment while the first did not fail; a lost segment is one a
 * completed chain does not have in its output folder.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SimulatorAdmin } from '../../src/simulator/admin-client';
import type { LedgerEntry } from '../../src/simulator/ledger';
import { folderName } from '../../src/media/storage';
import type { Settled } from './fleet-chains';

export interface Verdict {
  charges: number;
  duplicateCharges: number;
  /** Segments with a duplicate charge, for the report: `prompt × paid tasks`. */
  duplicates: string[];
  lostSegments: number;
  lost: string[];
  /**
   * Official API: clips of completed chains that did not start from the previous segment's last frame (the
   * simulator's continuity check, in its `full` media only).
   */
  discontinuities: string[];
}

/** A task's end that allows paying for its segment again: the reseller's `fail`, the official `FAILED`. */
export const FAILED_STATES = new Set(['fail', 'FAILED']);

export async function judge(
  admin: SimulatorAdmin,
  chains: Settled[],
  outputDir: string,
  /** Check the official API's continuity (the simulator in `full` media tells which clip an image ends). */
  { continuity = false } = {},
): Promise<Verdict> {
  const [ledger, tasks] = await Promise.all([admin.ledger(), admin.tasks()]);
  const failed = new Set(tasks.filter((t) => FAILED_STATES.has(t.state)).map((t) => t.taskId));
  // Paid tasks per segment (the prompt names chain and segment) and endpoint that did not fail: on the
  // official API, segment 1's first frame (text_to_image) is paid besides its clip.
  const paid = new Map<string, number>();
  for (const entry of ledger) {
    const key = `${entry.endpoint}: ${entry.prompt}`;
    if (!failed.has(entry.taskId)) paid.set(key, (paid.get(key) ?? 0) + 1);
  }
  const duplicates = [...paid].filter(([, n]) => n > 1).map(([key, n]) => `${key.slice(0, 60)} × ${n}`);
  const duplicateCharges = [...paid.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0);

  const lost: string[] = [];
  const completed = chains.filter((c) => c.state === 'completed');
  for (const chain of completed) {
    lost.push(...missingSegments(outputDir, chain).map((s) => `${chain.workflowId} segment ${s}`));
  }
  return {
    charges: ledger.length,
    duplicateCharges,
    duplicates,
    lostSegments: lost.length,
    lost,
    discontinuities: continuity ? completed.flatMap((chain) => discontinuities(ledger, chain)) : [],
  };
}

/**
 * The clips of a completed official-API chain whose first frame was not the previous segment's last frame,
 * by the ledger's `startedFrom` (the simulator's fingerprint match of the image it received).
 */
export function discontinuities(ledger: LedgerEntry[], chain: Settled): string[] {
  const segments = chain.progress?.segments ?? [];
  const byTask = new Map(ledger.map((e) => [e.taskId, e]));
  return segments.flatMap((s, i) => {
    const entry = s.taskId ? byTask.get(s.taskId) : undefined;
    if (entry?.endpoint !== 'image_to_video' || i === 0) return [];
    const previous = segments[i - 1]!.taskId;
    return entry.startedFrom === previous
      ? []
      : [
          `${chain.workflowId} segment ${s.index} started from ${entry.startedFrom ?? 'no clip'}, not ${previous}`,
        ];
  });
}

/** Segment numbers a completed chain's manifest lacks, or whose archived file is missing or empty. */
export function missingSegments(outputDir: string, chain: Pick<Settled, 'workflowId' | 'prompts'>): number[] {
  const folder = path.join(outputDir, folderName(chain.workflowId));
  const manifestPath = path.join(folder, 'manifest.json');
  const all = chain.prompts.map((_, i) => i + 1);
  if (!existsSync(manifestPath)) return all;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    segments: Array<{ index: number; prompt: string; state: string; file: string | null }>;
    final: { file: string | null } | null;
  };
  const finalFile = manifest.final?.file ? path.join(folder, manifest.final.file) : undefined;
  if (!finalFile || !existsSync(finalFile) || statSync(finalFile).size === 0) return all;
  return all.filter((index) => {
    const s = manifest.segments.find((m) => m.index === index);
    const file = s?.file ? path.join(folder, s.file) : undefined;
    const ok =
      s?.state === 'succeeded' &&
      s.prompt === chain.prompts[index - 1] &&
      file &&
      existsSync(file) &&
      statSync(file).size > 0;
    return !ok;
  });
}
