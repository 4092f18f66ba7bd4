/**
 * The chain's logic in Temporal's time-skipping environment, against a scripted provider (the provider is
 * not the point here; the integration suites use the simulator): happy path, callback-first and poll-first
 * completion, failed tasks, non-retryable errors, 429 with Retry-After, ambiguous creates, cancellation.
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { type ChainProgress } from '../src/chain/progress';
import { FailureTypes } from '../src/chain/failure-types';
import { startNextRun } from '../src/client';
import { progressQuery, resumeUpdate, taskFinishedSignal } from '../src/workflows/messages';
import {
  INPUT,
  ScriptedProvider,
  callBack,
  env,
  start,
  useTimeSkippingEnv,
  waitFor,
  waitForProgress,
  withWorkers,
  ambiguousCreate,
} from './support/scripted-chain';

jest.setTimeout(120_000);
useTimeSkippingEnv();

test('the happy chain: one generation, then each segment extends the previous task', async () => {
  const provider = new ScriptedProvider();
  const result: ChainProgress = await withWorkers(provider, async () => (await start()).result());
  expect(result.state).toBe('completed');
  expect(result.segments.map((s) => [s.state, s.taskId, s.attempts, s.completedBy])).toEqual([
    ['succeeded', 'task-1', 1, 'poll'],
    ['succeeded', 'task-2', 1, 'poll'],
    ['succeeded', 'task-3', 1, 'poll'],
  ]);
  expect(
    provider.creates.map((c) => [c.kind, c.input.request.taskId, c.input.segment, c.input.attempt]),
  ).toEqual([
    ['generate', undefined, 1, 1],
    ['extend', 'task-1', 2, 1],
    ['extend', 'task-2', 3, 1],
  ]);
});

test('a callback that comes first wins, and the poll is cancelled', async () => {
  const provider = new ScriptedProvider();
  provider.pollNeverFinishes = true;
  const result = await withWorkers(provider, async () => {
    const handle = await start({ ...INPUT, prompts: ['one', 'two'] });
    for (let n = 1; n <= 2; n++) {
      await waitFor(() => provider.creates.length >= n);
      await callBack(handle, provider, n, { segment: n, attempt: 1 });
    }
    return handle.result();
  });
  expect(result.segments.map((s: { completedBy?: string }) => s.completedBy)).toEqual([
    'callback',
    'callback',
  ]);
});

test('a callback for another attempt or task is not taken for this one', async () => {
  const provider = new ScriptedProvider();
  provider.pollsToFinish = 3;
  const result = await withWorkers(provider, async () => {
    const handle = await start({ ...INPUT, prompts: ['one'] });
    await waitFor(() => provider.creates.length >= 1);
    await handle.signal(taskFinishedSignal, {
      taskId: 'someone-else',
      state: 'success',
      segment: 1,
      attempt: 1,
    });
    await handle.signal(taskFinishedSignal, { taskId: 'task-1', state: 'success', segment: 1, attempt: 7 });
    return handle.result();
  });
  expect(result.segments[0]).toMatchObject({ taskId: 'task-1', completedBy: 'poll' });
});

test('a task that fails is resubmitted; past the limit the chain pauses with the reason, and resume goes on', async () => {
  const provider = new ScriptedProvider();
  provider.failTasks = new Set([2, 3]); // segment 2 fails twice, then succeeds
  const result = await withWorkers(provider, async () =>
    (await start({ ...INPUT, prompts: ['a', 'b'] })).result(),
  );
  expect(result.segments[1]).toMatchObject({ state: 'succeeded', attempts: 3, taskId: 'task-4' });
  expect(provider.creates.slice(1).every((c) => c.input.request.taskId === 'task-1')).toBe(true);

  const failing = new ScriptedProvider();
  failing.failTasks = new Set([1, 2]);
  const resumed = await withWorkers(failing, async () => {
    const handle = await start({
      ...INPUT,
      prompts: ['a'],
      options: { ...INPUT.options, maxTaskFailures: 1 },
    });
    const paused = await waitForProgress(handle, (p) => p.state === 'paused');
    expect(paused.paused).toMatchObject({ by: 'failure budget' });
    expect(paused.reason).toMatch(/segment 1 failed 2 times; the provider said: 501 Generation failed/);
    expect(failing.creates).toHaveLength(2);
    await handle.executeUpdate(resumeUpdate, { args: [{ by: 'test' }] });
    return handle.result();
  });
  expect(resumed).toMatchObject({ state: 'completed' });
  expect(resumed.segments[0]).toMatchObject({ taskId: 'task-3', attempts: 3 });
});

test('402 pauses the chain (nothing is lost), and resume after a top-up goes on', async () => {
  const provider = new ScriptedProvider();
  let credits = false;
  provider.onCreate = (n) => {
    if (n === 2 && !credits) {
      provider.creates.pop();
      throw ApplicationFailure.create({
        type: 'InsufficientCreditsError',
        message: 'extend: 402 Insufficient credits',
        nonRetryable: true,
      });
    }
  };
  const result = await withWorkers(provider, async () => {
    const handle = await start();
    const paused = await waitForProgress(handle, (p) => p.state === 'paused');
    expect(paused.reason).toMatch(/out of credits: .*402 Insufficient credits/);
    expect(paused.paused!.by).toBe('provider (402)');
    expect(paused.segments.map((s) => s.state)).toEqual(['succeeded', 'pending', 'pending']);
    credits = true;
    await handle.executeUpdate(resumeUpdate, { args: [{}] });
    return handle.result();
  });
  expect(result.state).toBe('completed');
  expect(provider.creates).toHaveLength(3);
});

test('a non-retryable provider error ends the chain with the provider message, after no retry', async () => {
  const provider = new ScriptedProvider();
  provider.onCreate = (n) => {
    if (n === 2)
      throw ApplicationFailure.create({
        type: 'UnauthorizedError',
        message: 'extend: 401 Invalid API key',
        nonRetryable: true,
      });
  };
  const err = await withWorkers(provider, async () => (await start()).result().catch((e) => e));
  expect(err.cause.message).toMatch(/401 Invalid API key/);
  expect(provider.creates).toHaveLength(2);
});

test('429 is retried after its Retry-After', async () => {
  const provider = new ScriptedProvider();
  let refused = 0;
  provider.onCreate = (n) => {
    if (n === 1 && refused++ === 0) {
      provider.creates.pop();
      throw ApplicationFailure.create({ type: 'RateLimitedError', message: '429', nextRetryDelay: '30s' });
    }
  };
  const started = Date.now();
  const envStart = await env.currentTimeMs();
  const result = await withWorkers(provider, async () =>
    (await start({ ...INPUT, prompts: ['a'] })).result(),
  );
  expect(result.state).toBe('completed');
  expect((await env.currentTimeMs()) - envStart).toBeGreaterThanOrEqual(30_000);
  expect(Date.now() - started).toBeLessThan(30_000); // time was skipped, not waited
});

test('an ambiguous create adopts the task its callback names, and pays nothing more', async () => {
  const provider = new ScriptedProvider();
  provider.pollNeverFinishes = true;
  provider.onCreate = ambiguousCreate(1);
  const result = await withWorkers(provider, async () => {
    const handle = await start({ ...INPUT, prompts: ['a'] });
    await waitFor(() => provider.creates.length >= 1);
    // The provider did create task-1 and calls back for (segment 1, attempt 1).
    await callBack(handle, provider, 1, { segment: 1, attempt: 1 });
    return handle.result();
  });
  expect(result.segments[0]).toMatchObject({
    state: 'succeeded',
    taskId: 'task-1',
    attempts: 1,
    completedBy: 'callback',
    videoUrl: 'https://files/task-1.mp4', // from the chain's read: the hint carries no outcome
  });
  expect(provider.creates).toHaveLength(1);
  expect(provider.polls).toBe(1); // one read confirmed the callback's task
});

test('a callback is a hint: the chain reads the task at once and takes what the read says', async () => {
  const provider = new ScriptedProvider();
  provider.pollsToFinish = 1_000; // the poll alone would not finish it
  const input = { ...INPUT, prompts: ['one'], options: { ...INPUT.options, pollIntervalMs: 600_000 } };
  const result = await withWorkers(provider, async () => {
    const handle = await start(input);
    await waitFor(() => provider.creates.length >= 1);
    provider.finished.add(1);
    // An old receiver's shape, and a body that says fail: neither the state nor the URL is taken.
    await handle.signal(taskFinishedSignal, {
      segment: 1,
      attempt: 1,
      taskId: 'task-1',
      state: 'fail',
      videoUrl: 'https://forged/video.mp4',
    });
    return handle.result();
  });
  expect(result.segments[0]).toMatchObject({
    state: 'succeeded',
    completedBy: 'callback',
    videoUrl: 'https://files/task-1.mp4',
  });
  expect(provider.polls).toBe(1); // one read, at once: not one poll interval later
  const { submittedAt, completedAt } = result.segments[0]!;
  expect(Date.parse(completedAt!) - Date.parse(submittedAt!)).toBeLessThan(600_000);
});

test('an ambiguous create does not adopt a task its callback names until a read confirms it', async () => {
  const provider = new ScriptedProvider();
  provider.onCreate = ambiguousCreate(1);
  const paused = await withWorkers(provider, async () => {
    const handle = await start({ ...INPUT, prompts: ['a'] });
    await waitFor(() => provider.creates.length >= 1);
    // A task the provider does not know (a forged body on a leaked URL, say): the read refutes it.
    await handle.signal(taskFinishedSignal, {
      segment: 1,
      attempt: 1,
      taskId: 'forged-x',
      state: 'success',
    });
    await env.sleep('61s');
    return waitForProgress(handle, (p) => p.state === 'paused');
  });
  expect(paused.paused!.by).toBe('never-pay-twice guard');
  expect(paused.reason).toMatch(/a callback named task forged-x, which a read could not confirm/);
  expect(paused.creditsSpent).toBe(0);
  expect(paused.segments[0]).toMatchObject({ state: 'pending' });
  expect(provider.creates).toHaveLength(1);
});

test("a cancel while a lost create's callback is being confirmed keeps the task, adopted; a resume proves and awaits it", async () => {
  const provider = new ScriptedProvider();
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let reading = false;
  provider.beforeOutcome = async () => {
    reading = true;
    await held;
  };
  provider.onCreate = ambiguousCreate(1);
  const { cancelled, result } = await withWorkers(provider, async () => {
    const handle = await start({ ...INPUT, prompts: ['a'] });
    await waitFor(() => provider.creates.length >= 1);
    await callBack(handle, provider, 1, { segment: 1, attempt: 1 });
    await waitFor(() => reading);
    await handle.cancel();
    const cancelled = await waitForProgress(handle, (p) => p.state === 'cancelled');
    release();
    provider.beforeOutcome = undefined;
    await startNextRun(env.client, handle.workflowId);
    return { cancelled, result: await waitForProgress(handle, (p) => p.state === 'completed') };
  });
  expect(cancelled.segments[0]).toMatchObject({ state: 'generating', taskId: 'task-1', adopted: true });
  expect(cancelled.creditsSpent).toBe(12);
  expect(result.segments[0]).toMatchObject({ state: 'succeeded', taskId: 'task-1' });
  expect(result.creditsSpent).toBe(12);
  expect(provider.creates).toHaveLength(1);
});

test('an ambiguous create with no callback pauses the chain with a message naming the segment', async () => {
  const provider = new ScriptedProvider();
  provider.onCreate = (n) => {
    if (n === 2)
      throw ApplicationFailure.create({
        type: FailureTypes.AmbiguousCreate,
        message: 'reset',
        nonRetryable: true,
        details: [{ callbacks: true }],
      });
  };
  const paused = await withWorkers(provider, async () => {
    const handle = await start();
    await waitFor(() => provider.creates.length >= 2);
    await env.sleep('61s'); // past the callback grace window, in skipped time
    return waitForProgress(handle, (p) => p.state === 'paused');
  });
  expect(paused.reason).toMatch(/segment 2: .*No callback arrived within 60000 ms/);
  expect(paused.paused!.by).toBe('never-pay-twice guard');
  expect(provider.creates).toHaveLength(2);
});

test('with policy resubmit, an unresolved ambiguous create is submitted again', async () => {
  const provider = new ScriptedProvider();
  provider.onCreate = (n) => {
    if (n === 1)
      throw ApplicationFailure.create({
        type: FailureTypes.AmbiguousCreate,
        message: 'reset',
        nonRetryable: true,
        details: [{ callbacks: false }],
      });
  };
  const result = await withWorkers(provider, async () =>
    (
      await start({
        ...INPUT,
        prompts: ['a'],
        options: { ...INPUT.options, ambiguousCreatePolicy: 'resubmit' },
      })
    ).result(),
  );
  expect(result.segments[0]).toMatchObject({ state: 'succeeded', taskId: 'task-2', attempts: 2 });
});

test('cancel mid-chain ends it cleanly; progress keeps the finished segments', async () => {
  const provider = new ScriptedProvider();
  const progress = await withWorkers(provider, async () => {
    const handle = await start();
    await waitFor(() => provider.creates.length >= 2);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    return handle.query(progressQuery);
  });
  expect(progress.state).toBe('cancelled');
  expect(progress.segments[0]).toMatchObject({ state: 'succeeded', videoUrl: 'https://files/task-1.mp4' });
  expect(progress.segments[2]!.state).toBe('pending');
  expect(provider.creates).toHaveLength(2);
});

test('invalid input fails at once, before any paid call', async () => {
  const provider = new ScriptedProvider();
  const err = await withWorkers(provider, async () =>
    (await start({ prompts: ['ok', ''], duration: 10, quality: '1080p' })).result().catch((e) => e),
  );
  expect(err.cause.message).toMatch(/prompts.1: prompt must not be empty/);
  expect(err.cause.message).toMatch(/1080p is only available/);
  expect(err.cause.message).toMatch(/aspectRatio is required/);
  expect(provider.creates).toHaveLength(0);
});
