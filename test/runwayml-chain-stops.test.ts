/**
 * A runwayml chain that stops before its first clip, judged by the simulator's ledger: on a worker without
 * the official API's key it pauses, naming the setting, and a resume on a worker with the key completes it
 * (operators' prompts over the API's 1000-character limit are refused meanwhile, by the CLI); cancelled
 * while its first frame is being made, it counts that image in its spend, as the ledger does.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { findLeaks } from '../tools/lab/leaks';
import { parseLongVideoInput } from '../src/chain/input';
import type { ChainProgress } from '../src/chain/progress';
import { chainStartOptions } from '../src/client';
import type { LedgerEntry } from '../src/simulator/ledger';
import { progressQuery } from '../src/workflows/messages';
import { API_KEY, type Stack, type WorkerProcess, startStack } from './support/stack';
import { startRunwaymlArgs } from './support/runwayml';
import { eventually } from './support/simulator';
import { quietRuntime } from './support/temporal';

jest.setTimeout(180_000);

let stack: Stack;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  quietRuntime();
  stack = await startStack({ provider: 'runwayml' });
});
afterAll(async () => {
  await worker?.kill('SIGTERM');
  await stack?.stop();
});

/** A worker with the official API's key and URL (the stack gives it the key of the API its simulator speaks). */
const runwaymlEnv = () => stack.workerEnv();
/** A worker with the reseller's key only. */
const resellerOnlyEnv = () => {
  const { RUNWAYML_API_SECRET: _official, RUNWAYML_BASE_URL: _url, ...env } = stack.workerEnv();
  return { ...env, RUNWAY_API_KEY: API_KEY, RUNWAY_BASE_URL: stack.sim.sim.url };
};
const ledgerOf = async (endpoint?: LedgerEntry['endpoint']) =>
  (await stack.sim.admin.ledger()).filter((e) => !endpoint || e.endpoint === endpoint);
const progressOf = (id: string): Promise<ChainProgress> =>
  stack.client.workflow.getHandle(id).query(progressQuery);
const until = (id: string, state: ChainProgress['state'], timeoutMs = 60_000) =>
  eventually(async () => {
    const p = await progressOf(id);
    return p.state === state ? p : undefined;
  }, timeoutMs);
const spentOnLedger = async () => (await ledgerOf()).reduce((sum, e) => sum + e.cost, 0);

/** The chain's history replays (and holds no key); with RECORD_HISTORIES it becomes a replay fixture. */
async function replays(id: string): Promise<void> {
  const text = historyToJSON(await stack.client.workflow.getHandle(id).fetchHistory());
  expect(findLeaks(text, { 'API key': API_KEY })).toEqual([]);
  await Worker.runReplayHistory({ workflowsPath: require.resolve('../src/workflows') }, JSON.parse(text), id);
  if (process.env.RECORD_HISTORIES) {
    const dir = path.join(__dirname, 'fixtures', 'histories');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${id}.json`), text);
  }
}

test('a chain cancelled while its first frame is made counts that image, and its resume starts from it', async () => {
  await stack.sim.admin.reset();
  await stack.sim.admin.clock({ timeScale: 1 }); // an image now takes seconds: time to cancel during it
  worker = await stack.startWorker(runwaymlEnv());
  const input = parseLongVideoInput({
    prompts: ['a lighthouse at dusk', 'the lamp turns on'],
    aspectRatio: '16:9',
    provider: 'runwayml',
    options: { pollIntervalMs: 200 },
  });
  const id = 'runwayml-cancel-image';
  const handle = await stack.client.workflow.start('longVideo', chainStartOptions(input, id));
  try {
    const [image] = await eventually(async () => {
      const images = await ledgerOf('text_to_image');
      return images.length ? images : undefined;
    }, 30_000);
    expect((await stack.cli(['cancel', id])).code).toBe(0);
    const cancelled = await until(id, 'cancelled');
    expect(await ledgerOf('image_to_video')).toEqual([]); // no video was sent
    expect(await ledgerOf('text_to_image')).toHaveLength(1);
    expect(cancelled.creditsSpent).toBe(await spentOnLedger());
    expect(cancelled.creditsSpent).toBe(image!.cost);
    expect(cancelled.segments[0]).toMatchObject({
      state: 'pending',
      lastError: expect.stringContaining(`image task ${image!.taskId} is paid for`),
      // Kept: a resume of this run's segment starts from it instead of paying for another.
      firstFrameTaskId: image!.taskId,
    });
    await replays(id);

    // Resumed (a new run), the chain starts from the image it paid for, instead of paying for another.
    await stack.sim.admin.clock({ timeScale: 0.01 });
    expect((await stack.cli(['resume', id])).code).toBe(0);
    const done = await until(id, 'completed', 120_000);
    expect(await ledgerOf('text_to_image')).toEqual([image]);
    expect(await ledgerOf('image_to_video')).toHaveLength(2);
    expect(done.creditsSpent).toBe(await spentOnLedger());
  } finally {
    await handle.cancel().catch(() => undefined);
    await stack.sim.admin.clock({ timeScale: 0.01 });
  }
});

test('a worker without RUNWAYML_API_SECRET pauses the chain, naming it; with the key, a resume completes it', async () => {
  await stack.sim.admin.reset();
  await worker?.kill('SIGTERM');
  worker = await stack.startWorker(resellerOnlyEnv());
  const id = 'runwayml-no-key';
  const started = await stack.cli(startRunwaymlArgs(id, ['a kite', 'it rises'], '1:1'));
  expect(started.code).toBe(0);
  const paused = await eventually(async () => {
    const p = await progressOf(id);
    return p.state === 'running' ? undefined : p;
  }, 60_000);
  expect(paused.state).toBe('paused'); // not failed: nothing was sent, a resume goes on
  expect(paused.paused).toMatchObject({ by: 'worker configuration' });
  expect(paused.reason).toMatch(/no key for provider runwayml: set RUNWAYML_API_SECRET on the workers/);
  expect(paused.reason).toContain(`long-video resume ${id}`);
  expect(paused.segments[0]).toMatchObject({ state: 'pending' });
  expect(await ledgerOf()).toEqual([]);

  // The CLI refuses an operator's prompt over the official API's limit, before anything is paid.
  const long = 'a slow pan across the bay at golden hour, '.repeat(40).slice(0, 1500);
  const redo = await stack.cli(['redo', id, '--from', '1', '--prompt', long]);
  expect(redo.code).not.toBe(0);
  expect(redo.stderr).toContain(
    'provider runwayml takes prompts of at most 1000 characters (this one has 1500)',
  );
  const append = await stack.cli(['append', id, '--prompt', long]);
  expect(append.code).not.toBe(0);
  expect(append.stderr).toContain('at most 1000 characters');
  expect((await progressOf(id)).segments.map((s) => s.prompt)).toEqual(['a kite', 'it rises']);

  await worker.kill('SIGTERM');
  worker = await stack.startWorker(runwaymlEnv());
  expect((await stack.cli(['resume', id])).code).toBe(0);
  const done = await until(id, 'completed', 120_000);
  expect(await ledgerOf('text_to_image')).toHaveLength(1);
  expect(await ledgerOf('image_to_video')).toHaveLength(2);
  expect(done.creditsSpent).toBe(await spentOnLedger());
  await replays(id);
});
