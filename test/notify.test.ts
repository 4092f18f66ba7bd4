/**
 * Notifications on the real stack: a chain started with `--notify URL` POSTs its pauses and its end to a
 * local receiver (127.0.0.1, a free port), signed with the worker's NOTIFY_SECRET; a receiver that answers
 * 500 gets the notice again; one that is down never holds the chain up. A bad URL is refused before
 * anything is paid.
 */
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import type { ChainNotice } from '../src/chain/notice';
import { chainProgress } from '../src/client';
import { freePort } from '../src/temporal/dev-server';
import { type Stack, type WorkerProcess, startStack } from './support/stack';
import { eventually } from './support/simulator';
import { quietRuntime } from './support/temporal';

jest.setTimeout(180_000);

const NOTIFY_SECRET = 'notify-secret-0123456789abcdef';
let stack: Stack;
let worker: WorkerProcess;

beforeAll(async () => {
  quietRuntime();
  stack = await startStack();
  worker = await stack.startWorker(stack.workerEnv({ NOTIFY_SECRET }));
});
afterAll(async () => {
  await worker?.kill('SIGTERM');
  await stack?.stop();
});
beforeEach(() => stack.sim.admin.reset());

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  notice: ChainNotice;
}

/** A notification receiver that answers each POST with the next of `statuses` (then 200). */
async function startReceiver(statuses: number[] = []) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, body, notice: JSON.parse(body) as ChainNotice });
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/chain`;
  return { url, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const start = (id: string, notify: string, ...more: string[]) =>
  stack.cli(['start', '--aspect-ratio', '16:9', '--id', id, '--notify', notify, ...more]);

const completed = (id: string) =>
  eventually(async () => {
    const p = await chainProgress(stack.client, id);
    return p.state === 'completed' ? p : undefined;
  }, 90_000);

/** The signature header as the README says to check it: HMAC-SHA256 of `<t>.<body>` with the secret. */
function expectSigned({ headers, body }: Received) {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(headers['x-long-video-signature']));
  expect(m).not.toBeNull();
  const mac = createHmac('sha256', NOTIFY_SECRET).update(`${m![1]}.${body}`).digest('hex');
  expect(m![2]).toBe(mac);
  expect(Math.abs(Date.now() / 1000 - Number(m![1]))).toBeLessThan(120);
}

test('the pause (a review) and the completion are POSTed with the chain state, signed', async () => {
  const receiver = await startReceiver();
  try {
    const id = 'notify-chain';
    expect((await start(id, receiver.url, '--review', '--prompt', 'one', '--prompt', 'two')).code).toBe(0);
    const pause = await eventually(() => receiver.received[0], 60_000);
    expect(pause.headers['content-type']).toBe('application/json');
    expectSigned(pause);
    const ledger = await stack.sim.admin.ledger();
    expect(ledger).toHaveLength(1);
    expect(pause.notice).toEqual({
      workflowId: id,
      state: 'paused',
      reason: expect.stringMatching(/^review segment 1 of 2 \(/),
      pausedBy: 'review',
      segmentsDone: 1,
      segmentsTotal: 2,
      creditsSpent: ledger[0]!.cost,
      outputs: {
        preview: expect.stringContaining(id),
        urls: { preview: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/notify-chain\/preview\.mp4$/) },
      },
      review: {
        segment: 1,
        file: expect.stringMatching(/segment-001-.*\.mp4$/),
        fileUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/notify-chain\/segment-001-.*\.mp4$/),
        videoUrl: expect.any(String),
      },
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(existsSync(pause.notice.review!.file!)).toBe(true);
    // The secret signs; it is never sent, nor kept in the chain's history.
    expect(pause.body).not.toContain(NOTIFY_SECRET);

    expect((await stack.cli(['approve', id])).code).toBe(0);
    await eventually(() => receiver.received[1], 60_000);
    expect((await stack.cli(['approve', id])).code).toBe(0);
    const done = await completed(id);
    const end = await eventually(() => receiver.received[2], 60_000);
    expect(receiver.received[1]!.notice).toMatchObject({ state: 'paused', review: { segment: 2 } });
    expectSigned(end);
    expect(end.notice).toEqual({
      workflowId: id,
      state: 'completed',
      segmentsDone: 2,
      segmentsTotal: 2,
      creditsSpent: done.creditsSpent,
      outputs: done.outputs,
      at: expect.any(String),
    });
    expect(end.notice.outputs?.video).toMatch(/final\.mp4$/);
    expect(receiver.received).toHaveLength(3);

    const history = await stack.client.workflow.getHandle(id).fetchHistory();
    const text = historyToJSON(history);
    expect(text).not.toContain(NOTIFY_SECRET);
    await Worker.runReplayHistory({ workflowsPath: require.resolve('../src/workflows') }, history, id);
    if (process.env.RECORD_HISTORIES) {
      const dir = path.join(__dirname, 'fixtures', 'histories');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `${id}.json`), text);
    }
  } finally {
    await receiver.close();
  }
});

test('a receiver that answers 500 at first gets the notice again until it takes it', async () => {
  const receiver = await startReceiver([500, 503]);
  try {
    const id = 'notify-retried';
    expect((await start(id, receiver.url, '--prompt', 'one')).code).toBe(0);
    await completed(id);
    await eventually(() => receiver.received[2], 60_000);
    const bodies = receiver.received.map((r) => r.notice);
    expect(bodies.map((n) => n.state)).toEqual(['completed', 'completed', 'completed']);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1); // the same notice each time
    await new Promise((r) => setTimeout(r, 2_500));
    expect(receiver.received).toHaveLength(3); // taken: not sent again
    expect(await stack.sim.admin.ledger()).toHaveLength(1);
  } finally {
    await receiver.close();
  }
});

test('a receiver that is down does not hold the chain up: it completes, the notice keeps trying', async () => {
  const id = 'notify-down';
  const down = `http://127.0.0.1:${await freePort()}/nobody-home`;
  expect((await start(id, down, '--prompt', 'one', '--prompt', 'two')).code).toBe(0);
  const done = await completed(id);
  expect(existsSync(done.outputs!.video!)).toBe(true);
  const { runId } = await stack.client.workflow.getHandle(id).describe();
  const notice = stack.client.workflow.getHandle(`${id}/notify/${runId}/1`);
  // Outlives the chain, retrying (bounded: an hour), without the chain waiting for it.
  const pending = await eventually(async () => {
    const d = await notice.describe();
    return d.raw.pendingActivities?.[0]?.attempt && d.raw.pendingActivities[0].attempt >= 2 ? d : undefined;
  }, 30_000);
  expect(pending.status.name).toBe('RUNNING');
  expect(pending.raw.pendingActivities?.[0]?.lastFailure?.message).toContain('notify http://127.0.0.1:');
  await notice.terminate('test over');
});

test("an operator's pause and a cancel are POSTed too", async () => {
  const receiver = await startReceiver();
  try {
    const id = 'notify-cancelled';
    expect(
      (await start(id, receiver.url, '--prompt', 'one', '--prompt', 'two', '--prompt', 'three')).code,
    ).toBe(0);
    expect((await stack.cli(['pause', id, '--reason', 'checking the look'])).code).toBe(0);
    const paused = await eventually(() => receiver.received[0], 60_000);
    expect(paused.notice).toMatchObject({ workflowId: id, state: 'paused', reason: 'checking the look' });
    expect(paused.notice.pausedBy).toMatch(/@/); // user@host
    expect((await stack.cli(['cancel', id])).code).toBe(0);
    const cancelled = await eventually(() => receiver.received[1], 60_000);
    expect(cancelled.notice).toMatchObject({
      workflowId: id,
      state: 'cancelled',
      reason: 'cancelled by request',
    });
  } finally {
    await receiver.close();
  }
});

test('a notify URL that is not http(s), or holds credentials, is refused before anything is paid', async () => {
  const bad = await start('notify-bad', 'ftp://hooks.example/x', '--prompt', 'one');
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('options.notifyUrl: must be an absolute http(s) URL');
  const secret = await start('notify-secret', 'https://me:pw@hooks.example/x', '--prompt', 'one');
  expect(secret.code).toBe(2);
  expect(secret.stderr).toContain('options.notifyUrl: must not hold credentials');
  expect(await stack.sim.admin.ledger()).toHaveLength(0);
});
