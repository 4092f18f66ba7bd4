/** Callbacks from the simulator to a receiver over real HTTP, and the helpers that check them. */
import http from 'node:http';
import fc from 'fast-check';
import { closeServer, listen, readBody } from '../src/http/json-server';
import {
  CallbackRejected,
  callbackSignatureHeaders,
  parseCallback,
  signCallback,
  verifyCallbackSignature,
} from '../src/provider/callbacks';
import { type TestSimulator, eventually, startTestSimulator } from './support/simulator';

const HMAC_KEY = 'whsec-test-key';
const REQUEST = { prompt: 'waves', duration: 5, quality: '720p', aspectRatio: '16:9' } as const;

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A receiver that records every POST and answers with the next status of `statuses` (then 200). */
async function startReceiver(statuses: number[] = []) {
  const received: Received[] = [];
  const server = http.createServer(async (req, res) => {
    received.push({ headers: req.headers, body: await readBody(req, 64 * 1024) });
    res.writeHead(statuses.shift() ?? 200).end();
  });
  const url = await listen(server, '127.0.0.1', 0);
  return { url, received, close: () => closeServer(server) };
}

describe('callbacks from the simulator', () => {
  let t: TestSimulator;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    t = await startTestSimulator({ webhookHmacKey: HMAC_KEY, media: 'shared' });
  });
  afterAll(() => t.sim.close());
  beforeEach(async () => {
    await t.admin.reset();
    receiver = await startReceiver();
  });
  afterEach(() => receiver.close());

  test('a finished task is POSTed in the contract shape, signed, and the signature verifies', async () => {
    const taskId = await t.client.generate({ ...REQUEST, callBackUrl: `${receiver.url}/cb/1` });
    const [call] = await eventually(() => (receiver.received.length ? receiver.received : undefined));
    const payload = parseCallback(call!.body);
    expect(payload).toMatchObject({ code: 200, data: { task_id: taskId } });
    expect(payload.data?.video_url).toMatch(new RegExp(`/files/${taskId}\\.mp4$`));
    expect(() =>
      verifyCallbackSignature({ hmacKey: HMAC_KEY, taskId, headers: call!.headers }),
    ).not.toThrow();
    expect(() => verifyCallbackSignature({ hmacKey: 'other-key', taskId, headers: call!.headers })).toThrow(
      CallbackRejected,
    );
    expect(() =>
      verifyCallbackSignature({ hmacKey: HMAC_KEY, taskId: 'another-task', headers: call!.headers }),
    ).toThrow(/does not match/);
  });

  test('a failed task is reported with a non-200 code and the reason', async () => {
    await t.admin.setFaults({ taskFailProbability: 1, taskFailCodes: [400] });
    await t.client.generate({ ...REQUEST, callBackUrl: `${receiver.url}/cb/fail` });
    const [call] = await eventually(() => (receiver.received.length ? receiver.received : undefined));
    // One of the reference's input-rejection messages, drawn by the simulator.
    const rejection = /moderator|inappropriate|NSFW|too long|width or height|image format/;
    expect(parseCallback(call!.body)).toMatchObject({ code: 400, msg: expect.stringMatching(rejection) });
  });

  test('dropped callbacks never arrive, and the admin API says so', async () => {
    await t.admin.setFaults({ callbackDropProbability: 1 });
    const taskId = await t.client.generate({ ...REQUEST, callBackUrl: `${receiver.url}/cb/drop` });
    const records = await eventually(async () => {
      const r = await t.admin.callbacks();
      return r.length ? r : undefined;
    });
    expect(records).toEqual([expect.objectContaining({ taskId, outcome: 'dropped' })]);
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.received).toHaveLength(0);
  });

  test('duplicated callbacks arrive twice with the same body', async () => {
    await t.admin.setFaults({ callbackDuplicateProbability: 1 });
    await t.client.generate({ ...REQUEST, callBackUrl: `${receiver.url}/cb/dup` });
    const calls = await eventually(() => (receiver.received.length >= 2 ? receiver.received : undefined));
    expect(calls[0]!.body).toBe(calls[1]!.body);
  });

  test('a receiver that fails is retried', async () => {
    await receiver.close();
    receiver = await startReceiver([500, 503]);
    await t.client.generate({ ...REQUEST, callBackUrl: `${receiver.url}/cb/retry` });
    await eventually(() => (receiver.received.length >= 3 ? true : undefined));
    const outcomes = (await t.admin.callbacks()).map((r) => r.outcome);
    expect(outcomes).toEqual([500, 503, 200]);
  });

  test('a delayed callback arrives after the delay', async () => {
    await t.admin.setFaults({ callbackDelayProbability: 1, callbackDelayMs: 400 });
    const taskId = await t.client.generate({ ...REQUEST, callBackUrl: `${receiver.url}/cb/late` });
    const finished = await eventually(async () => {
      const task = (await t.admin.tasks()).find((x) => x.taskId === taskId);
      return task?.finishedAt ?? undefined;
    });
    await eventually(() => (receiver.received.length ? true : undefined));
    expect(Date.now() - Date.parse(finished)).toBeGreaterThanOrEqual(350);
  });
});

describe('callback helpers', () => {
  const now = 1_800_000_000_000;
  const headers = (taskId: string, at = now) => callbackSignatureHeaders(HMAC_KEY, taskId, at);

  test('a stale or future timestamp is rejected', () => {
    expect(() =>
      verifyCallbackSignature({
        hmacKey: HMAC_KEY,
        taskId: 't',
        headers: headers('t', now - 301_000),
        nowMs: now,
      }),
    ).toThrow(/away from now/);
    expect(() =>
      verifyCallbackSignature({
        hmacKey: HMAC_KEY,
        taskId: 't',
        headers: headers('t', now + 301_000),
        nowMs: now,
      }),
    ).toThrow(/away from now/);
    expect(() =>
      verifyCallbackSignature({
        hmacKey: HMAC_KEY,
        taskId: 't',
        headers: headers('t', now - 5_000),
        nowMs: now,
      }),
    ).not.toThrow();
  });

  test('missing or malformed headers are rejected', () => {
    expect(() => verifyCallbackSignature({ hmacKey: HMAC_KEY, taskId: 't', headers: {} })).toThrow(/missing/);
    expect(() =>
      verifyCallbackSignature({
        hmacKey: HMAC_KEY,
        taskId: 't',
        headers: { 'x-webhook-timestamp': '12abc', 'x-webhook-signature': 'x' },
      }),
    ).toThrow(/Unix seconds/);
  });

  test('the signature is Base64 HMAC-SHA256 of "<task_id>.<timestamp>"', () => {
    // Known answer computed independently: printf 'abc.1700000000' | openssl dgst -sha256 -hmac key -binary | base64
    expect(signCallback('key', 'abc', 1700000000)).toBe('DVsH2H8WBYDKcDunI2Eou0AuIWKGHhVnNF1NDjQeZCA=');
  });

  test('any tampered signature is rejected', () => {
    const good = headers('task-1');
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 60 }), (forged) => {
        fc.pre(forged !== good['x-webhook-signature']);
        expect(() =>
          verifyCallbackSignature({
            hmacKey: HMAC_KEY,
            taskId: 'task-1',
            headers: { ...good, 'x-webhook-signature': forged },
            nowMs: now,
          }),
        ).toThrow(CallbackRejected);
      }),
    );
  });

  test.each([
    ['not JSON', '{"code":200,'],
    ['no code', JSON.stringify({ msg: 'ok', data: { task_id: 'x' } })],
    ['code as a string', JSON.stringify({ code: '200', msg: 'ok', data: { task_id: 'x' } })],
  ])('parseCallback rejects a body with %s', (_, body) => {
    expect(() => parseCallback(body)).toThrow(CallbackRejected);
  });

  // Tolerant in what we read: only `code` is required; the callback URL says which segment it is about.
  test.each([
    ['no data', { code: 500, msg: 'Generation failed' }, { code: 500, msg: 'Generation failed' }],
    ['data: null and msg: null', { code: 400, msg: null, data: null }, { code: 400 }],
    [
      'null URL fields',
      { code: 400, msg: 'x', data: { task_id: 't1', video_id: null, video_url: null, image_url: null } },
      { code: 400, msg: 'x', data: { task_id: 't1' } },
    ],
    [
      'camelCase (no task_id)',
      { code: 200, msg: 'ok', data: { taskId: 'x' } },
      { code: 200, msg: 'ok', data: {} },
    ],
    [
      'unknown fields',
      { code: 200, extra: 1, data: { task_id: 'y', more: true } },
      { code: 200, data: { task_id: 'y' } },
    ],
  ])('parseCallback accepts a body with %s', (_, body, parsed) => {
    expect(parseCallback(JSON.stringify(body))).toEqual(parsed);
  });
});
