/**
 * The provider activities against the simulator over real HTTP, in Temporal's mock activity environment:
 * heartbeats that make a retried create adopt its task instead of paying again, and failure mapping.
 */
import http from 'node:http';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createProviderActivities } from '../src/activities/provider';
import { closeServer, listen } from '../src/http/json-server';
import { RunwayClient } from '../src/provider/client';
import { verifyCallbackPath } from '../src/provider/callback-tokens';
import { FailureTypes } from '../src/chain/failure-types';
import { type TestSimulator, startTestSimulator, waitForState } from './support/simulator';

const SECRET = 'a-callback-secret-of-some-length';
const REQUEST = { prompt: 'a kite', duration: 5, quality: '720p', aspectRatio: '16:9' } as const;
const target = { workflowId: 'wf-1', segment: 1, attempt: 1 };

let t: TestSimulator;
beforeAll(async () => {
  t = await startTestSimulator({ media: 'shared', rateLimit: 1 });
});
afterAll(() => t.sim.close());
beforeEach(() => t.admin.reset());

function activities(callbacks = true) {
  return createProviderActivities({
    client: t.client,
    callbacks: callbacks ? { publicUrl: 'http://127.0.0.1:9/hooks', secret: SECRET } : undefined,
    heartbeatFlushMs: 1,
  });
}

function run<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
  args: A,
  heartbeatDetails?: unknown,
  activityAttempt = heartbeatDetails === undefined ? 1 : 2,
) {
  // Failures are what these tests look at: no need to log them as well.
  const env = new MockActivityEnvironment(
    { heartbeatDetails, attempt: activityAttempt },
    { logger: new DefaultLogger('ERROR') },
  );
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  return { beats, result: env.run(fn, ...args) as Promise<R> };
}

test('a create heartbeats before sending and the task id as soon as it has it', async () => {
  const { beats, result } = run(activities().submitGeneration, [{ ...target, request: REQUEST }]);
  const { taskId } = await result;
  expect(beats).toEqual([{ phase: 'sending' }, { phase: 'created', taskId }]);
  const [entry] = await t.admin.ledger();
  expect(entry!.taskId).toBe(taskId);
  // One callback URL per (workflow, segment, attempt), verifiable by the receiver.
  expect(verifyCallbackPath(SECRET, new URL(entry!.callBackUrl).pathname.replace(/^\/hooks/, ''))).toEqual(
    target,
  );
});

test('a retried create that finds a task id answers it without calling the provider', async () => {
  const { result } = run(
    activities().submitExtension,
    [{ ...target, request: { taskId: 'p', prompt: 'x', quality: '720p' } }],
    {
      phase: 'created',
      taskId: 'task-from-before',
    },
  );
  expect(await result).toEqual({ taskId: 'task-from-before', callbacks: true });
  expect(await t.admin.ledger()).toHaveLength(0);
  expect((await t.admin.stats()).requests).toEqual({});
});

test('a retried create that finds only "sending" reports an ambiguous create and sends nothing', async () => {
  const { result } = run(activities().submitGeneration, [{ ...target, request: REQUEST }], {
    phase: 'sending',
  });
  const err = await result.catch((e: ApplicationFailure) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({
    type: FailureTypes.AmbiguousCreate,
    nonRetryable: true,
    details: [{ callbacks: true }],
  });
  expect((await t.admin.stats()).requests).toEqual({});
});

test('a retried create with no heartbeat at all (killed before "sending" landed) sends nothing', async () => {
  const { result } = run(activities().submitGeneration, [{ ...target, request: REQUEST }], undefined, 2);
  const err = await result.catch((e: ApplicationFailure) => e);
  expect(err).toMatchObject({ type: FailureTypes.AmbiguousCreate, message: /before it recorded/ });
  expect((await t.admin.stats()).requests).toEqual({});
});

test('a retried create after a recorded "not-created" sends again', async () => {
  const { result } = run(activities().submitGeneration, [{ ...target, request: REQUEST }], {
    phase: 'not-created',
  });
  const { taskId } = await result;
  expect((await t.admin.ledger()).map((e) => e.taskId)).toEqual([taskId]);
});

test('5xx after the task was created is an ambiguous create (and the task is charged)', async () => {
  await t.admin.setFaults({ createFailAfter: 1 });
  const err = await run(activities(false).submitGeneration, [{ ...target, request: REQUEST }]).result.catch(
    (e) => e,
  );
  expect(err).toMatchObject({
    type: FailureTypes.AmbiguousCreate,
    nonRetryable: true,
    details: [{ callbacks: false }],
  });
  expect(await t.admin.ledger()).toHaveLength(1);
});

test('429 is retryable after Retry-After, and leaves a "not-created" heartbeat', async () => {
  await run(activities().submitGeneration, [{ ...target, request: REQUEST }]).result; // uses the 1-per-10 s limit
  const { beats, result } = run(activities().submitGeneration, [{ ...target, attempt: 2, request: REQUEST }]);
  const err = await result.catch((e: ApplicationFailure) => e);
  expect(err).toMatchObject({ type: 'RateLimitedError', nonRetryable: false });
  expect((err as ApplicationFailure).nextRetryDelay).toBeGreaterThanOrEqual(1000);
  expect(beats).toEqual([{ phase: 'sending' }, { phase: 'not-created' }]);
});

test.each([
  ['402', async () => t.admin.setCredits(0), 'InsufficientCreditsError'],
  ['invalid input', async () => undefined, 'InvalidRequestError'],
])('%s is not retryable', async (_, arrange, type) => {
  await arrange();
  const request = type === 'InvalidRequestError' ? { ...REQUEST, prompt: ' ' } : REQUEST;
  const err = await run(activities().submitGeneration, [{ ...target, request }]).result.catch((e) => e);
  expect(err).toMatchObject({ type, nonRetryable: true });
  expect(await t.admin.ledger()).toHaveLength(0);
});

test('awaitTaskResult: unfinished is a retryable TaskNotFinished, finished is the outcome', async () => {
  const { taskId } = await run(activities().submitGeneration, [{ ...target, request: REQUEST }]).result;
  const early = await run(activities().awaitTaskResult, [{ taskId }]).result.catch((e) => e);
  expect(early).toMatchObject({ type: FailureTypes.TaskNotFinished, nonRetryable: false });
  await waitForState(t.client, taskId);
  const outcome = await run(activities().awaitTaskResult, [{ taskId }]).result;
  expect(outcome).toMatchObject({ taskId, state: 'success', parentTaskId: '', prompt: 'a kite' });
  expect(outcome.videoUrl).toMatch(/\.mp4$/);
  const missing = await run(activities().awaitTaskResult, [{ taskId: 'nope' }]).result.catch((e) => e);
  expect(missing).toMatchObject({ type: 'NotFoundError', nonRetryable: true });
});

test('awaitTaskResult: an answer it cannot read is an UnreadableAnswer naming the field, not retried here', async () => {
  // A provider that says "success" without the video URL the chain needs.
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ code: 200, msg: null, data: { taskId: 't-1', state: 'success', videoInfo: null } }),
    );
  });
  try {
    const client = new RunwayClient({ baseUrl: await listen(server, '127.0.0.1', 0), apiKey: 'k' });
    const provider = createProviderActivities({ client, heartbeatFlushMs: 1 });
    const err = await run(provider.awaitTaskResult, [{ taskId: 't-1' }]).result.catch((e) => e);
    expect(err).toMatchObject({ type: FailureTypes.UnreadableAnswer, nonRetryable: true });
    expect(err.message).toContain('videoInfo.videoUrl');
  } finally {
    await closeServer(server);
  }
});
