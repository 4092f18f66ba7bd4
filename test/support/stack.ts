/**
 * The real local stack for integration tests: a Temporal dev server, the simulator over HTTP, and worker
 * processes started from the CLI (`long-video worker`), so that a worker can be killed with SIGKILL.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import {
  type DevServerOptions,
  type RunningDevServer,
  freePort,
  startDevServer,
} from '../../src/temporal/dev-server';
import type { SimulatorOptions } from '../../src/simulator/options';
import { CLI_BIN, type WorkerProcess, spawnWorker } from '../../tools/lab/worker-process';

export type { WorkerProcess };
import { type TestSimulator, startTestSimulator } from './simulator';
import { quietRuntime } from './temporal';

const run = promisify(execFile);

export interface Stack {
  server: RunningDevServer;
  sim: TestSimulator;
  /** The workers' OUTPUT_DIR. */
  outputDir: string;
  client: Client;
  /** Environment for a worker process talking to this stack. */
  workerEnv(extra?: Record<string, string>): Record<string, string>;
  startWorker(env: Record<string, string>): Promise<WorkerProcess>;
  /** Run `long-video ARGS` against this stack: exit code and output (never throws on a non-zero exit). */
  cli(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export const API_KEY = 'sk-integration-secret-key';
export const CALLBACK_SECRET = 'integration-callback-secret-0123456789';

export async function startStack(
  simOptions: SimulatorOptions = {},
  serverOptions: DevServerOptions = {},
): Promise<Stack> {
  const server = await startDevServer({ ui: false, ...serverOptions });
  const sim = await startTestSimulator({ timeScale: 0.01, apiKeys: [API_KEY], rateLimit: 0, ...simOptions });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  const workers = new Set<WorkerProcess>();
  const outputDir = mkdtempSync(path.join(os.tmpdir(), 'long-video-out-'));

  return {
    server,
    sim,
    outputDir,
    client,
    workerEnv(extra = {}) {
      return {
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: server.namespace,
        RUNWAY_BASE_URL: sim.sim.url,
        RUNWAY_API_KEY: API_KEY,
        RUNWAY_TIMEOUT_MS: '5000',
        PROVIDER_RATE_LIMIT_PER_SECOND: '200',
        WORKER_SHUTDOWN_GRACE_MS: '1000',
        OUTPUT_DIR: outputDir,
        ...extra,
      };
    },
    async startWorker(env) {
      const worker = await spawnWorker(env);
      workers.add(worker);
      void worker.exited.then(() => workers.delete(worker));
      return worker;
    },
    async cli(args, cwd = os.tmpdir()) {
      const env = {
        PATH: process.env.PATH ?? '',
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_UI_URL: 'http://127.0.0.1:8233',
        POLL_INTERVAL_MS: '200',
      };
      try {
        const { stdout, stderr } = await run(process.execPath, [CLI_BIN, ...args], { env, cwd });
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    },
    async stop() {
      await Promise.all([...workers].map((w) => w.kill('SIGTERM')));
      await connection.close();
      await sim.sim.close();
      await server.stop();
      rmSync(outputDir, { recursive: true, force: true });
    },
  };
}

/** Env for a worker that serves callbacks on a free port. */
export async function callbackEnv(): Promise<Record<string, string>> {
  const port = await freePort();
  return {
    CALLBACK_PUBLIC_URL: `http://127.0.0.1:${port}`,
    CALLBACK_PORT: String(port),
    CALLBACK_SECRET,
  };
}

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
