/**
 * What R5 (`npm run chaos`, operator sequences) found paying twice or failing a chain, in the
 * time-skipping environment against a scripted provider: a cancel while an adopted task is awaited, a
 * resume of a chain cancelled while the never-pay-twice guard held it, a redo while the segment is archived.
 */
import { type ChainProgress } from '../src/chain/progress';
import { redoUpdate, resumeUpdate } from '../src/workflows/messages';
import { startNextRun } from '../src/client';
import {
  INPUT,
  ScriptedProvider,
  env,
  updateRejection,
  start,
  useTimeSkippingEnv,
  waitFor,
  waitForProgress,
  withWorkers,
  ambiguousCreate,
} from './support/scripted-chain';

jest.setTimeout(120_000);
useTimeSkippingEnv();

const FAST = { ...INPUT, options: { ...INPUT.options, pollIntervalMs: 10 } };

test("cancel while an adopted task is awaited: the task stays the segment's, paid once; a resume awaits it", async () => {
  // R5 (seed 383878): the runbook adopted a lost create's task, the chain was cancelled while awaiting it;
  // the cancel was taken for "the adopted task cannot be awaited": uncharged and forgotten, paid again.
  const provider = new ScriptedProvider();
  provider.pollNeverFinishes = true;
  provider.onCreate = ambiguousCreate(1);
  const input = { ...FAST, options: { ...FAST.options, callbackGraceMs: 1_000 } };
  const { cancelled, result } = await withWorkers(provider, async () => {
    const handle = await start(input);
    await waitForProgress(handle, (p) => p.paused?.by === 'never-pay-twice guard');
    await handle.executeUpdate(resumeUpdate, { args: [{ adoptTaskId: 'task-1' }] });
    const polls = provider.polls;
    await waitFor(() => provider.polls > polls);
    await handle.cancel();
    const cancelled = await waitForProgress(handle, (p) => p.state === 'cancelled');
    provider.pollNeverFinishes = false;
    await startNextRun(env.client, handle.workflowId);
    return { cancelled, result: await waitForProgress(handle, (p) => p.state !== 'running') };
  });
  expect(cancelled.segments[0]).toMatchObject({ state: 'generating', taskId: 'task-1', adopted: true });
  expect(cancelled.creditsSpent).toBe(12);
  expectEachSegmentPaidOnce(result, provider);
});

test('resume of a chain cancelled while the never-pay-twice guard held it starts paused by the guard', async () => {
  // R5: a lost create paused the chain, the operator cancelled it, then resumed it: the new run took the
  // segment for one never sent and paid for it again beside the lost create's task.
  const provider = new ScriptedProvider();
  provider.pollsToFinish = 1;
  provider.onCreate = ambiguousCreate(1);
  const input = { ...FAST, options: { ...FAST.options, callbackGraceMs: 1_000 } };
  const { resumed, result } = await withWorkers(provider, async () => {
    const handle = await start(input);
    await waitForProgress(handle, (p) => p.paused?.by === 'never-pay-twice guard');
    await handle.cancel();
    await waitForProgress(handle, (p) => p.state === 'cancelled');
    const started = await startNextRun(env.client, handle.workflowId);
    expect(started).toMatchObject({ state: 'paused', paused: { by: 'never-pay-twice guard' } });
    const resumed = await waitForProgress(handle, (p) => p.run === 2);
    // The runbook: the lost create's task is on the dashboard.
    await handle.executeUpdate(resumeUpdate, { args: [{ adoptTaskId: 'task-1' }] });
    return { resumed, result: await waitForProgress(handle, (p) => p.state !== 'running') };
  });
  expect(resumed).toMatchObject({ state: 'paused', paused: { by: 'never-pay-twice guard' } });
  expectEachSegmentPaidOnce(result, provider);
});

test('a redo while the segment is being archived: the redone segment is archived too, then delivered', async () => {
  // R5 (seed 712988): the discarded task's archive was still running when the chain ended; the redone
  // segment's archive, held behind it, was never made and the chain failed delivering ("reading 'video'").
  const provider = new ScriptedProvider();
  provider.pollsToFinish = 1;
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let entered = false;
  const deliverables = provider.deliverables();
  provider.deliverables = () => ({
    ...deliverables,
    archiveSegment: async (input: { index: number; taskId: string }) => {
      if (input.taskId === 'task-3') {
        entered = true;
        await held;
      }
      return deliverables.archiveSegment(input);
    },
  });
  const result = await withWorkers(provider, async () => {
    const handle = await start({ ...FAST, prompts: ['a', 'b', 'c', 'd'] });
    await waitFor(() => entered);
    await handle.executeUpdate(redoUpdate, { args: [{ from: 3 }] });
    const redone = (p: ChainProgress) =>
      p.segments.every((s) => s.state === 'succeeded') && p.segments[2]!.taskId !== 'task-3';
    await waitForProgress(handle, redone);
    await new Promise((r) => setTimeout(r, 500)); // the chain waits for the discarded task's archive
    release();
    return waitForProgress(handle, (p) => p.state !== 'running');
  });
  expect(result.state).toBe('completed');
  const third = result.segments[2]!;
  expect(third.taskId).not.toBe('task-3');
  expect(third.archive?.video).toBe(`/out/${third.taskId}.mp4`);
});

test("a redo never discards a create the never-pay-twice guard holds: that task's cost would be lost", async () => {
  // R5 (seeds 662494, 662501, …): a create answered 500 after its task existed, the guard paused, and a
  // redo discarded the segment: the task was never counted, the reported spend was short of the ledger
  // and the budget could be passed (84 credits against a cap of 72).
  const provider = new ScriptedProvider();
  provider.pollsToFinish = 1;
  provider.onCreate = ambiguousCreate(2);
  const input = { ...FAST, options: { ...FAST.options, callbackGraceMs: 1_000 } };
  const result = await withWorkers(provider, async () => {
    const handle = await start(input);
    await waitForProgress(handle, (p) => p.paused?.by === 'never-pay-twice guard');
    for (const from of [1, 2]) {
      expect(
        await updateRejection(handle.executeUpdate(redoUpdate, { args: [{ from, prompt: 'anew' }] })),
      ).toMatch(/segment 2's create may have made a paid task .* resolve it first/);
    }
    // A redo after the held segment is no concern of the guard's.
    await handle.executeUpdate(redoUpdate, { args: [{ from: 3, prompt: 'the tree, anew' }] });
    await handle.executeUpdate(resumeUpdate, { args: [{ adoptTaskId: 'task-2' }] });
    return waitForProgress(handle, (p) => p.state !== 'running');
  });
  expect(result.state).toBe('completed');
  expect(result.segments.map((s) => s.taskId)).toEqual(['task-1', 'task-2', 'task-3']);
  expect(result.segments.map((s) => s.prompt)).toEqual([
    'a seed sprouts',
    'it grows into a tree',
    'the tree, anew',
  ]);
  expect(result.creditsSpent).toBe(36);
});

/** The three-segment chain completed with one create per segment, the lost create's task among them. */
function expectEachSegmentPaidOnce(result: ChainProgress, provider: ScriptedProvider): void {
  expect(result.state).toBe('completed');
  expect(provider.creates.map((c) => c.input.segment)).toEqual([1, 2, 3]); // segment 1 paid once
  expect(result.segments.map((s) => s.taskId)).toEqual(['task-1', 'task-2', 'task-3']);
  expect(result.creditsSpent).toBe(36);
}
