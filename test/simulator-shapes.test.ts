/**
 * The simulator's answer shapes, read with raw `fetch` (never the client's parser): each shape's exact
 * record-detail and callback, a success and a failure, before and after finishing; `mixed` being seeded.
 */
import { INPUT_REJECTION_400_MESSAGES } from '../src/simulator/task-decision';
import {
  type Json,
  TEXT,
  TIME,
  create,
  detail,
  finished,
  startReceiver,
  withSimulator,
} from './support/raw-simulator';
import { type TestSimulator, startTestSimulator } from './support/simulator';

describe.each(['full', 'docs', 'nulls', 'strings'] as const)('the %s shape', (shape) => {
  let t: TestSimulator;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ok: string;
  let failed: string;
  beforeAll(async () => {
    t = await startTestSimulator({ shapes: shape, media: 'shared' });
    receiver = await startReceiver();
    ok = await create(t, { ...TEXT, callBackUrl: `${receiver.url}/cb/ok` });
    await t.admin.setFaults({ taskFailProbability: 1, taskFailCodes: [400] });
    failed = await create(t, { ...TEXT, callBackUrl: `${receiver.url}/cb/fail` });
    await t.admin.setFaults({ taskFailProbability: 0 });
  });
  afterAll(async () => {
    await t.sim.close();
    await receiver.close();
  });

  test('record-detail of a success has exactly its keys', async () => {
    const answer = await finished(t, ok);
    const video = { videoUrl: `${t.sim.url}/files/${ok}.mp4`, imageUrl: `${t.sim.url}/files/${ok}.png` };
    const full = {
      taskId: ok,
      parentTaskId: '',
      generateParam: {
        prompt: TEXT.prompt,
        imageUrl: '',
        expandPrompt: shape === 'strings' ? 'false' : false,
      },
      state: 'success',
      generateTime: TIME,
      videoInfo: { videoId: `v-${ok}`, taskId: ok, ...video },
      failCode: null,
      failMsg: null,
      expireFlag: 0,
    };
    const expected = {
      full,
      strings: full,
      docs: {
        taskId: ok,
        state: 'success',
        generateTime: TIME,
        videoInfo: { videoId: `v-${ok}`, ...video },
        expireFlag: 0,
      },
      nulls: {
        taskId: ok,
        parentTaskId: null,
        generateParam: { prompt: TEXT.prompt, imageUrl: null, expandPrompt: null },
        state: 'success',
        generateTime: TIME,
        videoInfo: { videoId: null, taskId: null, videoUrl: video.videoUrl, imageUrl: null },
        failCode: null,
        failMsg: null,
        expireFlag: null,
      },
    }[shape];
    expect(answer).toEqual({ code: 200, msg: shape === 'nulls' ? null : 'success', data: expected });
  });

  test('record-detail of a failure has exactly its keys, with a real 400 message', async () => {
    const answer = await finished(t, failed);
    const failMsg = answer.data!.failMsg;
    const full = {
      taskId: failed,
      parentTaskId: '',
      generateParam: {
        prompt: TEXT.prompt,
        imageUrl: '',
        expandPrompt: shape === 'strings' ? 'false' : false,
      },
      state: 'fail',
      generateTime: TIME,
      videoInfo: null,
      failCode: shape === 'strings' ? '400' : 400,
      failMsg,
      expireFlag: 0,
    };
    const expected = {
      full,
      strings: full,
      docs: { taskId: failed, state: 'fail', generateTime: TIME, failMsg, expireFlag: 0 },
      nulls: {
        ...full,
        parentTaskId: null,
        generateParam: { prompt: TEXT.prompt, imageUrl: null, expandPrompt: null },
        failCode: null,
        failMsg: null,
        expireFlag: null,
      },
    }[shape];
    expect(answer).toEqual({ code: 200, msg: shape === 'nulls' ? null : 'success', data: expected });
    if (shape !== 'nulls') expect(INPUT_REJECTION_400_MESSAGES).toContain(failMsg);
  });

  test('callbacks of a success and a failure', async () => {
    const okData = {
      task_id: ok,
      video_id: `v-${ok}`,
      video_url: `${t.sim.url}/files/${ok}.mp4`,
      image_url: `${t.sim.url}/files/${ok}.png`,
    };
    expect(await receiver.callback('ok')).toEqual({
      code: 200,
      msg: 'All generated successfully.',
      data: shape === 'nulls' ? { ...okData, video_id: null, image_url: null } : okData,
    });
    const fail = await receiver.callback('fail');
    expect(INPUT_REJECTION_400_MESSAGES).toContain(fail.msg);
    if (shape === 'nulls') {
      expect([
        { code: 400, msg: fail.msg },
        { code: 400, msg: fail.msg, data: null },
      ]).toContainEqual(fail);
    } else {
      expect(fail).toEqual({
        code: 400,
        msg: fail.msg,
        data: { task_id: failed, video_id: '', video_url: '', image_url: '' },
      });
    }
  });

  test('before it finishes, a task has no generateTime and no videoInfo (docs: no such keys)', async () => {
    await t.admin.clock({ timeScale: 1 }); // a 2 s wait state
    const taskId = await create(t, TEXT);
    const { data } = await detail(t, taskId);
    await t.admin.clock({ timeScale: 0.005 });
    if (shape === 'docs') expect(data).toEqual({ taskId, state: 'wait', expireFlag: 0 });
    else expect(data).toMatchObject({ state: 'wait', generateTime: null, videoInfo: null, failCode: null });
  });
});

test('nulls: an extension sends generateParam null; a failure callback sends data null or no data, seeded', async () => {
  await withSimulator({ shapes: 'nulls' }, async (t) => {
    const receiver = await startReceiver();
    try {
      const parent = await create(t, TEXT);
      await finished(t, parent);
      const ext = await create(t, { taskId: parent, prompt: 'the kite falls', quality: '720p' }, 'extend');
      expect((await finished(t, ext)).data).toMatchObject({
        parentTaskId: null,
        generateParam: null,
        state: 'success',
      });

      await t.admin.setFaults({ taskFailProbability: 1, taskFailCodes: [501] });
      const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
      for (const n of names) await create(t, { ...TEXT, callBackUrl: `${receiver.url}/cb/${n}` });
      const bodies = await Promise.all(names.map((n) => receiver.callback(n)));
      for (const body of bodies)
        expect(Object.keys(body).filter((k) => k !== 'data')).toEqual(['code', 'msg']);
      expect(bodies.map((b) => [b.code, b.msg])).toEqual(
        names.map(() => [500, 'Generation failed, please try again']),
      );
      expect(bodies.filter((b) => 'data' in b).every((b) => b.data === null)).toBe(true);
      expect(new Set(bodies.map((b) => 'data' in b)).size).toBe(2);
    } finally {
      await receiver.close();
    }
  });
});

/** Which shape a just-created task's record-detail is in. */
function shapeOf(data: Json): string {
  if (!('parentTaskId' in data)) return 'docs';
  if (data.parentTaskId === null) return 'nulls';
  return typeof (data.generateParam as Json).expandPrompt === 'string' ? 'strings' : 'full';
}

test('mixed: shapes vary across tasks and repeat for the same seed', async () => {
  const run = () => {
    const seen: string[] = [];
    return withSimulator({ shapes: 'mixed', seed: 42, timeScale: 1 }, async (t) => {
      for (let i = 0; i < 20; i++) seen.push(shapeOf((await detail(t, await create(t, TEXT))).data!));
      expect((await t.admin.tasks()).map((x) => x.shape)).toEqual(seen);
    }).then(() => seen);
  };
  const first = await run();
  expect(new Set(first).size).toBeGreaterThan(1);
  expect(await run()).toEqual(first);
});
