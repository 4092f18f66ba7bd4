/**
 * Chains of any length: a 100-segment chain (LONG_CHAIN_SEGMENTS=N for another) on the real stack, with
 * the dev server's continue-as-new suggestion lowered so that runs roll over, keeps its state, pays once
 * per segment and keeps every run's history bounded. Prints the wall time, run count and largest history.
 */
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { type ChainProgress } from '../src/chain/progress';
import { WORKFLOW_TASK_QUEUE } from '../src/chain/queues';
import { type Stack, callbackEnv, startStack } from './support/stack';
import { quietRuntime } from './support/temporal';

jest.setTimeout(600_000);

// Twice the 50 segments the product promises, over several runs; `npm test` must stay under 20 minutes.
const SEGMENTS = Number(process.env.LONG_CHAIN_SEGMENTS ?? 100);
const SUGGEST_CAN_AT = 300; // history events

let stack: Stack;
beforeAll(async () => {
  quietRuntime();
  stack = await startStack(
    { timeScale: 0.001, media: 'shared' },
    { dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_CAN_AT } },
  );
});
afterAll(() => stack?.stop());

test(`a ${SEGMENTS}-segment chain completes across runs with bounded histories`, async () => {
  const worker = await stack.startWorker(stack.workerEnv(await callbackEnv()));
  try {
    const started = Date.now();
    const prompts = Array.from({ length: SEGMENTS }, (_, i) => `scene ${i + 1}`);
    const result: ChainProgress = await stack.client.workflow.execute('longVideo', {
      taskQueue: WORKFLOW_TASK_QUEUE,
      workflowId: 'long-chain',
      args: [{ prompts, aspectRatio: '16:9', options: { pollIntervalMs: 2_000, continueAsNewEvery: 1000 } }],
    });
    const wallSeconds = (Date.now() - started) / 1000;
    expect(result).toMatchObject({ state: 'completed', segmentsDone: SEGMENTS, segmentsTotal: SEGMENTS });
    expect(result.segments.map((s) => s.prompt)).toEqual(prompts);

    const ledger = await stack.sim.admin.ledger();
    expect(ledger.map((e) => e.taskId)).toEqual(result.segments.map((s) => s.taskId));
    ledger.slice(1).forEach((e, i) => expect(e.parentTaskId).toBe(ledger[i]!.taskId));

    const runs: WorkflowExecutionInfo[] = [];
    for await (const run of stack.client.workflow.list({ query: `WorkflowId = 'long-chain'` }))
      runs.push(run);
    const largestHistory = Math.max(...runs.map((r) => r.historyLength));
    expect(runs).toHaveLength(result.run);
    expect(result.run).toBeGreaterThan(1);
    // The suggestion comes at the threshold; a run ends after its segment in flight and the archives
    // under way (each segment adds about 25 events).
    expect(largestHistory).toBeLessThan(SUGGEST_CAN_AT + 120);
    console.log(
      `long chain: ${SEGMENTS} segments in ${wallSeconds.toFixed(1)} s, ${result.run} runs, ` +
        `largest history ${largestHistory} events`,
    );
  } finally {
    await worker.kill('SIGTERM');
  }
});
