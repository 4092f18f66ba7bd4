/**
 * The callback receiver over real HTTP, with the simulator as the provider and a real Temporal dev server:
 * only a callback whose URL token (and signature) is ours becomes a signal, a hint naming the task; the
 * receiver holds no provider key and makes no provider request (the simulator's stats say so).
 */
import { Client, Connection } from '@temporalio/client';
import { callbackSignatureHeaders } from '../src/provider/callbacks';
import { type RunningReceiver, startCallbackReceiver } from '../src/receiver/server';
import { callbackUrl } from '../src/provider/callback-tokens';
import { type RunningDevServer, freePort, startDevServer } from '../src/temporal/dev-server';
import type { TaskFinishedSignal } from '../src/workflows/messages';
import { type TestSimulator, finishedTask, startTestSimulator } from './support/simulator';

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
/** Every request the simulator has answered, by endpoint: the receiver must add none. */
const providerRequests = async () =>
  Object.values((await t.admin.stats()).requests).reduce(
    (sum, byStatus) => sum + Object.values(byStatus ?? {}).reduce((a, b) => a + b, 0),
    0,
  );

test('a signed callback with our token becomes a hint signal, with no provider request', async () => {
  await idleChain('rcv-ok');
  const taskId = await finishedTask(t.client, 'a bell rings');
  const before = await providerRequests();
  const res = await post(urlFor('rcv-ok'), bodyFor(taskId), callbackSignatureHeaders(HMAC, taskId));
  expect(res.status).toBe(200);
  // Answered once signalled: the signal is in the history already.
  const [signal] = await signals('rcv-ok');
  // Only what the callback's body may say: which task, and whether it succeeded. The body's URLs are
  // ignored: the chain's own read is the source of truth.
  expect(signal).toEqual({ segment: 2, attempt: 1, taskId, state: 'success' });
  expect(await providerRequests()).toBe(before);
});

test('a failure callback becomes a hint saying fail, nothing more from its body', async () => {
  await idleChain('rcv-fail');
  const body = {
    code: 400,
    msg: 'Your prompt was caught by our AI moderator.',
    data: { task_id: 'task-f', video_id: null, video_url: null, image_url: null },
  };
  const res = await post(urlFor('rcv-fail', 1, 3), body, callbackSignatureHeaders(HMAC, 'task-f'));
  expect(res.status).toBe(200);
  expect(await signals('rcv-fail')).toEqual([{ segment: 1, attempt: 3, taskId: 'task-f', state: 'fail' }]);
});

test('a callback URL is single-use: 1,000 replays signal once and read nothing', async () => {
  await idleChain('rcv-dup');
  const taskId = await finishedTask(t.client, 'a bell rings');
  const before = await providerRequests();
  const headers = callbackSignatureHeaders(HMAC, taskId);
  for (let i = 0; i < 1000; i += 50) {
    const batch = Array.from({ length: 50 }, () => post(urlFor('rcv-dup'), bodyFor(taskId), headers));
    expect((await Promise.all(batch)).map((r) => r.status)).toEqual(Array(50).fill(200));
  }
  await receiver.idle();
  expect(await signals('rcv-dup')).toHaveLength(1);
  expect(await providerRequests()).toBe(before);
  expect(logs.filter((l) => l.includes('rcv-dup') && l.includes('repeated: ignored'))).toHaveLength(999);
});

test('Temporal unreachable: 503 within the signal deadline, and the URL stays usable for a retry', async () => {
  // A client whose server is not there: the Temporal client retries until the deadline, then gives up.
  const nowhere = await Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
  const lost: string[] = [];
  const cut = await startCallbackReceiver({
    host: '127.0.0.1',
    port: 0,
    secret: SECRET,
    workflows: new Client({ connection: nowhere }).workflow,
    signalTimeoutMs: 500,
    log: (l) => lost.push(l),
  });
  try {
    const url = callbackUrl(cut.url, SECRET, { workflowId: 'rcv-cut', segment: 1, attempt: 1 });
    const started = Date.now();
    expect((await post(url, bodyFor('task-c'))).status).toBe(503);
    expect(Date.now() - started).toBeLessThan(5_000); // inside the simulator's 5 s delivery time-out
    // Not marked used: the provider's retry is signalled (here: tried) again, not ignored as a repeat.
    expect((await post(url, bodyFor('task-c'))).status).toBe(503);
    expect(lost.filter((l) => l.includes('not signalled'))).toHaveLength(2);
    expect(lost.some((l) => l.includes('repeated'))).toBe(false);
  } finally {
    await cut.close();
    await nowhere.close();
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
  expect(logs.some((l) => l.includes('rcv-someone-else') && l.includes('no such running chain'))).toBe(true);
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
