/**
 * The chain's logic in Temporal's time-skipping environment, against a scripted provider (the provider is
 * not the point here; the integration suites use the simulator): happy path, callback-first and poll-first
 * completion, failed tasks, non-retryable errors, 429 with Retry-After, ambiguous creates, cancellation.
 */
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WorkflowFailedError } from '@temporalio/client';
import type { createProviderActivities, SubmitInput, SubmitResult } from '../src/activities/provider';
import {
  type ChainProgress,
  FailureTypes,
  type LongVideoInput,
  PROVIDER_TASK_QUEUE,
  type TaskOutcome,
  WORKFLOW_TASK_QUEUE,
  progressQuery,
  taskFinishedSignal,
} from '../src/workflows/definitions';
import { createTimeSkippingEnv } from './support/temporal';

jest.setTimeout(120_000);

type Activities = ReturnType<typeof createProviderActivities>;

/** A scripted provider: tasks finish after `pollsToFinish` looks; hooks let a test inject failures. */
class ScriptedProvider {
  creates: Array<{ kind: 'generate' | 'extend'; input: SubmitInput<{ prompt: string; taskId?: string }> }> =
    [];
  polls = 0;
  pollsToFinish = 2;
  failTasks = new Set<number>(); // create numbers (1-based) whose task ends in fail
  onCreate?: (n: number) => void;
  pollNeverFinishes = false;

  activities(): Activities {
    const create =
      (kind: 'generate' | 'extend') =>
      async (input: SubmitInput<never>): Promise<SubmitResult> => {
        this.creates.push({ kind, input });
        const n = this.creates.length;
        this.onCreate?.(n);
        return { taskId: `task-${n}`, adopted: false, callbacks: true };
      };
    return {
      submitGeneration: create('generate'),
      submitExtension: create('extend'),
      awaitTaskResult: async ({ taskId }: { taskId: string }): Promise<TaskOutcome> => {
        this.polls++;
        const n = Number(taskId.split('-')[1]);
        if (this.pollNeverFinishes || this.polls % this.pollsToFinish !== 0) {
          throw ApplicationFailure.create({ type: FailureTypes.TaskNotFinished, message: 'generating' });
        }
        return this.outcome(n);
      },
    } as unknown as Activities;
  }

  outcome(n: number): TaskOutcome {
    const c = this.creates[n - 1]!;
    const parentTaskId = c.input.request.taskId ?? '';
    if (this.failTasks.has(n)) {
      return {
        taskId: `task-${n}`,
        state: 'fail',
        parentTaskId,
        prompt: c.input.request.prompt,
        failCode: '501',
        failMsg: 'Generation failed',
      };
    }
    return {
      taskId: `task-${n}`,
      state: 'success',
      parentTaskId,
      prompt: c.input.request.prompt,
      videoUrl: `https://files/task-${n}.mp4`,
      imageUrl: `https://files/task-${n}.png`,
    };
  }
}

const INPUT: LongVideoInput = {
  prompts: ['a seed sprouts', 'it grows into a tree', 'the tree blossoms'],
  aspectRatio: '16:9',
  options: { pollIntervalMs: 1000, callbackGraceMs: 60_000 },
};

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../src/workflows'),
    logger: quietLogger(),
  });
});
afterAll(() => env?.teardown());

async function withWorkers<T>(provider: ScriptedProvider, fn: () => Promise<T>): Promise<T> {
  const workflows = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: WORKFLOW_TASK_QUEUE,
    workflowBundle: bundle,
  });
  const activities = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: PROVIDER_TASK_QUEUE,
    activities: provider.activities(),
  });
  return workflows.runUntil(activities.runUntil(fn));
}

let ids = 0;
const start = (input: unknown = INPUT) =>
  env.client.workflow.start('longVideo', {
    taskQueue: WORKFLOW_TASK_QUEUE,
    workflowId: `chain-${++ids}`,
    args: [input],
  });

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
      await handle.signal(taskFinishedSignal, { ...provider.outcome(n), segment: n, attempt: 1 });
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
      ...provider.outcome(1),
      taskId: 'someone-else',
      segment: 1,
      attempt: 1,
    });
    await handle.signal(taskFinishedSignal, { ...provider.outcome(1), segment: 1, attempt: 7 });
    return handle.result();
  });
  expect(result.segments[0]).toMatchObject({ taskId: 'task-1', completedBy: 'poll' });
});

test('a task that fails is resubmitted, up to the limit, then the chain fails with the reason', async () => {
  const provider = new ScriptedProvider();
  provider.failTasks = new Set([2, 3]); // segment 2 fails twice, then succeeds
  const result = await withWorkers(provider, async () =>
    (await start({ ...INPUT, prompts: ['a', 'b'] })).result(),
  );
  expect(result.segments[1]).toMatchObject({ state: 'succeeded', attempts: 3, taskId: 'task-4' });
  expect(provider.creates.slice(1).every((c) => c.input.request.taskId === 'task-1')).toBe(true);

  const failing = new ScriptedProvider();
  failing.failTasks = new Set([1, 2]);
  const err = await withWorkers(failing, async () =>
    (await start({ ...INPUT, prompts: ['a'], options: { ...INPUT.options, maxTaskFailures: 1 } }))
      .result()
      .catch((e) => e),
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect(err.cause.message).toMatch(/segment 1 failed 2 times; the provider said: 501 Generation failed/);
  expect(failing.creates).toHaveLength(2);
});

test('a non-retryable provider error ends the chain with the provider message, after no retry', async () => {
  const provider = new ScriptedProvider();
  provider.onCreate = (n) => {
    if (n === 2)
      throw ApplicationFailure.create({
        type: 'InsufficientCreditsError',
        message: 'extend: 402 Insufficient credits',
        nonRetryable: true,
      });
  };
  const err = await withWorkers(provider, async () => (await start()).result().catch((e) => e));
  expect(err.cause.message).toMatch(/402 Insufficient credits/);
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
  provider.onCreate = (n) => {
    if (n === 1)
      throw ApplicationFailure.create({
        type: FailureTypes.AmbiguousCreate,
        message: 'timeout after send',
        nonRetryable: true,
        details: [{ callbacks: true }],
      });
  };
  const result = await withWorkers(provider, async () => {
    const handle = await start({ ...INPUT, prompts: ['a'] });
    await waitFor(() => provider.creates.length >= 1);
    // The provider did create task-1 and calls back for (segment 1, attempt 1).
    await handle.signal(taskFinishedSignal, { ...provider.outcome(1), segment: 1, attempt: 1 });
    return handle.result();
  });
  expect(result.segments[0]).toMatchObject({ state: 'succeeded', taskId: 'task-1', attempts: 1 });
  expect(provider.creates).toHaveLength(1);
});

test('an ambiguous create with no callback stops the chain (policy stop) with a message naming the segment', async () => {
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
  const err = await withWorkers(provider, async () => (await start()).result().catch((e) => e));
  expect(err.cause.message).toMatch(/segment 2: .*No callback arrived within 60000 ms/);
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

async function waitFor(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function quietLogger() {
  const noop = () => undefined;
  return { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
}
