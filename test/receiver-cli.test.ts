/**
 * `long-video receiver` as its own process (the compose `receiver` service): a real Temporal dev server,
 * the simulator over HTTP, the compiled CLI. It listens, refuses forged callbacks, turns a genuine one into
 * a signal on the chain, stops cleanly on SIGTERM, and refuses to start without its configuration.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { CLI_BIN } from '../tools/lab/worker-process';
import { callbackUrl } from '../src/provider/callback-tokens';
import { type RunningDevServer, freePort, startDevServer } from '../src/temporal/dev-server';
import { type TestSimulator, eventually, finishedTask, startTestSimulator } from './support/simulator';

jest.setTimeout(120_000);

const run = promisify(execFile);
const SECRET = 'receiver-cli-secret-0123456789';
const PUBLIC_URL = 'https://callbacks.example.test';
let server: RunningDevServer;
let client: Client;
let t: TestSimulator;
let receiver: { child: ChildProcess; output: () => string; exit: Promise<number | null>; url: string };

/** Only what the command is given: PATH and HOME, no `.env` (cwd is the temp folder). */
const baseEnv = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' });

beforeAll(async () => {
  server = await startDevServer({ ui: false });
  client = new Client({ connection: await Connection.connect({ address: server.address }) });
  t = await startTestSimulator();
  const port = await freePort();
  const child = spawn(process.execPath, [CLI_BIN, 'receiver'], {
    cwd: os.tmpdir(),
    env: {
      ...baseEnv(),
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: server.namespace,
      // No provider key nor base URL: the receiver makes no provider call.
      CALLBACK_PUBLIC_URL: PUBLIC_URL,
      CALLBACK_SECRET: SECRET,
      CALLBACK_HOST: '127.0.0.1',
      CALLBACK_PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await eventually(() => /listening on (http:\/\/\S+)/.exec(output)?.[1], 30_000).catch(() => {
    throw new Error(`receiver did not start: ${output}`);
  });
  receiver = { child, output: () => output, exit, url };
});

afterAll(async () => {
  if (receiver && receiver.child.exitCode === null) {
    receiver.child.kill('SIGKILL');
    await receiver.exit;
  }
  await t?.sim.close();
  await client?.connection.close();
  await server?.stop();
});

function post(url: string, body: unknown) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}
const bodyFor = (taskId: string) => ({
  code: 200,
  msg: 'All generated successfully.',
  data: { task_id: taskId, video_id: 'v', video_url: 'http://x/forged.mp4', image_url: '' },
});
/** The path the worker put in the create (under CALLBACK_PUBLIC_URL), sent to where the receiver listens. */
const localUrlFor = (workflowId: string) =>
  callbackUrl(PUBLIC_URL, SECRET, { workflowId, segment: 1, attempt: 1 }).replace(PUBLIC_URL, receiver.url);

test('listens on CALLBACK_HOST:CALLBACK_PORT and answers its health check', async () => {
  expect(receiver.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const res = await fetch(`${receiver.url}/healthz`);
  expect(res.status).toBe(200);
});

test('a forged callback URL gets 401; a good URL with a malformed body gets 400', async () => {
  const forged = localUrlFor('rcv-cli-chain').replace(/[^/]{43}$/, 'A'.repeat(43));
  expect((await post(forged, bodyFor('task-x'))).status).toBe(401);
  expect((await post(`${receiver.url}/callbacks/nothing`, bodyFor('task-x'))).status).toBe(401);
  expect((await post(localUrlFor('rcv-cli-chain'), { code: 200, data: {} })).status).toBe(400);
  expect(receiver.output()).toContain('callback rejected: unknown or forged URL');
});

test('a genuine callback becomes a hint signal on the chain, with no provider request', async () => {
  // A chain on a queue no worker polls: its history records the signal and nothing else happens.
  const handle = await client.workflow.start('longVideo', {
    taskQueue: 'no-worker-here',
    workflowId: 'rcv-cli-chain',
    args: [{}],
  });
  const taskId = await finishedTask(t.client, 'a kite');
  const before = await t.admin.stats();
  expect((await post(localUrlFor('rcv-cli-chain'), bodyFor(taskId))).status).toBe(200);
  const signal = await eventually(async () => {
    const { events } = await handle.fetchHistory();
    const payload = events?.find((e) => e.workflowExecutionSignaledEventAttributes)
      ?.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0]?.data;
    return payload ? JSON.parse(Buffer.from(payload).toString()) : undefined;
  });
  expect(signal).toEqual({ segment: 1, attempt: 1, taskId, state: 'success' });
  expect((await t.admin.stats()).requests).toEqual(before.requests);
  await handle.terminate('test done');
});

test('SIGTERM: a graceful stop, exit code 0, the port released', async () => {
  receiver.child.kill('SIGTERM');
  expect(await receiver.exit).toBe(0);
  expect(receiver.output()).toContain('receiver: SIGTERM');
  await expect(fetch(`${receiver.url}/healthz`)).rejects.toThrow();
});

test('without its configuration it refuses to start and says what is missing', async () => {
  const err = await run(process.execPath, [CLI_BIN, 'receiver'], {
    cwd: os.tmpdir(),
    env: baseEnv(),
  }).catch((e: { code: number; stderr: string }) => e);
  expect(err).toMatchObject({ code: 1 });
  expect((err as { stderr: string }).stderr).toContain(
    'long-video receiver: CALLBACK_PUBLIC_URL, CALLBACK_SECRET not set',
  );

  const short = await run(process.execPath, [CLI_BIN, 'receiver'], {
    cwd: os.tmpdir(),
    env: { ...baseEnv(), CALLBACK_PUBLIC_URL: PUBLIC_URL, CALLBACK_SECRET: 'short' },
  }).catch((e: { code: number; stderr: string }) => e);
  expect(short).toMatchObject({ code: 1 });
  expect((short as { stderr: string }).stderr).toContain('CALLBACK_SECRET must be at least 16 characters');
});

test('an unknown option is a usage error (exit 2)', async () => {
  const err = await run(process.execPath, [CLI_BIN, 'receiver', '--port', '1'], {
    cwd: os.tmpdir(),
    env: baseEnv(),
  }).catch((e: { code: number; stderr: string }) => e);
  expect(err).toMatchObject({ code: 2 });
  expect((err as { stderr: string }).stderr).toMatch(/long-video receiver: .*--port/);
});
