/**
 * The client against the running simulator over real HTTP: every endpoint, the task lifecycle, credits,
 * the rate limit, expiry, and the errors a chain has to tell apart.
 */
import {
  ImageFetchError,
  InsufficientCreditsError,
  MaintenanceError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  TransportError,
  UnauthorizedError,
  ValidationError,
} from '../src/provider/errors';
import { RunwayClient } from '../src/provider/client';
import { type TaskState } from '../src/provider/answers';
import { probeVideo } from '../src/media/probe';
import { type TestSimulator, startTestSimulator, waitForState } from './support/simulator';

const TEXT_TO_VIDEO = {
  prompt: 'a lighthouse at night',
  duration: 5,
  quality: '720p',
  aspectRatio: '16:9',
} as const;

describe('client against the simulator', () => {
  let t: TestSimulator;
  beforeAll(async () => {
    // Long enough waiting states to be seen by a 10 ms poll.
    t = await startTestSimulator({ timeScale: 0.01, waitMs: 10_000, queueMs: 10_000, generateMs: 30_000 });
  });
  afterAll(() => t.sim.close());
  beforeEach(() => t.admin.reset());

  test('generate goes wait → queueing → generating → success, with a downloadable video', async () => {
    const taskId = await t.client.generate(TEXT_TO_VIDEO);
    const seen: TaskState[] = [];
    const detail = await waitForStateRecording(t.client, taskId, seen);
    expect(seen).toEqual(['wait', 'queueing', 'generating', 'success']);
    expect(detail.parentTaskId).toBe('');
    expect(detail.generateParam?.prompt).toBe(TEXT_TO_VIDEO.prompt);
    expect(detail.generateTime).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(detail.expireFlag).toBe(0);
    expect(detail.videoInfo?.taskId).toBe(taskId);

    const video = await fetch(detail.videoInfo!.videoUrl!);
    expect(video.headers.get('content-type')).toBe('video/mp4');
    expect((await video.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    const thumb = await fetch(detail.videoInfo!.imageUrl!);
    expect(
      Buffer.from(await thumb.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
  });

  test('extend continues a finished task: parentTaskId, the start frame, a new charge', async () => {
    const first = await t.client.generate(TEXT_TO_VIDEO);
    await waitForState(t.client, first);
    const next = await t.client.extend({ taskId: first, prompt: 'the light turns green', quality: '720p' });
    const detail = await waitForState(t.client, next);
    expect(detail).toMatchObject({ state: 'success', parentTaskId: first });
    const startFrame = await fetch(detail.generateParam!.imageUrl!);
    expect(startFrame.status).toBe(200);
    expect(startFrame.headers.get('content-type')).toBe('image/png');

    const ledger = await t.admin.ledger();
    expect(ledger.map((e) => [e.endpoint, e.taskId, e.parentTaskId, e.cost])).toEqual([
      ['generate', first, '', 12],
      ['extend', next, first, 12],
    ]);
    expect(await t.client.credits()).toBe(100_000 - 24);
  });

  test('extending a task that has not succeeded is refused and charges nothing', async () => {
    const first = await t.client.generate(TEXT_TO_VIDEO);
    await expect(
      t.client.extend({ taskId: first, prompt: 'too early', quality: '720p' }),
    ).rejects.toMatchObject({
      name: ValidationError.name,
      code: 422,
      createOutcome: 'rejected',
      message: expect.stringContaining('cannot be extended'),
    });
    await expect(
      t.client.extend({ taskId: 'no-such-task', prompt: 'x', quality: '720p' }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(await t.admin.ledger()).toHaveLength(1);
  });

  test('record-detail of an unknown task is a 404', async () => {
    await expect(t.client.recordDetail('nope')).rejects.toMatchObject({ name: 'NotFoundError', code: 404 });
  });

  test('download-url gives a temporary link to a generated file, and refuses other URLs', async () => {
    const taskId = await t.client.generate(TEXT_TO_VIDEO);
    const detail = await waitForState(t.client, taskId);
    const link = await t.client.downloadUrl(detail.videoInfo!.videoUrl!);
    expect(link).not.toBe(detail.videoInfo!.videoUrl!);
    const res = await fetch(link);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    await expect(t.client.downloadUrl('https://example.com/video.mp4')).rejects.toMatchObject({
      name: 'ValidationError',
      code: 422,
    });
  });

  test('files expire after the TTL: expireFlag 1, 404 on the file, no download link, no extension', async () => {
    const taskId = await t.client.generate(TEXT_TO_VIDEO);
    const detail = await waitForState(t.client, taskId);
    await t.admin.clock({ advanceMs: 14 * 24 * 3600 * 1000 });
    const expired = await t.client.recordDetail(taskId);
    expect(expired.expireFlag).toBe(1);
    expect((await fetch(detail.videoInfo!.videoUrl!)).status).toBe(404);
    await expect(t.client.downloadUrl(detail.videoInfo!.videoUrl!)).rejects.toMatchObject({ code: 422 });
    await expect(t.client.extend({ taskId, prompt: 'later', quality: '720p' })).rejects.toMatchObject({
      code: 422,
    });
  });

  test('a create that cannot be paid is a 402 and charges nothing; a top-up makes it work', async () => {
    await t.admin.setCredits(5);
    const err = await t.client.generate(TEXT_TO_VIDEO).catch((e) => e);
    expect(err).toBeInstanceOf(InsufficientCreditsError);
    expect(err).toMatchObject({ code: 402, createOutcome: 'rejected' });
    expect(await t.admin.ledger()).toHaveLength(0);
    expect(await t.client.credits()).toBe(5);
    await t.admin.setCredits(100);
    await t.client.generate(TEXT_TO_VIDEO);
    expect(await t.client.credits()).toBe(88);
  });

  test('wrong or missing key is a 401 that creates nothing', async () => {
    const wrong = new RunwayClient({ baseUrl: t.sim.url, apiKey: 'not-a-key' });
    const err = await wrong.generate(TEXT_TO_VIDEO).catch((e) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(err).toMatchObject({ code: 401, createOutcome: 'rejected' });
    expect(await t.admin.ledger()).toHaveLength(0);
  });

  test('maintenance answers 455 on every endpoint', async () => {
    await t.admin.setFaults({ maintenance: true });
    await expect(t.client.generate(TEXT_TO_VIDEO)).rejects.toBeInstanceOf(MaintenanceError);
    await expect(t.client.credits()).rejects.toMatchObject({ code: 455, retryable: true });
  });

  test('an image the provider cannot fetch is a 451 with nothing charged', async () => {
    const err = await t.client
      .generate({
        prompt: 'animate',
        duration: 5,
        quality: '720p',
        imageUrl: 'http://127.0.0.1:9/missing.png',
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ImageFetchError);
    expect(err.createOutcome).toBe('rejected');
    expect(await t.admin.ledger()).toHaveLength(0);
  });

  test('image-to-video takes its aspect ratio from the image', async () => {
    const first = await t.client.generate({ ...TEXT_TO_VIDEO, aspectRatio: '9:16' });
    const detail = await waitForState(t.client, first);
    // The portrait clip's thumbnail is a portrait image the simulator can fetch.
    const taskId = await t.client.generate({
      prompt: 'animate the still',
      duration: 5,
      quality: '720p',
      imageUrl: detail.videoInfo!.imageUrl!,
    });
    const done = await waitForState(t.client, taskId);
    const probe = await probeVideo(done.videoInfo!.videoUrl!);
    expect([probe.width, probe.height]).toEqual([720, 1280]);
  });

  test('tasks can end in fail with a contract fail code, reported by record-detail', async () => {
    await t.admin.setFaults({ taskFailProbability: 1, taskFailCodes: [501] });
    const taskId = await t.client.generate(TEXT_TO_VIDEO);
    const detail = await waitForState(t.client, taskId);
    expect(detail).toMatchObject({ state: 'fail', failCode: '501' });
    expect(detail.videoInfo).toBeUndefined();
    expect(detail.failMsg).toMatch(/failed/i);
  });
});

describe('rate limit', () => {
  let t: TestSimulator;
  beforeAll(async () => {
    t = await startTestSimulator({ rateLimit: 2, media: 'shared' });
  });
  afterAll(() => t.sim.close());

  test('creates over the limit get 429 with Retry-After, and are not charged', async () => {
    await t.client.generate(TEXT_TO_VIDEO);
    await t.client.generate(TEXT_TO_VIDEO);
    const err = await t.client.generate(TEXT_TO_VIDEO).catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.createOutcome).toBe('rejected');
    expect(err.retryAfterMs).toBeGreaterThanOrEqual(1000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(10_000);
    expect(await t.admin.ledger()).toHaveLength(2);
    const stats = await t.admin.stats();
    expect(stats.rateLimited).toBe(1);
    expect(stats.rateLimit.maxCreatesInWindow).toBe(2);
    expect(stats.requests.generate).toEqual({ '200': 2, '429': 1 });
  });

  test('a 429 burst refuses creates while it lasts', async () => {
    await t.admin.reset();
    await t.admin.setFaults({ startBurst429Ms: 1500 });
    const err = await t.client.generate(TEXT_TO_VIDEO).catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.retryAfterMs).toBeGreaterThan(0);
  });
});

describe('what a failed create leaves behind', () => {
  let t: TestSimulator;
  beforeAll(async () => {
    t = await startTestSimulator({ media: 'shared' });
  });
  afterAll(() => t.sim.close());
  beforeEach(() => t.admin.reset());

  test('5xx before the task exists: ambiguous to the client, nothing in the ledger', async () => {
    await t.admin.setFaults({ createFailBefore: 1 });
    const err = await t.client.generate(TEXT_TO_VIDEO).catch((e) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(err).toMatchObject({ code: 500, createOutcome: 'may-have-created', mayHaveCreatedTask: true });
    expect(await t.admin.ledger()).toHaveLength(0);
  });

  test('5xx after the task exists: may-have-created, and the ledger shows the charge', async () => {
    await t.admin.setFaults({ createFailAfter: 1 });
    const err = await t.client.generate(TEXT_TO_VIDEO).catch((e) => e);
    expect(err).toMatchObject({ name: 'ServerError', createOutcome: 'may-have-created' });
    expect(await t.admin.ledger()).toHaveLength(1);
  });

  test('an answer slower than the client timeout: may-have-created, task charged', async () => {
    await t.admin.setFaults({ slowProbability: 1, slowMs: 1500 });
    const err = await t.client.generate(TEXT_TO_VIDEO, { timeoutMs: 300 }).catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ createOutcome: 'may-have-created', retryable: true });
    expect(err.message).toMatch(/after sending/);
    expect(await t.admin.ledger()).toHaveLength(1);
  });

  test('a hung request: may-have-created, task charged', async () => {
    await t.admin.setFaults({ hangProbability: 1, hangMs: 2000 });
    const err = await t.client
      .extend({ taskId: 'x', prompt: 'p', quality: '720p' }, { timeoutMs: 300 })
      .catch((e) => e);
    // The parent does not exist, so this refusal comes before any hang.
    expect(err).toBeInstanceOf(NotFoundError);
    const hung = await t.client.generate(TEXT_TO_VIDEO, { timeoutMs: 300 }).catch((e) => e);
    expect(hung).toMatchObject({ name: 'TransportError', createOutcome: 'may-have-created' });
    expect(await t.admin.ledger()).toHaveLength(1);
  });

  test('connection refused: not-sent', async () => {
    const closed = new RunwayClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'k' });
    const err = await closed.generate(TEXT_TO_VIDEO).catch((e) => e);
    expect(err).toMatchObject({
      name: 'TransportError',
      createOutcome: 'not-sent',
      mayHaveCreatedTask: false,
    });
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  test('unknown host: not-sent', async () => {
    const nowhere = new RunwayClient({ baseUrl: 'http://no-such-host.invalid', apiKey: 'k' });
    await expect(nowhere.generate(TEXT_TO_VIDEO)).rejects.toMatchObject({ createOutcome: 'not-sent' });
  });

  test('an abort before sending: not-sent', async () => {
    const err = await t.client.generate(TEXT_TO_VIDEO, { signal: AbortSignal.abort() }).catch((e) => e);
    expect(err).toMatchObject({ name: 'TransportError', createOutcome: 'not-sent' });
    expect(await t.admin.ledger()).toHaveLength(0);
  });

  test('reads that fail with 5xx are retryable server errors with no create outcome', async () => {
    await t.admin.setFaults({ readFail: 1 });
    const err = await t.client.credits().catch((e) => e);
    expect(err).toMatchObject({ name: 'ServerError', retryable: true, createOutcome: undefined });
  });
});

async function waitForStateRecording(client: RunwayClient, taskId: string, seen: TaskState[]) {
  for (;;) {
    const d = await client.recordDetail(taskId);
    if (seen[seen.length - 1] !== d.state) seen.push(d.state);
    if (d.state === 'success' || d.state === 'fail') return d;
    await new Promise((r) => setTimeout(r, 10));
  }
}
