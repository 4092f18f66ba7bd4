/**
 * Operator sequences that must never cost money twice nor break the chain, in the time-skipping
 * environment against a scripted provider: appends up to the most segments a chain can carry, a next run
 * whose input would be refused, and a redo whose new create can never be taken for a discarded one.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { type SegmentState } from '../src/chain/progress';
import {
  appendUpdate,
  pauseUpdate,
  progressQuery,
  redoUpdate,
  resumeUpdate,
} from '../src/workflows/messages';
import { nextRunInput } from '../src/workflows/chain-inputs';
import { startNextRun } from '../src/client';
import {
  INPUT,
  ScriptedProvider,
  callBack,
  env,
  start,
  updateRejection,
  useTimeSkippingEnv,
  waitFor,
  waitForProgress,
  withWorkers,
  lostAnswer,
} from './support/scripted-chain';

jest.setTimeout(120_000);
useTimeSkippingEnv();

const FAST = { ...INPUT, options: { ...INPUT.options, pollIntervalMs: 10 } };
const shots = (n: number) => Array.from({ length: n }, (_, i) => `shot ${i + 1}`);

test('an append past 1000 segments is refused and changes nothing; up to 1000 the chain goes on', async () => {
  const provider = new ScriptedProvider();
  provider.pollsToFinish = 1;
  const appendOf = (prompts: string[]) => ({ args: [{ prompts }] as [{ prompts: string[] }] });
  const progress = await withWorkers(provider, async () => {
    // Continue as new after every segment: the run after segment 1 carries all 1000 segments.
    const handle = await start({
      ...FAST,
      prompts: shots(998),
      options: { ...FAST.options, continueAsNewEvery: 1 },
    });
    const refused = await updateRejection(handle.executeUpdate(appendUpdate, appendOf(['x', 'y', 'z'])));
    expect(refused).toMatch(
      /at most 1000 segments: this one has 998, so at most 2 more can be appended \(not 3\)/,
    );
    expect((await handle.query(progressQuery)).segmentsTotal).toBe(998);
    expect((await handle.executeUpdate(appendUpdate, appendOf(['x', 'y']))).segmentsTotal).toBe(1000);
    expect(await updateRejection(handle.executeUpdate(appendUpdate, appendOf(['z'])))).toMatch(
      /at most 0 more/,
    );
    await waitFor(() => provider.creates.length >= 3); // two runs later
    const p = await handle.query(progressQuery);
    await handle.terminate();
    return p;
  });
  expect(progress.run).toBeGreaterThanOrEqual(2);
  expect(progress.state).toBe('running');
  expect(progress.segments.map((s) => s.prompt).slice(-3)).toEqual(['shot 998', 'x', 'y']);
});

/** A chain seeded with `done` finished segments and `pending` more. */
function seeded(done: number, pending: number) {
  const segments: SegmentState[] = shots(done + pending).map((prompt, i) => ({
    index: i + 1,
    prompt,
    attempts: i < done ? 1 : 0,
    failures: 0,
    ...(i < done
      ? { state: 'succeeded', taskId: `old-${i + 1}`, videoUrl: `https://files/old-${i + 1}.mp4` }
      : { state: 'pending' }),
  }));
  return { segments, startedAt: '2026-01-01T00:00:00.000Z', creditsSpent: 0, runs: 1 };
}

test('the next run input is checked before continuing as new', () => {
  const input = { ...FAST, prompts: ['a'] } as Parameters<typeof nextRunInput>[0];
  expect(nextRunInput(input, seeded(999, 1), 24)).toMatchObject({
    next: { prompts: shots(1000), options: { maxCredits: 24 } },
  });
  expect(nextRunInput(input, seeded(999, 1), 24).problem).toBeUndefined();
  expect(nextRunInput(input, seeded(1000, 1), undefined).problem).toMatch(/prompts: Too big/);
});

test('a chain whose next run would refuse its input goes on in this run instead of failing', async () => {
  // More segments than a run's input may carry (as an append accepted by an earlier version could leave):
  // continuing as new after segment 1000 would make a run that fails at once.
  const provider = new ScriptedProvider();
  provider.pollsToFinish = 1;
  const result = await withWorkers(provider, async () => {
    const handle = await start({
      ...FAST,
      prompts: ['shot 1'],
      options: { ...FAST.options, continueAsNewEvery: 1, deliver: false },
      carry: seeded(999, 2),
    });
    return handle.result();
  });
  expect(result).toMatchObject({ state: 'completed', run: 2, segmentsDone: 1001 });
  expect(provider.creates.map((c) => c.input.request.taskId)).toEqual(['old-999', 'task-1']);
});

test('after a redo a segment creates under a new attempt number: an old callback is never taken for it', async () => {
  const provider = new ScriptedProvider();
  let redoCreate = 0;
  provider.onCreate = (n) => {
    const { segment } = provider.creates[n - 1]!.input;
    if (segment !== 2 || provider.creates.filter((c) => c.input.segment === 2).length < 2) return;
    redoCreate = n; // the redo's create of segment 2 makes a task, but its answer is lost
    throw lostAnswer('HTTP 500 after the create was sent');
  };
  const input = { ...FAST, options: { ...FAST.options, callbackGraceMs: 2_000 } };
  const { guarded, result } = await withWorkers(provider, async () => {
    const handle = await start(input);
    await waitForProgress(handle, (p) => p.segmentsDone >= 2);
    await handle.executeUpdate(pauseUpdate, { args: [{}] });
    // The provider's callback for segment 2's first task (late, or sent again): it names (2, attempt 1).
    await callBack(handle, provider, 2, { segment: 2, attempt: 1 });
    const redone = await handle.executeUpdate(redoUpdate, { args: [{ from: 2 }] });
    expect(redone.segments[1]).toMatchObject({ state: 'pending', attempts: 1 });
    await callBack(handle, provider, 2, { segment: 2, attempt: 1 });
    await handle.executeUpdate(resumeUpdate, { args: [{}] });
    const guarded = await waitForProgress(handle, (p) => p.state !== 'running');
    if (guarded.state === 'paused') {
      await handle.executeUpdate(resumeUpdate, { args: [{ adoptTaskId: `task-${redoCreate}` }] });
    }
    return { guarded, result: await handle.result() };
  });
  // The old task was not taken for the new create: the chain waited for attempt 2's own callback, then
  // stopped as it must when none came, and the task the operator found is the segment's.
  expect(guarded).toMatchObject({ state: 'paused', paused: { by: 'never-pay-twice guard' } });
  const attemptsOf2 = provider.creates.filter((c) => c.input.segment === 2).map((c) => c.input.attempt);
  expect(attemptsOf2).toEqual([1, 2]);
  expect(result.segments[1]).toMatchObject({ taskId: `task-${redoCreate}`, attempts: 2 });
  expect(result.segments[2]!.taskId).not.toBe('task-3'); // segment 3 continues the new segment 2
});

/** Until the chain has answered the cancel by asking its in-flight create to stop (a history event). */
async function cancelReachedCreate(handle: WorkflowHandle): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { events } = await handle.fetchHistory();
    if (events?.some((e) => e.activityTaskCancelRequestedEventAttributes)) return;
    if (Date.now() > deadline) throw new Error('the chain never asked its create to stop');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A provider whose first create of segment 2 is held until `release` and then ends as `end` says. */
function slowSecondSegment(end: 'answers' | 'ambiguous') {
  const provider = new ScriptedProvider();
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const activities = provider.activities();
  let entered = false;
  provider.activities = () => ({
    ...activities,
    submitExtension: async (input: Parameters<typeof activities.submitExtension>[0]) => {
      if (input.segment !== 2 || entered) return activities.submitExtension(input);
      entered = true;
      await held;
      const made = await activities.submitExtension(input); // the provider makes (and charges) the task
      if (end === 'answers') return made;
      throw lostAnswer(
        'the create may have made a paid task whose id we do not have: HTTP 502 after sending',
      );
    },
  });
  return { provider, release, entered: () => entered };
}

test('cancel while a create is in flight: it finishes and is kept; resume awaits it, paying nothing', async () => {
  const { provider, release, entered } = slowSecondSegment('answers');
  const { cancelled, result } = await withWorkers(provider, async () => {
    const handle = await start(FAST);
    await waitFor(entered);
    await handle.cancel();
    await cancelReachedCreate(handle); // the chain has asked the create to stop before it answers
    release();
    const cancelled = await waitForProgress(handle, (p) => p.state === 'cancelled');
    await startNextRun(env.client, handle.workflowId);
    const result = await waitForProgress(handle, (p) => p.state === 'completed');
    return { cancelled, result };
  });
  expect(cancelled.segments[1]).toMatchObject({ state: 'generating', taskId: 'task-2' });
  expect(cancelled.creditsSpent).toBe(24);
  expect(provider.creates.map((c) => c.input.segment)).toEqual([1, 2, 3]); // segment 2 paid once
  expect(result.segments.map((s) => s.taskId)).toEqual(['task-1', 'task-2', 'task-3']);
  expect(result.creditsSpent).toBe(36);
});

test('a run that inherits a create whose answer never came waits for its callback, not paying again', async () => {
  const { provider, release, entered } = slowSecondSegment('ambiguous');
  const { cancelled, result } = await withWorkers(provider, async () => {
    const handle = await start(FAST);
    await waitFor(entered);
    await handle.cancel();
    await cancelReachedCreate(handle); // the chain has asked the create to stop before it answers
    release();
    const cancelled = await waitForProgress(handle, (p) => p.state === 'cancelled');
    await startNextRun(env.client, handle.workflowId);
    // The provider's callback for that create (segment 2, attempt 1) reaches the new run.
    await callBack(handle, provider, 2, { segment: 2, attempt: 1 });
    const result = await waitForProgress(handle, (p) => p.state !== 'running');
    return { cancelled, result };
  });
  expect(cancelled.segments[1]).toMatchObject({ state: 'submitting', attempts: 1 });
  expect(result.state).toBe('completed');
  expect(provider.creates.map((c) => c.input.segment)).toEqual([1, 2, 3]); // segment 2 paid once
  expect(result.segments.map((s) => s.taskId)).toEqual(['task-1', 'task-2', 'task-3']);
  expect(result.creditsSpent).toBe(36);
});

test('a create cancelled before it was sent made nothing: the segment is pending again', async () => {
  const provider = new ScriptedProvider();
  provider.pollNeverFinishes = true;
  const progress = await withWorkers(
    provider,
    async () => {
      // No provider worker polls the creates queue yet: segment 1's create waits, unsent, when cancelled.
      const handle = await start({ ...FAST, prompts: ['a'] });
      await waitForProgress(handle, (p) => p.segments[0]!.state === 'submitting');
      await handle.cancel();
      return waitForProgress(handle, (p) => p.state === 'cancelled');
    },
    { creates: false },
  );
  expect(progress.segments[0]).toMatchObject({ state: 'pending', attempts: 1 });
  expect(provider.creates).toHaveLength(0);
});
