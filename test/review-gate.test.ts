/**
 * The review gate on the real stack, through the CLI: a `--review` chain pauses after each archived
 * segment until approved, and the simulator's ledger proves that nothing more is paid while it waits; a
 * redo at the gate pays once for the reroll and the gate comes again; approving the last segment delivers.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import type { ChainProgress } from '../src/chain/progress';
import { chainProgress } from '../src/client';
import { useStackWithWorker } from './support/stack';
import { eventually } from './support/simulator';

jest.setTimeout(180_000);

const useStack = useStackWithWorker();
const ID = 'review-chain';
/** Long beside a segment here (well under a second of simulated generation, polled every 200 ms). */
const NO_MOVE_MS = 2_500;

const progress = () => chainProgress(useStack().client, ID);
const creates = async () => (await useStack().sim.admin.ledger()).length;

/** Wait until the chain awaits review of segment `k`. */
const reviewOf = (k: number): Promise<ChainProgress> =>
  eventually(async () => {
    const p = await progress();
    return p.paused?.by === 'review' && p.reason?.startsWith(`review segment ${k} of 3`) ? p : undefined;
  }, 90_000);

/** While the chain waits at segment `k`: exactly `paid` creates, and still so after a while. */
async function expectWaitingAt(k: number, paid: number): Promise<ChainProgress> {
  const p = await reviewOf(k);
  expect(await creates()).toBe(paid);
  await new Promise((r) => setTimeout(r, NO_MOVE_MS));
  expect(await creates()).toBe(paid);
  const still = await progress();
  expect(still).toMatchObject({ state: 'paused', segmentsDone: k, paused: { by: 'review' } });
  expect(still.segments.slice(k).every((s) => s.state === 'pending')).toBe(true);
  return p;
}

test('a --review chain stops after each segment until approved; a redo at the gate rerolls; the last approval delivers', async () => {
  const { cli } = useStack();
  const started = await cli([
    'start',
    '--aspect-ratio',
    '16:9',
    '--id',
    ID,
    '--review',
    ...['--prompt', 'shot 1', '--prompt', 'shot 2', '--prompt', 'shot 3'],
  ]);
  expect(started.code).toBe(0);

  const first = await expectWaitingAt(1, 1);
  // The segment's file is archived before the gate, and the reason names it and both ways on.
  const file = first.segments[0]!.archive!.video;
  expect(existsSync(file)).toBe(true);
  const link = first.segments[0]!.archive!.url;
  expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/review-chain\/segment-001-/);
  expect(first.reason).toBe(
    `review segment 1 of 3 (${link}): approve to go on to segment 2 (\`long-video approve ${ID}\`), ` +
      `or make it again with \`long-video redo ${ID} --from 1 --prompt "…"\``,
  );
  expect((await cli(['status', ID])).code).toBe(5);

  // A resume is not an approval, nor is an approval of another segment.
  const resume = await cli(['resume', ID]);
  expect(resume).toMatchObject({ code: 2 });
  expect(resume.stderr).toContain(
    `the chain awaits review of segment 1: approve it (long-video approve ${ID})`,
  );
  const wrong = await cli(['approve', ID, '--segment', '2']);
  expect(wrong).toMatchObject({ code: 2 });
  expect(wrong.stderr).toContain('the chain awaits review of segment 1, not 2');
  expect(await creates()).toBe(1);

  const approved = await cli(['approve', ID, '--segment', '1']);
  expect(approved).toMatchObject({ code: 0 });
  expect(approved.stdout).toContain(`approved ${ID} at 1/3 segments: segment 2 is next`);
  const second = await expectWaitingAt(2, 2);
  const rejectedTask = second.segments[1]!.taskId;

  // A redo at the gate makes segment 2 again (one create) and the gate comes again after it.
  const redo = await cli(['redo', ID, '--from', '2', '--prompt', 'shot 2, take two']);
  expect(redo.code).toBe(0);
  const rerolled = await eventually(async () => {
    const p = await reviewOf(2);
    return p.segments[1]!.taskId !== rejectedTask ? p : undefined;
  }, 90_000);
  expect(rerolled.segments[1]!.prompt).toBe('shot 2, take two');
  await expectWaitingAt(2, 3);
  const ledger = await useStack().sim.admin.ledger();
  expect(ledger[2]).toMatchObject({ prompt: 'shot 2, take two', parentTaskId: first.segments[0]!.taskId });

  expect((await cli(['approve', ID])).code).toBe(0);
  // The last segment waits too: nothing is stitched before it is approved.
  const last = await expectWaitingAt(3, 4);
  expect(last.reason).toContain('approve to stitch the final video');
  expect(last.outputs?.video).toBeUndefined();

  const final = await cli(['approve', ID]);
  expect(final.stdout).toContain(`approved ${ID}: all 3 segments, the final video is being stitched`);
  const done = await eventually(async () => {
    const p = await progress();
    return p.state === 'completed' ? p : undefined;
  }, 90_000);
  expect(existsSync(done.outputs!.video!)).toBe(true);
  expect(done.segments.map((s) => s.prompt)).toEqual(['shot 1', 'shot 2, take two', 'shot 3']);
  const paid = await useStack().sim.admin.ledger();
  expect(paid).toHaveLength(4);
  expect(done.creditsSpent).toBe(paid.reduce((sum, e) => sum + e.cost, 0));

  // A closed chain awaits nothing: approve says there is no running chain (exit 4).
  expect((await cli(['approve', ID])).code).toBe(4);
  await expectReplaysAndRecord(ID);
});

test('approve refuses a chain that awaits no review, with the reason it is paused', async () => {
  const { cli } = useStack();
  const id = 'review-none';
  await cli([
    'start',
    '--aspect-ratio',
    '1:1',
    '--id',
    id,
    '--prompt',
    'a',
    '--prompt',
    'b',
    '--prompt',
    'c',
  ]);
  await cli(['pause', id, '--reason', 'lunch']);
  const r = await cli(['approve', id]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/not awaiting review: it is paused by .* \(lunch\); resume it instead/);
  await cli(['cancel', id]);
});

test('a storyboard asks for review with `review: true`; anything but a boolean is refused before anything is paid', async () => {
  const { cli, outputDir } = useStack();
  const board = path.join(outputDir, 'review-board.yaml');
  writeFileSync(board, 'aspectRatio: "16:9"\nreview: true\nprompts:\n  - a lighthouse\n');
  expect((await cli(['start', '--id', 'review-board', '--prompts', board])).code).toBe(0);
  const p = await eventually(async () => {
    const now = await chainProgress(useStack().client, 'review-board');
    return now.paused?.by === 'review' ? now : undefined;
  }, 90_000);
  expect(p.reason).toMatch(/^review segment 1 of 1 \(.*\): approve to stitch the final video/);
  await cli(['cancel', 'review-board']);

  writeFileSync(board, 'aspectRatio: "16:9"\nreview: "yes"\nprompts:\n  - a lighthouse\n');
  const bad = await cli(['start', '--id', 'review-board-bad', '--prompts', board]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('options.review: Invalid input: expected boolean');
  expect(await useStack().sim.admin.ledger()).toHaveLength(1);
});

/** The history replays on the current code; RECORD_HISTORIES=1 keeps it as a replay fixture. */
async function expectReplaysAndRecord(workflowId: string) {
  const history = await useStack().client.workflow.getHandle(workflowId).fetchHistory();
  await Worker.runReplayHistory({ workflowsPath: require.resolve('../src/workflows') }, history, workflowId);
  if (process.env.RECORD_HISTORIES) {
    const dir = path.join(__dirname, 'fixtures', 'histories');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${workflowId}.json`), historyToJSON(history));
  }
}
