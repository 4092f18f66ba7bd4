/**
 * The callback receiver over real HTTP, with the simulator as the provider and a real Temporal dev server:
 * only a callback whose URL token is ours becomes a signal, and only after the provider confirms the task.
 */
import { Client, Connection } from '@temporalio/client';
import { callbackSignatureHeaders } from '../src/provider/callbacks';
import { type RunningReceiver, startCallbackReceiver } from '../src/receiver/server';
import { callbackUrl } from '../src/provider/callback-tokens';
import { type RunningDevServer, startDevServer } from '../src/temporal/dev-server';
import type { TaskFinishedSignal } from '../src/workflows/messages';
import {
  type TestSimulator,
  eventually,
  finishedTask,
  startTestSimulator,
  waitForState,
} from './support/simulator';

jest.setTimeout(120_000);

const SECRET = 'receiver-test-secret-0123456789';
const HMAC = 'provider-webhook-hmac-key';
let server: RunningDevServer;
let client: Client;
let t: TestSimulator;
let receiver: RunningReceiver;
const logs: string[] = [];

beforeAll(async () => {
  server = await startDevServer({ ui: false });
  client = new Client({ connection: await Connection.connect({ address: server.address }) });
  t = await startTestSimulator({ media: 'shared' });
  receiver = await startCallbackReceiver({
    host: '127.0.0.1',
    port: 0,
    secret: SECRET,
    webhookHmacKey: HMAC,
    provider: t.client,
    workflows: client.workflow,
    log: (l) => logs.push(l),
  });
});
afterAll(async () => {
  await receiver?.close();
  await t?.sim.close();
  await client?.connection.close();
  await server?.stop();
});

/** A chain with no worker: its history records every signal it receives, and nothing else happens. */
async function idleChain(id: string) {
  return client.workflow.start('longVideo', { taskQueue: 'no-worker-here', workflowId: id, args: [{}] });
}

async function signals(id: string): Promise<TaskFinishedSignal[]> {
  const history = await client.workflow.getHandle(id).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.workflowExecutionSignaledEventAttributes)
    .map((e) =>
      JSON.parse(
        Buffer.from(e.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!.data!).toString(),
      ),
    );
}

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const bodyFor = (taskId: string) => ({
  code: 200,
  msg: 'All generated successfully.',
  data: { task_id: taskId, video_id: 'v', video_url: 'http://x/forged.mp4', image_url: '' },
});
const urlFor = (workflowId: string, segment = 2, attempt = 1) =>
  callbackUrl(receiver.url, SECRET, { workflowId, segment, attempt });

test('a signed callback with our token becomes a signal carrying what the provider says', async () => {
  await idleChain('rcv-ok');
  const taskId = await finishedTask(t.client, 'a bell rings');
  const res = await post(urlFor('rcv-ok'), bodyFor(taskId), callbackSignatureHeaders(HMAC, taskId));
  expect(res.status).toBe(200);
  const [signal] = await eventually(async () => {
    const s = await signals('rcv-ok');
    return s.length ? s : undefined;
  });
  expect(signal).toMatchObject({ segment: 2, attempt: 1, taskId, state: 'success', prompt: 'a bell rings' });
  // The provider's record, not the callback body, is what the workflow hears.
  expect(signal!.videoUrl).toBe(`${t.sim.url}/files/${taskId}.mp4`);
});

test('a callback URL is single-use: 1,000 replays signal once and read the provider once', async () => {
  await idleChain('rcv-dup');
  const taskId = await finishedTask(t.client, 'a bell rings');
  const reads = async () => (await t.admin.stats()).requests['record-detail']?.['200'] ?? 0;
  const before = await reads();
  const headers = callbackSignatureHeaders(HMAC, taskId);
  for (let i = 0; i < 1000; i += 50) {
    const batch = Array.from({ length: 50 }, () => post(urlFor('rcv-dup'), bodyFor(taskId), headers));
    expect((await Promise.all(batch)).map((r) => r.status)).toEqual(Array(50).fill(200));
  }
  await receiver.idle();
  expect(await signals('rcv-dup')).toHaveLength(1);
  expect((await reads()) - before).toBe(1);
  expect(logs.filter((l) => l.includes('rcv-dup') && l.includes('repeated: ignored'))).toHaveLength(999);
});

test('a URL whose callback came to nothing (task not finished yet) can be used again', async () => {
  await idleChain('rcv-again');
  const taskId = await t.client.generate({
    prompt: 'soon',
    duration: 5,
    quality: '720p',
    aspectRatio: '1:1',
  });
  const headers = () => callbackSignatureHeaders(HMAC, taskId);
  expect((await post(urlFor('rcv-again'), bodyFor(taskId), headers())).status).toBe(200);
  await receiver.idle();
  expect(await signals('rcv-again')).toEqual([]);
  await waitForState(t.client, taskId);
  expect((await post(urlFor('rcv-again'), bodyFor(taskId), headers())).status).toBe(200);
  await receiver.idle();
  expect(await signals('rcv-again')).toHaveLength(1);
});

test("the receiver's provider reads keep to the read budget", async () => {
  const paced = await startCallbackReceiver({
    host: '127.0.0.1',
    port: 0,
    secret: SECRET,
    provider: t.client,
    readsPerSecond: 4,
    workflows: client.workflow,
  });
  try {
    await idleChain('rcv-paced');
    const taskId = await finishedTask(t.client, 'a bell rings');
    const started = Date.now();
    // Eight distinct URLs (attempts 1..8): each is read once, at most 4 a second.
    const urls = Array.from({ length: 8 }, (_, i) =>
      callbackUrl(paced.url, SECRET, { workflowId: 'rcv-paced', segment: 1, attempt: i + 1 }),
    );
    await Promise.all(urls.map((u) => post(u, bodyFor(taskId))));
    await paced.idle();
    expect(Date.now() - started).toBeGreaterThanOrEqual(7 * 250 - 20); // 8 reads spaced 250 ms apart
    expect(await signals('rcv-paced')).toHaveLength(8);
  } finally {
    await paced.close();
  }
});

test('forged, cross-workflow, unsigned, stale or malformed callbacks signal nothing', async () => {
  await idleChain('rcv-bad');
  const taskId = await finishedTask(t.client, 'a bell rings');
  const signed = callbackSignatureHeaders(HMAC, taskId);
  const good = new URL(urlFor('rcv-bad'));
  const forged = good.href.replace(/[^/]{43}$/, 'A'.repeat(43));
  const otherSegment = good.href.replace('/rcv-bad/2/1/', '/rcv-bad/3/1/');
  const cases: Array<[string, Response, number]> = [
    ['forged token', await post(forged, bodyFor(taskId), signed), 401],
    ['token of another segment', await post(otherSegment, bodyFor(taskId), signed), 401],
    ['no token', await post(`${receiver.url}/callbacks/rcv-bad/2/1`, bodyFor(taskId), signed), 401],
    ['unsigned', await post(good.href, bodyFor(taskId)), 401],
    [
      'signed for another task',
      await post(good.href, bodyFor(taskId), callbackSignatureHeaders(HMAC, 'other')),
      401,
    ],
    [
      'stale signature',
      await post(good.href, bodyFor(taskId), callbackSignatureHeaders(HMAC, taskId, Date.now() - 3600_000)),
      401,
    ],
    ['truncated JSON', await post(good.href, '{"code":200,"data":{"task_id"', signed), 400],
    ['code missing', await post(good.href, { data: { task_id: taskId } }, signed), 400],
    ['too large', await post(good.href, { ...bodyFor(taskId), pad: 'x'.repeat(40_000) }, signed), 413],
  ];
  for (const [name, res, status] of cases) expect([name, res.status]).toEqual([name, status]);
  // A valid callback for another chain signals that chain, never this one.
  await post(urlFor('rcv-someone-else'), bodyFor(taskId), signed);
  await receiver.idle();
  expect(await signals('rcv-bad')).toEqual([]);
  expect(logs.some((l) => l.includes('rcv-someone-else') && l.includes('not signalled'))).toBe(true);
});

test('a callback for a task the provider says is unfinished is acknowledged and ignored', async () => {
  await idleChain('rcv-early');
  const taskId = await t.client.generate({
    prompt: 'not yet',
    duration: 5,
    quality: '720p',
    aspectRatio: '1:1',
  });
  const res = await post(urlFor('rcv-early'), bodyFor(taskId), callbackSignatureHeaders(HMAC, taskId));
  expect(res.status).toBe(200);
  await receiver.idle();
  expect(await signals('rcv-early')).toEqual([]);
  expect(logs.some((l) => l.includes(taskId) && l.includes('ignored'))).toBe(true);
});

test('a failure callback with no data, data: null, or no task id is acknowledged and left to the poll', async () => {
  await idleChain('rcv-nodata');
  const url = urlFor('rcv-nodata');
  for (const body of [
    { code: 500, msg: 'Generation failed' },
    { code: 400, msg: null, data: null },
    { code: 400, msg: 'x', data: { taskId: 'camelCase' } },
  ]) {
    expect((await post(url, body)).status).toBe(200);
  }
  await receiver.idle();
  expect(await signals('rcv-nodata')).toEqual([]);
  expect(logs.filter((l) => l.includes('rcv-nodata') && l.includes('left to the poll'))).toHaveLength(3);
});

test("a failure callback's code and message fill in what record-detail leaves out (nulls shape)", async () => {
  const nulls = await startTestSimulator({ media: 'shared', shapes: 'nulls' });
  const nullsReceiver = await startCallbackReceiver({
    host: '127.0.0.1',
    port: 0,
    secret: SECRET,
    provider: nulls.client,
    workflows: client.workflow,
  });
  try {
    await idleChain('rcv-fill');
    await nulls.admin.setFaults({ moderatedWords: ['forbidden'] });
    const taskId = await finishedTask(nulls.client, 'a forbidden dance');
    const detail = await nulls.client.recordDetail(taskId);
    expect(detail).toMatchObject({ taskId, state: 'fail' });
    expect([detail.failCode, detail.failMsg]).toEqual([undefined, undefined]); // no reason to be had here
    const url = callbackUrl(nullsReceiver.url, SECRET, { workflowId: 'rcv-fill', segment: 1, attempt: 1 });
    const body = {
      code: 400,
      msg: 'Your prompt was caught by our AI moderator.',
      data: { task_id: taskId, video_id: null, video_url: null, image_url: null },
    };
    expect((await post(url, body)).status).toBe(200);
    const [signal] = await eventually(async () => {
      const s = await signals('rcv-fill');
      return s.length ? s : undefined;
    });
    expect(signal).toEqual({
      segment: 1,
      attempt: 1,
      taskId,
      state: 'fail',
      prompt: 'a forbidden dance', // nulls: a generation keeps its prompt, parentTaskId is null
      failCode: '400',
      failMsg: 'Your prompt was caught by our AI moderator.',
    });
  } finally {
    await nullsReceiver.close();
    await nulls.sim.close();
  }
});
