/**
 * The official API's activities against the simulator's runwayml mode, in Temporal's mock activity
 * environment: the first frame's text_to_image and the video follow the never-pay-twice protocol (a retry
 * resumes the recorded image task, never pays for it twice), later segments start from the exact last frame
 * of a file, reads map statuses to the chain's outcomes, a cancel reaches the provider; and the input rules
 * and prices of the seam.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createProviderActivities } from '../src/activities/provider';
import { FailureTypes } from '../src/chain/failure-types';
import { parseLongVideoInput } from '../src/chain/input';
import { checkLongVideoInput } from '../src/chain/input-check';
import { segmentCredits } from '../src/chain/providers';
import { RunwayMlClient } from '../src/provider/runwayml/client';
import { type Sim, finished, startRunwayml } from './support/runwayml';
import { eventually } from './support/simulator';

jest.setTimeout(60_000);

let t: Sim;
let api: RunwayMlClient;
let dir: string;
beforeAll(async () => {
  t = await startRunwayml();
  api = new RunwayMlClient({ baseUrl: t.sim.url, apiKey: t.sim.options.apiKeys[0]!, timeoutMs: 5_000 });
  dir = mkdtempSync(path.join(os.tmpdir(), 'runwayml-activities-'));
});
afterAll(async () => {
  await t.sim.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => t.admin.reset());

const activities = (withKey = true) =>
  createProviderActivities({ runwayml: withKey ? api : undefined, heartbeatFlushMs: 1 });

function run<A extends unknown[], R>(fn: (...args: A) => Promise<R>, args: A, heartbeatDetails?: unknown) {
  const attempt = heartbeatDetails === undefined ? 1 : 2;
  const env = new MockActivityEnvironment(
    { heartbeatDetails, attempt },
    { logger: new DefaultLogger('ERROR') },
  );
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  return { beats, result: env.run(fn, ...args) as Promise<R> };
}

const request = { model: 'gen4_turbo', promptText: 'a kite', ratio: '1280:720', duration: 5 } as const;
const fromText = {
  workflowId: 'wf',
  segment: 1,
  attempt: 1,
  request,
  firstFrame: {
    textToImage: { model: 'gen4_image', promptText: 'a kite', ratio: '1280:720' },
    pollIntervalMs: 20,
  },
} as const;
const ledger = async (endpoint: string) => (await t.admin.ledger()).filter((e) => e.endpoint === endpoint);

test('segment 1 without an image: one text_to_image, awaited, then one image_to_video, each recorded first', async () => {
  const { beats, result } = run(activities().submitImageToVideo, [fromText]);
  const { taskId } = await result;
  const [image] = await ledger('text_to_image');
  const [video] = await ledger('image_to_video');
  expect(video!.taskId).toBe(taskId);
  const phases = (beats as Array<{ image?: { phase: string }; video?: { phase: string } }>).map(
    (b) => `${b.image?.phase ?? '-'}/${b.video?.phase ?? '-'}`,
  );
  expect(phases[0]).toBe('sending/-');
  expect(phases).toContain('created/-');
  expect(phases.slice(-2)).toEqual(['created/sending', 'created/created']);
  expect(beats).toContainEqual({ image: { phase: 'created', taskId: image!.taskId } });
});

test('a retried attempt resumes the recorded image task: the image is never paid twice', async () => {
  const imageTaskId = (await api.textToImage(fromText.firstFrame.textToImage)) as string;
  const { result } = run(activities().submitImageToVideo, [fromText], {
    image: { phase: 'created', taskId: imageTaskId },
  });
  await result;
  expect(await ledger('text_to_image')).toHaveLength(1);
  expect(await ledger('image_to_video')).toHaveLength(1);
});

test('a cancel once the image is made sends no video and names the image (paid for)', async () => {
  const env = new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') });
  // Cancelled as soon as the image's task id is recorded: the chain is told which image it pays for.
  env.on('heartbeat', (d: { image?: { phase: string } }) => {
    if (d.image?.phase === 'created') env.cancel();
  });
  const err = await env.run(activities().submitImageToVideo, fromText).catch((e: unknown) => e);
  const [image] = await ledger('text_to_image');
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({
    type: FailureTypes.FirstFrameWithoutVideo,
    nonRetryable: true,
    details: [{ imageTaskId: image!.taskId }],
  });
  expect(await ledger('image_to_video')).toEqual([]);
});

test('a retry that finds the image or the video "sending", or nothing, sends nothing: an ambiguous create', async () => {
  for (const recorded of [
    { image: { phase: 'sending' } },
    { image: { phase: 'created', taskId: 'x' }, video: { phase: 'sending' } },
    {},
  ]) {
    const env = new MockActivityEnvironment(
      { heartbeatDetails: recorded, attempt: 2 },
      { logger: new DefaultLogger('ERROR') },
    );
    const err = await env.run(activities().submitImageToVideo, fromText).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: FailureTypes.AmbiguousCreate, nonRetryable: true });
  }
  expect(await t.admin.ledger()).toHaveLength(0);
});

test("the first frame's own create answers its task at once, recorded; a retry answers it again", async () => {
  const input = { workflowId: 'wf', segment: 1, attempt: 1, request: fromText.firstFrame.textToImage };
  const { beats, result } = run(activities().submitTextToImage, [input]);
  const { taskId } = await result;
  const [image] = await ledger('text_to_image');
  expect(image!.taskId).toBe(taskId);
  expect(beats).toEqual([{ phase: 'sending' }, { phase: 'created', taskId }]);
  const again = run(activities().submitTextToImage, [input], { phase: 'created', taskId });
  expect((await again.result).taskId).toBe(taskId);
  expect(await ledger('text_to_image')).toHaveLength(1);
  const lost = run(activities().submitTextToImage, [input], { phase: 'sending' });
  await expect(lost.result).rejects.toMatchObject({
    type: FailureTypes.AmbiguousCreate,
    details: [{ callbacks: false, firstFrame: true }],
  });
  expect(await ledger('text_to_image')).toHaveLength(1);
});

test('a clip from a kept first frame waits for that image; one gone at the provider is made again', async () => {
  const imageTaskId = (await api.textToImage(fromText.firstFrame.textToImage)) as string;
  const fromImage = { ...fromText, firstFrame: { imageTaskId, pollIntervalMs: 20 } };
  await run(activities().submitImageToVideo, [fromImage]).result;
  expect(await ledger('text_to_image')).toHaveLength(1);
  expect(await ledger('image_to_video')).toHaveLength(1);
  // Deleted (or expired) at the provider: a transient first-frame failure, nothing sent.
  await api.cancelTask(imageTaskId);
  const err = await run(activities().submitImageToVideo, [fromImage]).result.catch((e: unknown) => e);
  expect(err).toMatchObject({
    type: FailureTypes.FirstFrameFailed,
    nonRetryable: true,
    details: [{ taskId: imageTaskId, kind: 'transient' }],
  });
  expect(await ledger('image_to_video')).toHaveLength(1);
});

test('a later segment starts from the exact last frame of the file it is given', async () => {
  const first = await run(activities().submitImageToVideo, [fromText]).result;
  const done = await finished(t, first.taskId);
  const file = path.join(dir, 'clip.mp4');
  const bytes = Buffer.from(await (await fetch(String((done.output as string[])[0]))).arrayBuffer());
  writeFileSync(file, bytes);
  const next = await run(activities().submitImageToVideo, [
    { ...fromText, segment: 2, firstFrame: { lastFrameOf: file } },
  ]).result;
  const [, second] = await ledger('image_to_video');
  expect(second).toMatchObject({ taskId: next.taskId, startedFrom: first.taskId });
});

test('reads: waiting is a benign retry, success an outcome; a cancel reaches the provider', async () => {
  const { taskId } = await run(activities().submitImageToVideo, [fromText]).result;
  const read = () => run(activities().awaitTaskResult, [{ taskId, provider: 'runwayml' as const }]).result;
  await t.admin.clock({ timeScale: 1 });
  try {
    await expect(read()).rejects.toMatchObject({ type: FailureTypes.TaskNotFinished });
    expect(
      await run(activities().cancelProviderTask, [{ taskId, provider: 'runwayml' as const }]).result,
    ).toEqual({
      cancelled: true,
    });
    expect((await ledger('image_to_video'))[0]!.cancelledAt).toEqual(expect.any(String));
    await expect(read()).resolves.toMatchObject({ taskId, state: 'fail', failCode: 'CANCELLED' });
  } finally {
    await t.admin.clock({ timeScale: 0.005 });
  }
  const other = (await run(activities().submitImageToVideo, [fromText]).result).taskId;
  const outcome = await eventually(() =>
    run(activities().awaitTaskResult, [{ taskId: other, provider: 'runwayml' as const }]).result.catch(
      () => undefined,
    ),
  );
  expect(outcome).toMatchObject({
    taskId: other,
    state: 'success',
    videoUrl: expect.stringMatching(/^http/),
  });
  // A cancel that comes after the task finished leaves it (the API's DELETE would delete its paid output).
  expect(
    await run(activities().cancelProviderTask, [{ taskId: other, provider: 'runwayml' as const }]).result,
  ).toEqual({ cancelled: false, finished: true });
  await expect(
    run(activities().awaitTaskResult, [{ taskId: other, provider: 'runwayml' as const }]).result,
  ).resolves.toMatchObject({ taskId: other, state: 'success' });
  expect((await ledger('image_to_video')).find((e) => e.taskId === other)!.cancelledAt).toBeUndefined();
});

test('a worker without the key fails the activity, naming the setting, and sends nothing', async () => {
  const err = await run(activities(false).submitImageToVideo, [fromText]).result.catch((e: unknown) => e);
  expect(err).toMatchObject({ type: FailureTypes.ProviderNotConfigured, nonRetryable: true });
  expect((err as Error).message).toMatch(/RUNWAYML_API_SECRET/);
  const kie = await run(createProviderActivities({ heartbeatFlushMs: 1 }).awaitTaskResult, [
    { taskId: 't' },
  ]).result.catch((e: unknown) => e);
  expect((kie as Error).message).toMatch(/RUNWAY_API_KEY/);
  expect(await t.admin.ledger()).toHaveLength(0);
});

test('input rules of the runwayml provider: the same answer with and without zod', () => {
  const base = { prompts: ['a'], aspectRatio: '16:9', provider: 'runwayml' };
  const cases: Array<[object, RegExp | undefined]> = [
    [base, undefined],
    [{ ...base, quality: '1080p' }, /720p clips only/],
    [{ ...base, waterMark: 'w' }, /no watermark/],
    [{ ...base, options: { deliver: false } }, /needs deliver: true/],
    [
      { ...base, prompts: ['a', 'x'.repeat(1001)] },
      /prompts\.1: provider runwayml takes prompts of at most 1000/,
    ],
    [{ ...base, imageUrl: 'http://example.com/a.png' }, /https image URLs only/],
    [{ ...base, provider: 'openai' }, /provider/],
  ];
  for (const [input, problem] of cases) {
    const outcome = (check: (i: unknown) => unknown) => {
      try {
        return JSON.stringify(check(input));
      } catch (err) {
        return (err as Error).message;
      }
    };
    const zod = outcome(parseLongVideoInput);
    expect(outcome(checkLongVideoInput)).toBe(zod);
    if (problem) expect(zod).toMatch(problem);
    else expect(JSON.parse(zod)).toMatchObject({ provider: 'runwayml' });
  }
  // An input without a provider is a reseller chain, resolved exactly as before the seam.
  expect(parseLongVideoInput({ prompts: ['a'], aspectRatio: '16:9' })).not.toHaveProperty('provider');
});

test('prices: the reseller table as before; runwayml by the second, its first frame on segment 1', () => {
  const call = { duration: 5, quality: '720p', hasImage: false } as const;
  expect(segmentCredits('kie-runway', { ...call, first: true })).toBe(12);
  expect(segmentCredits('kie-runway', { ...call, first: false })).toBe(12);
  expect(segmentCredits('runwayml', { ...call, first: true })).toBe(25 + 5);
  expect(segmentCredits('runwayml', { ...call, first: true, hasImage: true })).toBe(25);
  expect(segmentCredits('runwayml', { ...call, duration: 10, first: false })).toBe(50);
});
