/**
 * What the simulator accepts and how its tasks fail, read with raw `fetch`: unknown create keys ignored and
 * counted, an empty callback URL, the contract's refusals kept; real-looking 400 messages, moderation
 * charging a task that then fails, injected failure messages.
 */
import { INPUT_REJECTION_400_MESSAGES, MODERATOR_MESSAGE } from '../src/simulator/task-decision';
import examples from './fixtures/provider-examples.json';
import { TEXT, api, create, finished } from './support/raw-simulator';
import { type TestSimulator, startTestSimulator } from './support/simulator';

describe('lenient requests', () => {
  let t: TestSimulator;
  beforeAll(async () => {
    t = await startTestSimulator({ media: 'shared', rateLimit: 0 });
  });
  afterAll(() => t.sim.close());
  beforeEach(() => t.admin.reset());

  test('unknown keys are accepted, ignored, counted and in the ledger; reset clears the counts', async () => {
    const parent = await create(t, { ...TEXT, model: 'gen3' });
    await finished(t, parent);
    const extend = {
      taskId: parent,
      prompt: 'on',
      quality: '720p',
      imageUrl: 'https://x.test/a.png',
      expandPrompt: true,
    };
    await create(t, extend, 'extend');
    expect((await t.admin.stats()).ignoredRequestKeys).toEqual({
      generate: { model: 1 },
      extend: { imageUrl: 1, expandPrompt: 1 },
    });
    expect((await t.admin.ledger()).map((e) => e.body)).toEqual([{ ...TEXT, model: 'gen3' }, extend]);
    await t.admin.reset();
    expect((await t.admin.stats()).ignoredRequestKeys).toEqual({ generate: {}, extend: {} });
  });

  test('callBackUrl "" or null means no callback', async () => {
    const empty = await create(t, { ...TEXT, callBackUrl: '' });
    const nil = await create(t, { ...TEXT, callBackUrl: null });
    await finished(t, empty);
    await finished(t, nil);
    await new Promise((r) => setTimeout(r, 200));
    expect(await t.admin.callbacks()).toEqual([]);
    expect((await t.admin.ledger()).map((e) => [e.callBackUrl, e.body.callBackUrl])).toEqual([
      ['', ''],
      ['', null],
    ]);
  });

  test.each([
    ['1080p with 10 s', { ...TEXT, quality: '1080p', duration: 10 }, /1080p is only available/],
    ['no aspect ratio for text-to-video', { ...TEXT, aspectRatio: undefined }, /aspectRatio is required/],
    ['a 1801-character prompt', { ...TEXT, prompt: 'x'.repeat(1801) }, /at most 1800/],
    ['a duration as a string', { ...TEXT, duration: '5' }, /duration/],
    ['no prompt', { ...TEXT, prompt: undefined }, /prompt/],
    ['no quality', { ...TEXT, quality: undefined }, /quality/],
    ['no duration', { ...TEXT, duration: undefined }, /duration/],
  ])('%s is still a 422, charging nothing, even with an unknown key', async (_, body, msg) => {
    const answer = await api(t, '/api/v1/runway/generate', { ...body, model: 'gen3' });
    expect(answer).toMatchObject({ code: 422, msg: expect.stringMatching(msg) });
    expect(await t.admin.ledger()).toEqual([]);
  });
});

describe('task failures like the real ones', () => {
  let t: TestSimulator;
  beforeAll(async () => {
    t = await startTestSimulator({ media: 'shared', rateLimit: 0 });
  });
  afterAll(() => t.sim.close());
  beforeEach(() => t.admin.reset());

  test('a moderated word makes a charged task that fails with 400 and the moderator message', async () => {
    await t.admin.setFaults({ moderatedWords: ['Forbidden'] });
    const moderated = await create(t, { ...TEXT, prompt: 'a FORBIDDEN dance' });
    const clean = await create(t, TEXT);
    expect((await finished(t, moderated)).data).toMatchObject({
      state: 'fail',
      failCode: 400,
      failMsg: MODERATOR_MESSAGE,
    });
    expect((await finished(t, clean)).data).toMatchObject({ state: 'success' });
    expect((await t.admin.ledger()).map((e) => [e.taskId, e.cost])).toEqual([
      [moderated, 12],
      [clean, 12],
    ]);
  });

  test('400 failures draw seeded input-rejection messages, or the injected failMessages', async () => {
    await t.admin.setFaults({ taskFailProbability: 1, taskFailCodes: [400] });
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push(await create(t, TEXT));
    const messages = await Promise.all(ids.map(async (id) => (await finished(t, id)).data!.failMsg));
    for (const m of messages) expect(INPUT_REJECTION_400_MESSAGES).toContain(m);
    expect(new Set(messages).size).toBeGreaterThan(1);

    const limit = 'Reached the limit for concurrent generations.';
    await t.admin.setFaults({ failMessages: [limit] });
    expect((await finished(t, await create(t, TEXT))).data).toMatchObject({ failCode: 400, failMsg: limit });
  });
});

test("the simulator's input rejections are the reference's 400 messages, minus transient and plan ones", () => {
  const reference: string[] = examples.reference.failCode400Messages;
  expect(reference).toEqual(expect.arrayContaining([...INPUT_REJECTION_400_MESSAGES]));
  expect(reference.filter((m) => !(INPUT_REJECTION_400_MESSAGES as readonly string[]).includes(m))).toEqual([
    'HD quality free trials complete. Subscribe now to continue creating in high resolution.',
    'Please try again later. You can upgrade to Standard membership to start generating now.',
    'Reached the limit for concurrent generations.',
    'Upload failed due to network reasons, please re-enter',
  ]);
});
