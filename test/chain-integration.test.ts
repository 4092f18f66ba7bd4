/**
 * The chain on the real stack: Temporal dev server, `long-video worker` processes, and the simulator over
 * HTTP. Callback mode, poll-only mode, a worker killed with SIGKILL mid-chain; the simulator's ledger is
 * the judge of what was paid, and every history replays against the current workflow code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { findLeaks } from '../tools/lab/leaks';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import type { LedgerEntry } from '../src/simulator/ledger';
import { type ChainProgress } from '../src/chain/progress';
import { type LongVideoInput } from '../src/chain/input';
import { PROVIDER_READ_TASK_QUEUE, WORKFLOW_TASK_QUEUE } from '../src/chain/queues';
import { progressQuery } from '../src/workflows/messages';
import { API_KEY, CALLBACK_SECRET, type Stack, callbackEnv, startStack } from './support/stack';
import { eventually } from './support/simulator';
import { quietRuntime } from './support/temporal';

jest.setTimeout(180_000);

const PROMPTS = [
  'dawn over a harbour',
  'boats leave',
  'gulls follow',
  'a storm gathers',
  'the harbour at night',
];
let stack: Stack;

beforeAll(async () => {
  quietRuntime();
  // Every answer shape a real provider may send, picked per task: the docs' own, nulls, strings, full.
  stack = await startStack({ shapes: 'mixed' });
});
afterAll(() => stack?.stop());
beforeEach(() => stack.sim.admin.reset());

async function runChain(id: string, options: LongVideoInput['options']): Promise<ChainProgress> {
  const handle = await stack.client.workflow.start('longVideo', {
    taskQueue: WORKFLOW_TASK_QUEUE,
    workflowId: id,
    args: [{ prompts: PROMPTS, aspectRatio: '16:9', options } satisfies LongVideoInput],
  });
  return handle.result();
}

/** One charge per segment, each extension continuing the previous segment's task. */
function expectOneChargePerSegment(ledger: LedgerEntry[], result: ChainProgress) {
  expect(ledger.map((e) => e.taskId)).toEqual(result.segments.map((s) => s.taskId));
  expect(ledger.map((e) => e.endpoint)).toEqual(['generate', 'extend', 'extend', 'extend', 'extend']);
  ledger.slice(1).forEach((e, i) => expect(e.parentTaskId).toBe(ledger[i]!.taskId));
  expect(ledger.map((e) => e.prompt)).toEqual(PROMPTS);
}

/** The provider reads a chain scheduled: activity, queue and summary. */
async function readActivities(workflowId: string) {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const a = e.activityTaskScheduledEventAttributes;
    if (a?.activityType?.name !== 'awaitTaskResult') return [];
    const summary = e.userMetadata?.summary?.data ? Buffer.from(e.userMetadata.summary.data).toString() : '';
    return [{ queue: a.taskQueue?.name, summary: summary.replace(/^"|"$/g, '') }];
  });
}

/** record-detail requests the simulator answered (any status). */
async function recordDetailRequests(): Promise<number> {
  const byStatus = (await stack.sim.admin.stats()).requests['record-detail'] ?? {};
  return Object.values(byStatus).reduce((a, b) => a + b, 0);
}

async function expectHistoryReplaysAndHidesSecrets(workflowId: string) {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  // Payloads are base64 in the export: the search covers every encoding a secret could hide in.
  const text = historyToJSON(history);
  expect(findLeaks(text, { 'API key': API_KEY, 'callback secret': CALLBACK_SECRET })).toEqual([]);
  await Worker.runReplayHistory({ workflowsPath: require.resolve('../src/workflows') }, history, workflowId);
  if (process.env.RECORD_HISTORIES) {
    const dir = path.join(__dirname, 'fixtures', 'histories');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${workflowId}.json`), historyToJSON(history));
  }
}

test('callback mode: a 5-segment chain completes on callbacks, paying once per segment', async () => {
  const worker = await stack.startWorker(stack.workerEnv(await callbackEnv()));
  try {
    const result = await runChain('chain-callbacks', {
      pollIntervalMs: 20_000,
      providerCallTimeoutMs: 10_000,
    });
    expect(result.state).toBe('completed');
    expect(result.segments.every((s) => s.state === 'succeeded' && s.completedBy === 'callback')).toBe(true);
    const ledger = await stack.sim.admin.ledger();
    expectOneChargePerSegment(ledger, result);
    expect(new Set(ledger.map((e) => e.callBackUrl)).size).toBe(5);
    expect(ledger.every((e) => e.callBackUrl.startsWith('http://127.0.0.1:'))).toBe(true);
    // Every provider read is the chain's own, on the rate-limited read queue: the receiver made none.
    const reads = await readActivities('chain-callbacks');
    expect(reads).toHaveLength(5);
    expect(reads.every((r) => r.queue === PROVIDER_READ_TASK_QUEUE && r.summary.endsWith('(callback)'))).toBe(
      true,
    );
    expect(await recordDetailRequests()).toBe(5);
    await expectHistoryReplaysAndHidesSecrets('chain-callbacks');
    expect(worker.output()).not.toContain(API_KEY);
  } finally {
    await worker.kill('SIGTERM');
  }
});

test("callback mode, a create's answer lost: its callback's task is confirmed by a read and charged once", async () => {
  // Every create is answered 500 after its task was made and charged: only the callback names the task.
  await stack.sim.admin.setFaults({ createFailAfter: 1 });
  const worker = await stack.startWorker(stack.workerEnv(await callbackEnv()));
  try {
    const handle = await stack.client.workflow.start('longVideo', {
      taskQueue: WORKFLOW_TASK_QUEUE,
      workflowId: 'chain-lost-create-callback',
      args: [
        {
          prompts: PROMPTS.slice(0, 1),
          aspectRatio: '16:9',
          options: { pollIntervalMs: 20_000, providerCallTimeoutMs: 10_000, callbackGraceMs: 60_000 },
        } satisfies LongVideoInput,
      ],
    });
    const result: ChainProgress = await handle.result();
    expect(result.state).toBe('completed');
    const ledger = await stack.sim.admin.ledger();
    expect(ledger).toHaveLength(1); // exactly one charge: the lost create's, adopted
    expect(result.segments[0]).toMatchObject({ taskId: ledger[0]!.taskId, completedBy: 'callback' });
    expect(result.creditsSpent).toBe(ledger[0]!.cost);
    expect(await recordDetailRequests()).toBe((await readActivities('chain-lost-create-callback')).length);
    await expectHistoryReplaysAndHidesSecrets('chain-lost-create-callback');
  } finally {
    await worker.kill('SIGTERM');
  }
});

test('poll-only mode: no callback URL, the same chain completes by polling', async () => {
  const worker = await stack.startWorker(stack.workerEnv());
  try {
    const result = await runChain('chain-polling', { pollIntervalMs: 200, providerCallTimeoutMs: 10_000 });
    expect(result.state).toBe('completed');
    expect(result.segments.every((s) => s.completedBy === 'poll')).toBe(true);
    const ledger = await stack.sim.admin.ledger();
    expectOneChargePerSegment(ledger, result);
    expect(ledger.every((e) => e.callBackUrl === '')).toBe(true);
    await expectHistoryReplaysAndHidesSecrets('chain-polling');
  } finally {
    await worker.kill('SIGTERM');
  }
});

test('kill -9 of the worker mid-chain: a new worker finishes it, one charge per segment', async () => {
  const env = stack.workerEnv(await callbackEnv());
  const first = await stack.startWorker(env);
  const handle = await stack.client.workflow.start('longVideo', {
    taskQueue: WORKFLOW_TASK_QUEUE,
    workflowId: 'chain-killed',
    args: [
      {
        prompts: PROMPTS,
        aspectRatio: '16:9',
        options: { pollIntervalMs: 300, providerCallTimeoutMs: 3_000 },
      },
    ],
  });
  // Killed while segment 2 generates: its create is answered and recorded, its wait is in flight.
  // (A kill inside a create is the activity's heartbeat adoption, covered in activities.test.ts.)
  await eventually(async () => {
    const progress = await handle.query(progressQuery);
    return progress.segments[1]?.state === 'generating' ? true : undefined;
  }, 60_000);
  await first.kill('SIGKILL');
  const second = await stack.startWorker(env);
  try {
    const result: ChainProgress = await handle.result();
    expect(result.state).toBe('completed');
    expectOneChargePerSegment(await stack.sim.admin.ledger(), result);
    await expectHistoryReplaysAndHidesSecrets('chain-killed');
  } finally {
    await second.kill('SIGTERM');
  }
});
