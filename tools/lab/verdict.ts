/**
 * The judge of a drill: the simulator's charge ledger and the chains' own deliverables. A duplicate
 * charge is a second paid task for the same segment while the first did not fail; a lost segment is one a
 * completed chain does not have in its output folder.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SimulatorAdmin } from '../../src/simulator/admin-client';
import { folderName } from '../../src/media/storage';
import type { Settled } from './fleet-chains';

export interface Verdict {
  charges: number;
  duplicateCharges: number;
  /** Segments with a duplicate charge, for the report: `prompt × paid tasks`. */
  duplicates: string[];
  lostSegments: number;
  lost: string[];
}

export async function judge(admin: SimulatorAdmin, chains: Settled[], outputDir: string): Promise<Verdict> {
  const [ledger, tasks] = await Promise.all([admin.ledger(), admin.tasks()]);
  const failed = new Set(tasks.filter((t) => t.state === 'fail').map((t) => t.taskId));
  // Paid tasks per segment (the prompt names chain and segment) that did not end in `fail`.
  const paid = new Map<string, number>();
  for (const entry of ledger) {
    if (!failed.has(entry.taskId)) paid.set(entry.prompt, (paid.get(entry.prompt) ?? 0) + 1);
  }
  const duplicates = [...paid].filter(([, n]) => n > 1).map(([prompt, n]) => `${prompt.slice(0, 40)} × ${n}`);
  const duplicateCharges = [...paid.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0);

  const lost: string[] = [];
  for (const chain of chains.filter((c) => c.state === 'completed')) {
    lost.push(...missingSegments(outputDir, chain).map((s) => `${chain.workflowId} segment ${s}`));
  }
  return { charges: ledger.length, duplicateCharges, duplicates, lostSegments: lost.length, lost };
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
