/**
 * A chain on Runway's official API (`--provider runwayml`) against the simulator's official-API mode:
 * each segment an image_to_video whose first frame is the exact last frame of the previous clip (the
 * simulator checks the image it received), a cancel that cancels the task in flight at the provider, and a
 * worker killed during a create that pays nothing twice. The ledger is the judge, not our counters.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { findLeaks } from '../tools/lab/leaks';
import { parseLongVideoInput } from '../src/chain/input';
import type { ChainProgress } from '../src/chain/progress';
import { chainStartOptions } from '../src/client';
import { probeVideo } from '../src/media/probe';
import type { LedgerEntry } from '../src/simulator/ledger';
import { progressQuery } from '../src/workflows/messages';
import { API_KEY, type Stack, type WorkerProcess, startStack } from './support/stack';
import { startRunwaymlArgs } from './support/runwayml';
import { eventually } from './support/simulator';
import { quietRuntime } from './support/temporal';

jest.setTimeout(180_000);

let stack: Stack;
let worker: WorkerProcess;

/** The official API's key and URL only (the stack gives a worker the key of the API its simulator speaks). */
const runwaymlEnv = () => stack.workerEnv();

beforeAll(async () => {
  quietRuntime();
  stack = await startStack({ provider: 'runwayml' });
  worker = await stack.startWorker(runwaymlEnv());
});
afterAll(async () => {
  await worker?.kill('SIGTERM');
  await stack?.stop();
});

const cli = (args: string[]) => stack.cli(args);
const ledgerOf = async (endpoint: LedgerEntry['endpoint']) =>
  (await stack.sim.admin.ledger()).filter((e) => e.endpoint === endpoint);
/** The chain's whole progress (the CLI's JSON is a summary without archives and notes). */
const progressOf = (id: string): Promise<ChainProgress> =>
  stack.client.workflow.getHandle(id).query(progressQuery);

test('start --provider runwayml: 4 clips, each from the exact last frame of the one before, stitched', async () => {
  const prompts = ['a lighthouse at dusk', 'the lamp turns on', 'a ship passes', 'night falls'];
  const { code, stdout, stderr } = await cli([
    ...startRunwaymlArgs('runwayml-chain', prompts),
    '--wait',
    '--json',
  ]);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(stdout)).toMatchObject({ state: 'completed', segmentsDone: 4 });
  const result = await progressOf('runwayml-chain');
  const videos = await ledgerOf('image_to_video');
  const images = await ledgerOf('text_to_image');
  expect(images).toHaveLength(1); // segment 1's first frame: no image was given
  expect(images[0]!.prompt).toBe(prompts[0]);
  expect(videos.map((e) => e.taskId)).toEqual(result.segments.map((s) => s.taskId));
  expect(videos.map((e) => e.prompt)).toEqual(prompts);
  expect(videos[0]!.startedFrom).toBeNull(); // a made first frame, not a clip's
  for (let i = 1; i < 4; i++) expect(videos[i]!.startedFrom).toBe(videos[i - 1]!.taskId);
  // The spend is the ledger's: 1 image and 4 clips of 5 s.
  const charged = [...images, ...videos].reduce((sum, e) => sum + e.cost, 0);
  expect(result.creditsSpent).toBe(charged);

  // Each joint repeats the previous clip's last frame: trimmed by default on this provider.
  const clips = await Promise.all(result.segments.map((s) => probeVideo(s.archive!.video)));
  const final = await probeVideo(result.outputs!.video!, { countFrames: true });
  const fps = clips[0]!.fps;
  const frames = clips.reduce((sum, c) => sum + Math.round(c.durationSeconds * fps), 0) - 3;
  expect(final.frames).toBe(frames);
  expect(final.durationSeconds).toBeCloseTo(frames / fps, 1);

  const history = await stack.client.workflow.getHandle('runwayml-chain').fetchHistory();
  const text = historyToJSON(history);
  expect(findLeaks(text, { 'API key': API_KEY })).toEqual([]);
  expect(text).not.toContain('data:image'); // frames travel as file paths, never in the history
  await Worker.runReplayHistory(
    { workflowsPath: require.resolve('../src/workflows') },
    history,
    'runwayml-chain',
  );
  if (process.env.RECORD_HISTORIES) {
    const dir = path.join(__dirname, 'fixtures', 'histories');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'runwayml-chain.json'), text);
  }
  expect(worker.output()).not.toContain(API_KEY);
});

test('cancelling a chain while its segment is RUNNING cancels that task at the provider', async () => {
  await stack.sim.admin.reset();
  await stack.sim.admin.clock({ timeScale: 0.2 }); // a clip now takes 12 s: time to cancel it
  try {
    const started = await cli(startRunwaymlArgs('runwayml-cancel', ['one', 'two'], '1:1'));
    expect(started.code).toBe(0);
    const running = await eventually(async () => {
      const video = (await ledgerOf('image_to_video'))[0];
      const task = video && (await stack.sim.admin.tasks()).find((t) => t.taskId === video.taskId);
      return task && String(task.state) === 'RUNNING' ? video.taskId : undefined;
    }, 60_000);
    expect((await cli(['cancel', 'runwayml-cancel'])).code).toBe(0);
    const cancelled = await eventually(async () => {
      const s = await progressOf('runwayml-cancel');
      return s.state === 'cancelled' ? s : undefined;
    });
    const [entry] = await ledgerOf('image_to_video');
    expect(entry).toMatchObject({ taskId: running, cancelledAt: expect.any(String) });
    expect(await ledgerOf('image_to_video')).toHaveLength(1);
    // Recorded in the progress: the segment is pending again, its cancelled task in its past attempts.
    expect(cancelled.segments[0]).toMatchObject({
      state: 'pending',
      lastError: expect.stringContaining(`its task ${running} was cancelled at the provider`),
      pastAttempts: [expect.objectContaining({ taskId: running })],
    });
  } finally {
    await stack.sim.admin.clock({ timeScale: 0.01 });
  }
});

test("a worker killed during the first frame's create pays nothing twice: paused, then the image adopted", async () => {
  await stack.sim.admin.reset();
  // Every request is held unanswered: the first frame's create reaches the provider (and is charged),
  // its answer never comes back.
  await stack.sim.admin.setFaults({ hangProbability: 1, hangMs: 60_000 });
  const input = parseLongVideoInput({
    prompts: ['a kite', 'the string breaks'],
    aspectRatio: '16:9',
    provider: 'runwayml',
    options: { pollIntervalMs: 200, providerCallTimeoutMs: 3_000, callbackGraceMs: 0 },
  });
  const handle = await stack.client.workflow.start('longVideo', chainStartOptions(input, 'runwayml-kill'));
  try {
    await eventually(async () => ((await ledgerOf('text_to_image')).length === 1 ? true : undefined), 30_000);
    await worker.kill('SIGKILL');
    await stack.sim.admin.setFaults({ hangProbability: 0 });
    worker = await stack.startWorker(runwaymlEnv());
    const paused = await eventually(async () => {
      const p = await handle.query(progressQuery);
      return p.state === 'paused' ? p : undefined;
    }, 60_000);
    expect(paused.paused!.by).toBe('never-pay-twice guard');
    expect(paused.paused!.reason).toMatch(/first frame's text_to_image/);
    expect(paused.paused!.reason).toMatch(/text_to_image task with prompt "a kite".*--adopt-task/);
    // One image paid, nothing sent again, no clip made.
    const [image] = await ledgerOf('text_to_image');
    expect(await ledgerOf('text_to_image')).toHaveLength(1);
    expect(await ledgerOf('image_to_video')).toHaveLength(0);

    // The runbook: the image is on the dashboard; adopted, it becomes the first frame, paid once.
    const resumed = await cli(['resume', 'runwayml-kill', '--adopt-task', image!.taskId]);
    expect({ code: resumed.code, stderr: resumed.stderr }).toEqual({ code: 0, stderr: '' });
    const done = await handle.result();
    expect(done.state).toBe('completed');
    expect(done.segments[0]!.firstFrameTaskId).toBe(image!.taskId);
    expect(await ledgerOf('text_to_image')).toEqual([image]);
    const videos = await ledgerOf('image_to_video');
    expect(videos.map((v) => v.prompt)).toEqual(['a kite', 'the string breaks']);
    const ledger = await stack.sim.admin.ledger();
    expect(done.creditsSpent).toBe(ledger.reduce((sum, e) => sum + e.cost, 0));
  } finally {
    await handle.cancel().catch(() => undefined);
  }
});

test('a clip whose task failed is made again from the same first frame: the image is paid once', async () => {
  await stack.sim.admin.reset();
  await stack.sim.admin.clock({ timeScale: 1 }); // the image takes seconds: time to arm the fault meanwhile
  const input = parseLongVideoInput({
    prompts: ['a paper boat'],
    aspectRatio: '16:9',
    provider: 'runwayml',
    options: { pollIntervalMs: 200 },
  });
  const handle = await stack.client.workflow.start('longVideo', chainStartOptions(input, 'runwayml-retry'));
  try {
    await eventually(async () => ((await ledgerOf('text_to_image')).length ? true : undefined), 30_000);
    // The image's outcome was drawn when it was made: only the clips fail (a transient failure).
    await stack.sim.admin.setFaults({ taskFailProbability: 1, failureCodes: ['INTERNAL.BAD_OUTPUT.CODE01'] });
    await stack.sim.admin.clock({ timeScale: 0.01 });
    await eventually(async () => ((await ledgerOf('image_to_video')).length ? true : undefined), 30_000);
    await stack.sim.admin.setFaults({ taskFailProbability: 0 });
    const done = await handle.result();
    expect(done.state).toBe('completed');
    const [image] = await ledgerOf('text_to_image');
    expect(await ledgerOf('text_to_image')).toHaveLength(1);
    expect(done.segments[0]!.firstFrameTaskId).toBe(image!.taskId);
    const videos = await ledgerOf('image_to_video');
    const states = new Map((await stack.sim.admin.tasks()).map((t) => [t.taskId, t.state]));
    expect(videos.length).toBeGreaterThanOrEqual(2);
    expect(videos.map((v) => states.get(v.taskId))).toEqual([
      ...videos.slice(1).map(() => 'FAILED'),
      'SUCCEEDED',
    ]);
    expect(done.creditsSpent).toBe((await stack.sim.admin.ledger()).reduce((sum, e) => sum + e.cost, 0));
  } finally {
    await handle.cancel().catch(() => undefined);
    await stack.sim.admin.setFaults({ taskFailProbability: 0 });
    await stack.sim.admin.clock({ timeScale: 0.01 });
  }
});

test('a first frame that failed for a transient reason is made again, within the failure budget', async () => {
  await stack.sim.admin.reset();
  await stack.sim.admin.setFaults({ taskFailProbability: 1, failureCodes: ['INTERNAL.BAD_OUTPUT.CODE01'] });
  const input = parseLongVideoInput({
    prompts: ['a glass of water'],
    aspectRatio: '1:1',
    provider: 'runwayml',
    options: { pollIntervalMs: 200 },
  });
  const handle = await stack.client.workflow.start(
    'longVideo',
    chainStartOptions(input, 'runwayml-image-retry'),
  );
  try {
    await eventually(async () => ((await ledgerOf('text_to_image')).length ? true : undefined), 30_000);
    await stack.sim.admin.setFaults({ taskFailProbability: 0 });
    const done = await handle.result();
    expect(done.state).toBe('completed');
    const images = await ledgerOf('text_to_image');
    const states = new Map((await stack.sim.admin.tasks()).map((t) => [t.taskId, t.state]));
    expect(images.map((i) => states.get(i.taskId))).toEqual([
      ...images.slice(1).map(() => 'FAILED'),
      'SUCCEEDED',
    ]);
    expect(done.segments[0]!.firstFrameTaskId).toBe(images.at(-1)!.taskId);
    expect(done.segments[0]!.pastAttempts?.[0]).toMatchObject({
      taskId: images[0]!.taskId,
      kind: 'transient',
    });
    expect(await ledgerOf('image_to_video')).toHaveLength(1);
    expect(done.creditsSpent).toBe((await stack.sim.admin.ledger()).reduce((sum, e) => sum + e.cost, 0));
  } finally {
    await handle.cancel().catch(() => undefined);
    await stack.sim.admin.setFaults({ taskFailProbability: 0 });
  }
});
