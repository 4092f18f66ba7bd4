/**
 * Chains in the time-skipping environment against a scripted provider: for workflow-logic tests where the
 * provider itself is not the point.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, type DataConverter } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { createProviderActivities, SubmitInput, SubmitResult } from '../../src/activities/provider';
import { type ChainProgress } from '../../src/chain/progress';
import { FailureTypes } from '../../src/chain/failure-types';
import { type LongVideoInput } from '../../src/chain/input';
import { PROVIDER_READ_TASK_QUEUE, PROVIDER_TASK_QUEUE, WORKFLOW_TASK_QUEUE } from '../../src/chain/queues';
import { type TaskOutcome } from '../../src/chain/task-outcome';
import { progressQuery, taskFinishedSignal } from '../../src/workflows/messages';
import { longVideo } from '../../src/workflows/long-video';
import { createTimeSkippingEnv } from './temporal';

type Activities = ReturnType<typeof createProviderActivities>;

/** A scripted provider: tasks finish after `pollsToFinish` looks; hooks let a test inject failures. */
export class ScriptedProvider {
  creates: Array<{ kind: 'generate' | 'extend'; input: SubmitInput<{ prompt: string; taskId?: string }> }> =
    [];
  polls = 0;
  pollsToFinish = 2;
  failTasks = new Set<number>(); // create numbers (1-based) whose task ends in fail
  /** Create numbers whose task ends in fail with this code and message (either may be absent). */
  failWith = new Map<number, { failCode?: string; failMsg?: string }>();
  /** Create numbers whose next N finished answers cannot be read (as a client's ProtocolError). */
  unreadable = new Map<number, number>();
  /** Drop `prompt` and `parentTaskId` from outcomes, as the docs page's own answer does. */
  docsShape = false;
  onCreate?: (n: number) => void;
  /** Awaited before a poll answers: lets a test hold a task's completion. */
  beforeOutcome?: (n: number) => Promise<void>;
  pollNeverFinishes = false;
  /** Create numbers whose task answers finished at the first look (as after its callback). */
  finished = new Set<number>();

  activities(): Activities {
    const create =
      (kind: 'generate' | 'extend') =>
      async (input: SubmitInput<never>): Promise<SubmitResult> => {
        this.creates.push({ kind, input });
        const n = this.creates.length;
        this.onCreate?.(n);
        return { taskId: `task-${n}`, callbacks: true };
      };
    return {
      submitGeneration: create('generate'),
      submitExtension: create('extend'),
      awaitTaskResult: async ({ taskId }: { taskId: string }): Promise<TaskOutcome> => {
        this.polls++;
        const n = Number(taskId.split('-')[1]);
        if (!this.creates[n - 1]) {
          throw ApplicationFailure.create({ type: 'NotFoundError', nonRetryable: true, message: '404' });
        }
        const done = this.finished.has(n);
        if (!done && (this.pollNeverFinishes || this.polls % this.pollsToFinish !== 0)) {
          throw ApplicationFailure.create({ type: FailureTypes.TaskNotFinished, message: 'generating' });
        }
        await this.beforeOutcome?.(n);
        const unreadable = this.unreadable.get(n) ?? 0;
        if (unreadable > 0) {
          this.unreadable.set(n, unreadable - 1);
          throw ApplicationFailure.create({
            type: FailureTypes.UnreadableAnswer,
            nonRetryable: true,
            message: 'record-detail: answer data does not match the contract: videoInfo.videoUrl: missing',
            details: [{ attempt: Context.current().info.attempt }],
          });
        }
        return this.outcome(n);
      },
    } as unknown as Activities;
  }

  /** Deliverable activities that record what they were asked and make no files. */
  archived: number[] = [];
  /** Segment indexes whose archive fails as if the provider's file were gone. */
  archiveFails = new Set<number>();
  deliverables() {
    return {
      archiveSegment: async (input: { index: number; taskId: string }) => {
        if (this.archiveFails.has(input.index)) {
          throw ApplicationFailure.create({
            type: 'SegmentFileGone',
            nonRetryable: true,
            message: `segment ${input.index}: the provider no longer has its file (HTTP 404)`,
          });
        }
        this.archived.push(input.index);
        const video = `/out/${input.taskId}.mp4`;
        return { archive: { video, sha256: 'x', bytes: 1, durationSeconds: 5 }, preview: '/out/preview.mp4' };
      },
      stitchChain: async (input: { files: string[] }) => ({
        file: '/out/final.mp4',
        layout: 'new-part',
        method: 'copy',
        durationSeconds: input.files.length * 5,
        expectedSeconds: input.files.length * 5,
        width: 1280,
        height: 720,
        fps: 24,
        segments: [],
      }),
      writeChainReport: async () => ({ manifest: '/out/manifest.json', report: '/out/index.html' }),
    };
  }

  outcome(n: number): TaskOutcome {
    const c = this.creates[n - 1]!;
    const outcome = this.fullOutcome(n, c);
    if (this.docsShape) {
      delete outcome.prompt;
      delete outcome.parentTaskId;
    }
    return outcome;
  }

  private fullOutcome(n: number, c: ScriptedProvider['creates'][number]): TaskOutcome {
    const parentTaskId = c.input.request.taskId ?? '';
    const failure = this.failWith.get(n);
    if (failure) {
      return { taskId: `task-${n}`, state: 'fail', parentTaskId, prompt: c.input.request.prompt, ...failure };
    }
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

export const INPUT: LongVideoInput = {
  prompts: ['a seed sprouts', 'it grows into a tree', 'the tree blossoms'],
  aspectRatio: '16:9',
  options: { pollIntervalMs: 1000, callbackGraceMs: 60_000 },
};

export let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

/** An update's rejection, as the message its validator or handler gave. */
export async function updateRejection(update: Promise<unknown>): Promise<string> {
  const err = await update.then(
    () => undefined,
    (e: Error & { cause?: Error }) => e,
  );
  if (!err) throw new Error('the update was accepted');
  return err.cause?.message ?? err.message;
}

/** Call at the top of a suite: one time-skipping server and one workflow bundle for all its tests. */
export function useTimeSkippingEnv(): void {
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../src/workflows'),
      logger: quietLogger(),
    });
  });
  afterAll(() => env?.teardown());
}

/**
 * Run `fn` while a workflow worker and provider workers backed by `provider` are up (`creates: false`:
 * nobody takes creates, which stay queued; `dataConverter`: the workers', e.g. with a payload codec).
 */
export async function withWorkers<T>(
  provider: ScriptedProvider,
  fn: () => Promise<T>,
  { creates = true, dataConverter }: { creates?: boolean; dataConverter?: DataConverter } = {},
): Promise<T> {
  const workflows = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: WORKFLOW_TASK_QUEUE,
    workflowBundle: bundle,
    activities: provider.deliverables(),
    dataConverter,
  });
  const queues = creates ? [PROVIDER_TASK_QUEUE, PROVIDER_READ_TASK_QUEUE] : [PROVIDER_READ_TASK_QUEUE];
  const providers = await Promise.all(
    queues.map((taskQueue) =>
      Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        activities: provider.activities(),
        dataConverter,
      }),
    ),
  );
  const run = providers.reduce((inner, worker) => () => worker.runUntil(inner), fn);
  return workflows.runUntil(run());
}

let ids = 0;
/** Starts a chain; `input` may be anything, as from an untyped caller: the workflow checks it itself. */
export const start = (input: unknown = INPUT): Promise<WorkflowHandle<typeof longVideo>> =>
  env.client.workflow.start(longVideo, {
    taskQueue: WORKFLOW_TASK_QUEUE,
    workflowId: `chain-${process.pid}-${++ids}`,
    args: [input as LongVideoInput],
  });

/**
 * The provider's callback for create `n`, as the receiver signals it: a hint naming the task (by default
 * `task-n`) for (segment, attempt). The task is finished from then on: the chain's confirming read says so.
 */
export async function callBack(
  handle: WorkflowHandle,
  provider: ScriptedProvider,
  n: number,
  target: { segment: number; attempt: number },
  taskId = `task-${n}`,
): Promise<void> {
  provider.finished.add(n);
  await handle.signal(taskFinishedSignal, { ...target, taskId, state: provider.outcome(n).state });
}

export async function waitForProgress(
  handle: WorkflowHandle,
  check: (p: ChainProgress) => boolean,
): Promise<ChainProgress> {
  for (let i = 0; ; i++) {
    const p = await handle.query(progressQuery);
    if (check(p)) return p;
    if (i > 1000) throw new Error(`progress never matched: ${JSON.stringify(p)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function waitFor(check: () => boolean, timeoutMs = 20_000): Promise<void> {
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

/** A create's failure when its answer was lost after it was sent (callbacks on): an ambiguous create. */
export const lostAnswer = (message = 'timeout after send') =>
  ApplicationFailure.create({
    type: FailureTypes.AmbiguousCreate,
    message,
    nonRetryable: true,
    details: [{ callbacks: true }],
  });

/** `onCreate` for a provider whose create number `which` makes its task but loses the answer. */
export const ambiguousCreate = (which: number, message?: string) => (n: number) => {
  if (n === which) throw lostAnswer(message);
};
