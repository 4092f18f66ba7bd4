/**
 * The integration tests' stack: tools/stack.ts (a Temporal dev server, the simulator over HTTP, worker
 * processes started from the CLI so that one can be killed with SIGKILL) with the tests' fixed secrets and
 * fast settings, plus a jest helper for a suite with one worker.
 */
import type { DevServerOptions, RunningDevServer } from '../../src/temporal/dev-server';
import type { SimulatorOptions } from '../../src/simulator/options';
import {
  type Stack as ToolsStack,
  type WorkerProcess,
  startStack as startToolsStack,
  workerCallbackEnv,
} from '../../tools/stack';
import type { TestSimulator } from './simulator';
import { FAST } from './simulator';
import { quietRuntime } from './temporal';

export type { WorkerProcess };

export interface Stack extends Pick<ToolsStack, 'outputDir' | 'client' | 'workerEnv' | 'cli' | 'stop'> {
  server: RunningDevServer;
  sim: TestSimulator;
  startWorker(env: Record<string, string>): Promise<WorkerProcess>;
}

export const API_KEY = 'sk-integration-secret-key';
export const CALLBACK_SECRET = 'integration-callback-secret-0123456789';

export async function startStack(
  simOptions: SimulatorOptions = {},
  serverOptions: DevServerOptions = {},
): Promise<Stack> {
  const stack = await startToolsStack({
    sim: { ...FAST, timeScale: 0.01, rateLimit: 0, ...simOptions },
    server: serverOptions,
    apiKey: API_KEY,
    callbackSecret: CALLBACK_SECRET,
    workerEnv: { RUNWAY_TIMEOUT_MS: '5000', PROVIDER_RATE_LIMIT_PER_SECOND: '200' },
  });
  return {
    server: stack.server,
    sim: { sim: stack.sim, client: stack.provider, admin: stack.admin },
    outputDir: stack.outputDir,
    client: stack.client,
    workerEnv: stack.workerEnv,
    startWorker: (env) => stack.startWorker(env),
    cli: stack.cli,
    stop: stack.stop,
  };
}

/** Env for a worker that serves callbacks on a free port. */
export const callbackEnv = () => workerCallbackEnv(CALLBACK_SECRET);

/**
 * For a suite: one stack with one poll-mode worker process, by default a fresh simulator before each test
 * (`freshSimulator: false` keeps tasks made in a `beforeAll`). Read the stack through the returned getter
 * (it exists once `beforeAll` has run).
 */
export function useStackWithWorker({ freshSimulator = true } = {}): () => Stack {
  let stack: Stack;
  let worker: WorkerProcess;
  beforeAll(async () => {
    quietRuntime();
    stack = await startStack();
    worker = await stack.startWorker(stack.workerEnv());
  });
  afterAll(async () => {
    await worker?.kill('SIGTERM');
    await stack?.stop();
  });
  if (freshSimulator) beforeEach(() => stack.sim.admin.reset());
  return () => stack;
}
