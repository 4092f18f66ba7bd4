/**
 * A finished chain revised: `redo --from K` and `append` on a completed (or cancelled) chain start a new
 * run that keeps what was made, pays only for the new segments (the simulator's ledger says so), extends
 * from the right task, and delivers a new final.mp4 of the new length; the old one stays until then.
 */
import { statSync } from 'node:fs';
import type { ChainProgress } from '../src/chain/progress';
import { appendChain, chainProgress } from '../src/client';
import { probeVideo } from '../src/media/probe';
import { eventually } from './support/simulator';
import { useStackWithWorker } from './support/stack';

jest.setTimeout(240_000);

const useStack = useStackWithWorker();
const ledger = () => useStack().sim.admin.ledger();
/** `long-video start` of chain `id` with `prompts` (16:9), waiting for its end with `wait`. */
const start = (id: string, prompts: string[], wait = false) =>
  useStack().cli([
    'start',
    ...['--aspect-ratio', '16:9', '--id', id],
    ...prompts.flatMap((p) => ['--prompt', p]),
    ...(wait ? ['--wait', '--json'] : []),
  ]);
const progress = (id: string) => chainProgress(useStack().client, id);
const waitFor = (id: string, state: string, check: (p: ChainProgress) => boolean = () => true) =>
  eventually(async () => {
    const p = await progress(id);
    return p.state === state && check(p) ? p : undefined;
  }, 120_000);

test('a completed chain: redo --from 2 pays for 2..3 only, append pays for the new one, final.mp4 grows', async () => {
  const id = 'rv-done';
  const started = await start(id, ['a', 'b', 'c'], true);
  expect(started.code).toBe(0);
  const first = JSON.parse(started.stdout);
  expect(first.state).toBe('completed');
  const firstLedger = await ledger();
  expect(firstLedger).toHaveLength(3);
  const oldFinal = first.outputs.video as string;
  const oldMtime = statSync(oldFinal).mtimeMs;

  const redo = await useStack().cli(['redo', id, '--from', '2', '--prompt', 'b again']);
  expect(redo.code).toBe(0);
  expect(redo.stdout).toContain('in a new run');
  // Until the new run stitches, the old final.mp4 is there, untouched.
  expect(statSync(oldFinal).mtimeMs).toBe(oldMtime);
  const redone = await waitFor(id, 'completed', (p) => p.run === 2);
  const afterRedo = await ledger();
  const redoCharges = afterRedo.slice(firstLedger.length);
  expect(redoCharges.map((e) => [e.endpoint, e.prompt])).toEqual([
    ['extend', 'b again'],
    ['extend', 'c'],
  ]);
  // Segment 2 continues segment 1's task, which was kept; segment 3 continues the new segment 2.
  expect(redoCharges[0]!.parentTaskId).toBe(first.segments[0].taskId);
  expect(redoCharges[1]!.parentTaskId).toBe(redoCharges[0]!.taskId);
  expect(redone.segments[0]!.taskId).toBe(first.segments[0].taskId);
  expect(redone.creditsSpent).toBe(afterRedo.reduce((sum, e) => sum + e.cost, 0));
  expect(redone.run).toBe(2);
  expect(Math.abs((await probeVideo(redone.outputs!.video!)).durationSeconds - 15)).toBeLessThanOrEqual(
    3 / 24,
  );

  const append = await useStack().cli(['append', id, '--prompt', 'd']);
  expect(append.code).toBe(0);
  const appended = await waitFor(id, 'completed', (p) => p.run === 3);
  const afterAppend = await ledger();
  expect(afterAppend.slice(afterRedo.length).map((e) => [e.endpoint, e.prompt, e.parentTaskId])).toEqual([
    ['extend', 'd', redoCharges[1]!.taskId],
  ]);
  expect(appended.segmentsDone).toBe(4);
  expect(appended.creditsSpent).toBe(afterAppend.reduce((sum, e) => sum + e.cost, 0));
  expect(Math.abs((await probeVideo(appended.outputs!.video!)).durationSeconds - 20)).toBeLessThanOrEqual(
    4 / 24,
  );
});

test('a cancelled chain gets an append; a redo out of range is refused and pays nothing', async () => {
  const id = 'rv-cancelled';
  await start(id, ['a', 'b']);
  await waitFor(id, 'running', (p) => p.segmentsDone >= 1);
  expect((await useStack().cli(['cancel', id])).code).toBe(0);
  await waitFor(id, 'cancelled');
  const before = await ledger();

  const outOfRange = await useStack().cli(['redo', id, '--from', '9']);
  expect(outOfRange.code).not.toBe(0);
  expect(outOfRange.stderr).toContain('between 1 and 2');
  expect(await ledger()).toHaveLength(before.length); // refused: nothing started, nothing paid

  expect((await useStack().cli(['append', id, '--prompt', 'c'])).code).toBe(0);
  const done = await waitFor(id, 'completed', (p) => p.run === 2);
  expect(done.segments.map((s) => s.prompt)).toEqual(['a', 'b', 'c']);
  const after = await ledger();
  // Each segment paid once over the chain's life (a task cancelled in flight is kept, not paid again).
  expect(new Set(after.map((e) => e.prompt)).size).toBe(after.length);
  expect(done.creditsSpent).toBe(after.reduce((sum, e) => sum + e.cost, 0));
});

test('two appends to a completed chain at once: one new run, each prompt paid once, none lost silently', async () => {
  const id = 'rv-race';
  expect((await start(id, ['a'], true)).code).toBe(0);
  const client = useStack().client;
  const results = await Promise.allSettled(
    ['x', 'y'].map((prompt) => appendChain(client, id, { by: 'test', prompts: [prompt] })),
  );
  const accepted = results.flatMap((r, i) => (r.status === 'fulfilled' ? [['x', 'y'][i]!] : []));
  // The loser either found the new run and appended to it, or was told to run its request again.
  for (const r of results)
    if (r.status === 'rejected')
      expect(String(r.reason)).toMatch(/has just started a new run|no running chain/);
  expect(accepted.length).toBeGreaterThanOrEqual(1);
  const done = await waitFor(id, 'completed', (p) => p.run === 2 && p.segmentsTotal === 1 + accepted.length);
  expect(
    done.segments
      .slice(1)
      .map((s) => s.prompt)
      .sort(),
  ).toEqual(accepted.sort());
  const paid = (await ledger()).map((e) => e.prompt);
  expect(paid.sort()).toEqual(['a', ...accepted].sort());
});
