/**
 * The simulator's official-API mode (`provider: 'runwayml'`): headers, prices, statuses over provider
 * time, outputs, failures, cancel and delete on the ledger, throttling and 5xx faults.
 */
import { probeVideo } from '../src/media/probe';
import { type Sim, clip, created, finished, solidRed, startRunwayml } from './support/runwayml';

jest.setTimeout(60_000);

let SOLID_RED = '';
beforeAll(async () => {
  SOLID_RED = await solidRed();
});

describe('runwayml mode: requests', () => {
  let t: Sim;
  beforeAll(async () => {
    t = await startRunwayml({ rateLimit: 0 });
  });
  afterAll(() => t.sim.close());
  beforeEach(() => t.admin.reset());

  test('X-Runway-Version is required and must be 2024-11-06; the key must be valid', async () => {
    const missing = await t.call('POST', '/v1/image_to_video', clip(SOLID_RED), { 'x-runway-version': '' });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/X-Runway-Version/);
    const wrong = await t.call('GET', '/v1/tasks/x', undefined, { 'x-runway-version': '2024-09-13' });
    expect(wrong.status).toBe(400);
    expect((await t.call('GET', '/v1/tasks/x', undefined, { authorization: 'Bearer nope' })).status).toBe(
      401,
    );
    expect((await t.call('GET', '/v1/tasks/x', undefined, { authorization: '' })).status).toBe(401);
    expect((await t.call('GET', '/v1/tasks/x')).status).toBe(404);
    expect(await t.admin.ledger()).toEqual([]);
  });

  test('a bad create is a 400 with a reason, and nothing is charged', async () => {
    const badRatio = await t.call('POST', '/v1/image_to_video', clip(SOLID_RED, { ratio: '1920:1080' }));
    expect(badRatio.status).toBe(400);
    expect(badRatio.body.error).toMatch(/ratio/);
    const badImage = await t.call('POST', '/v1/image_to_video', clip('data:image/png;base64,AAAA'));
    expect(badImage.status).toBe(400);
    expect(badImage.body.error).toMatch(/promptImage/);
    const unknownKey = await t.call('POST', '/v1/image_to_video', { ...clip(SOLID_RED), extend: true });
    expect(unknownKey.status).toBe(400);
    expect(await t.admin.ledger()).toEqual([]);
  });

  test('duration: whole seconds 2 to 10, charged per second; anything else is a 400 that charges nothing', async () => {
    for (const duration of [1, 11, 4.5, '5', null]) {
      const refused = await t.call('POST', '/v1/image_to_video', clip(SOLID_RED, { duration }));
      expect([duration, refused.status]).toEqual([duration, 400]);
      expect(refused.body).toEqual({ error: expect.stringMatching(/duration/) });
    }
    expect(await t.admin.ledger()).toEqual([]);
    for (const duration of [2, 7, 10]) await created(t, clip(SOLID_RED, { duration }));
    const ledger = await t.admin.ledger();
    expect(ledger.map((e) => [e.duration, e.cost])).toEqual([
      [2, 10],
      [7, 35],
      [10, 50],
    ]);
  });

  test('creates are charged per second of video and per image, on the shared ledger', async () => {
    const before = (await t.call('GET', '/v1/organization')).body.creditBalance as number;
    const five = await created(t, clip(SOLID_RED));
    const ten = await created(t, clip(SOLID_RED, { duration: 10, model: 'gen4.5' }));
    const image = await created(
      t,
      { model: 'gen4_image', promptText: 'a lighthouse', ratio: '1920:1080' },
      'text_to_image',
    );
    const ledger = await t.admin.ledger();
    expect(ledger.map((e) => [e.taskId, e.endpoint, e.model, e.cost])).toEqual([
      [five, 'image_to_video', 'gen4_turbo', 25],
      [ten, 'image_to_video', 'gen4.5', 120],
      [image, 'text_to_image', 'gen4_image', 8],
    ]);
    expect(ledger[0]).toMatchObject({ duration: 5, startedFrom: null, prompt: 'a lighthouse at dusk' });
    expect(ledger[0]!.body.promptImage).toMatch(/^data:image\/png;base64,…\(\d+ chars\)$/);
    expect((await t.call('GET', '/v1/organization')).body.creditBalance).toBe(before - 153);
  });

  test('5xx before a create charges nothing; 5xx after it leaves a charged task (the ambiguous case)', async () => {
    await t.admin.setFaults({ createFailBefore: 1 });
    expect((await t.call('POST', '/v1/image_to_video', clip(SOLID_RED))).status).toBe(503);
    expect(await t.admin.ledger()).toEqual([]);
    await t.admin.setFaults({ createFailBefore: 0, createFailAfter: 1 });
    const after = await t.call('POST', '/v1/image_to_video', clip(SOLID_RED));
    expect(after.status).toBe(502);
    expect(after.body.id).toBeUndefined();
    expect(await t.admin.ledger()).toEqual([
      expect.objectContaining({ endpoint: 'image_to_video', cost: 25 }),
    ]);
  });

  test('a 429 when over the rate limit or in an injected burst, with Retry-After; nothing charged', async () => {
    await t.admin.setFaults({ startBurst429Ms: 60_000 });
    const refused = await t.call('POST', '/v1/image_to_video', clip(SOLID_RED));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await t.admin.ledger()).toEqual([]);

    const limited = await startRunwayml({ rateLimit: 2 });
    try {
      const codes = [];
      for (let i = 0; i < 3; i++)
        codes.push((await limited.call('POST', '/v1/image_to_video', clip(SOLID_RED))).status);
      expect(codes).toEqual([200, 200, 429]);
      expect(await limited.admin.ledger()).toHaveLength(2);
    } finally {
      await limited.sim.close();
    }
  });
});

describe('runwayml mode: task life', () => {
  let t: Sim;
  // Provider time nearly stands still; the test moves it with the admin clock.
  beforeAll(async () => {
    t = await startRunwayml({ timeScale: 1000, rateLimit: 0 });
  });
  afterAll(() => t.sim.close());
  beforeEach(() => t.admin.reset());

  const status = async (id: string) => (await t.call('GET', `/v1/tasks/${id}`)).body;

  test('PENDING, RUNNING with progress, then SUCCEEDED with a downloadable clip of the right length', async () => {
    const id = await created(t, clip(SOLID_RED));
    expect(await status(id)).toEqual({ id, status: 'PENDING', createdAt: expect.any(String) });
    await t.admin.clock({ advanceMs: 10_000 }); // past waiting + queueing
    expect(await status(id)).toMatchObject({ status: 'RUNNING', progress: 0 });
    await t.admin.clock({ advanceMs: 25_000 }); // half of a 5 s clip's 50 s
    expect(await status(id)).toMatchObject({ status: 'RUNNING', progress: 0.5 });
    await t.admin.clock({ advanceMs: 30_000 });
    const done = await finished(t, id);
    expect(done).toEqual({
      id,
      status: 'SUCCEEDED',
      createdAt: expect.any(String),
      output: [expect.any(String)],
    });
    const probe = await probeVideo((done.output as string[])[0]!);
    expect(probe).toMatchObject({ codec: 'h264', width: 1280, height: 720 });
    expect(probe.durationSeconds).toBeCloseTo(5, 1);
  });

  test('THROTTLED before RUNNING when the knob says so', async () => {
    await t.admin.setFaults({ throttleProbability: 1, throttleMs: 20_000 });
    const id = await created(t, clip(SOLID_RED));
    await t.admin.clock({ advanceMs: 10_000 });
    expect((await status(id)).status).toBe('THROTTLED');
    await t.admin.clock({ advanceMs: 20_000 });
    expect((await status(id)).status).toBe('RUNNING');
  });

  test('FAILED with failure and failureCode, from the knob or a moderated word; charged', async () => {
    await t.admin.setFaults({ taskFailProbability: 1, failureCodes: ['INTERNAL.BAD_OUTPUT.CODE01'] });
    const failed = await created(t, clip(SOLID_RED));
    await t.admin.setFaults({ taskFailProbability: 0, moderatedWords: ['lighthouse'] });
    const moderated = await created(t, clip(SOLID_RED));
    await t.admin.clock({ advanceMs: 120_000 });
    expect(await finished(t, failed)).toMatchObject({
      status: 'FAILED',
      failureCode: 'INTERNAL.BAD_OUTPUT.CODE01',
      failure: expect.any(String),
    });
    expect(await finished(t, moderated)).toMatchObject({
      status: 'FAILED',
      failureCode: 'SAFETY.INPUT.TEXT',
    });
    expect((await t.admin.ledger()).map((e) => e.cost)).toEqual([25, 25]);
  });

  test('DELETE cancels a running task (the ledger shows it, charge kept) and deletes a finished one', async () => {
    const running = await created(t, clip(SOLID_RED));
    const done = await created(t, clip(SOLID_RED));
    await t.admin.clock({ advanceMs: 20_000 });
    expect((await t.call('DELETE', `/v1/tasks/${running}`)).status).toBe(204);
    expect(await status(running)).toMatchObject({ status: 'CANCELLED' });
    await t.admin.clock({ advanceMs: 120_000 });
    const output = ((await finished(t, done)).output as string[])[0]!;
    expect((await fetch(output)).status).toBe(200);
    expect((await status(running)).status).toBe('CANCELLED'); // cancelled stays cancelled

    const ledger = await t.admin.ledger();
    expect(ledger.find((e) => e.taskId === running)).toMatchObject({
      cost: 25,
      cancelledAt: expect.any(String),
    });
    expect(ledger.find((e) => e.taskId === done)!.cancelledAt).toBeUndefined();

    expect((await t.call('DELETE', `/v1/tasks/${done}`)).status).toBe(204);
    expect((await t.call('GET', `/v1/tasks/${done}`)).status).toBe(404);
    expect((await fetch(output)).status).toBe(404);
    expect((await t.admin.ledger()).find((e) => e.taskId === done)!.cancelledAt).toBeUndefined();
  });

  test('outputs expire after 24 h of provider time', async () => {
    const id = await created(t, clip(SOLID_RED));
    await t.admin.clock({ advanceMs: 120_000 });
    const output = ((await finished(t, id)).output as string[])[0]!;
    expect((await fetch(output)).status).toBe(200);
    await t.admin.clock({ advanceMs: 24 * 3600 * 1000 });
    expect((await fetch(output)).status).toBe(404);
  });
});
