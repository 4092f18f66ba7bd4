/**
 * The one stack the integration tests, the drills and the benchmarks run on, all on 127.0.0.1: a Temporal
 * dev server (in memory, or on SQLite in the stack's folder so that it can be restarted mid-run), the
 * provider simulator, optionally the callback receiver (its own service, as in production) and
 * `long-video worker` processes that can be killed and replaced. Built from the primitives `long-video
 * dev` uses too (src/temporal/dev-server.ts, src/simulator/server.ts, src/receiver/server.ts); not shipped.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { RunwayClient } from '../src/provider/client';
import { type RunningReceiver, startCallbackReceiver } from '../src/receiver/server';
import { SimulatorAdmin } from '../src/simulator/admin-client';
import type { SimulatorOptions } from '../src/simulator/options';
import { type RunningSimulator, startSimulator } from '../src/simulator/server';
import {
  type DevServerOptions,
  type RunningDevServer,
  freePort,
  startDevServer,
} from '../src/temporal/dev-server';
import { CLI_BIN, type WorkerProcess, spawnWorker } from './lab/worker-process';

const run = promisify(execFile);

export type { WorkerProcess };

export interface StackOptions {
  /** The simulator's options (its API key is the stack's). */
  sim?: SimulatorOptions;
  /** The dev server's options: in memory on a free port unless told otherwise. */
  server?: DevServerOptions;
  /** Keep the server's database in the stack's folder, so that `restartServer` finds its state. */
  persistent?: boolean;
  /** Serve callbacks from a receiver in this process (workers then run `--no-receiver`). */
  callbacks?: boolean;
  receiverLog?: (line: string) => void;
  /** Worker environment on top of the stack's own (rate limit, timeouts...). */
  workerEnv?: Record<string, string>;
  /** How much of each worker's output to keep (default 1,000,000 characters). */
  workerOutputChars?: number;
  /** The simulator's API key and the callback secret; random by default. */
  apiKey?: string;
  callbackSecret?: string;
}

export interface Stack {
  /** The running Temporal server (another one after `restartServer`). */
  readonly server: RunningDevServer;
  sim: RunningSimulator;
  admin: SimulatorAdmin;
  /** A provider client on the simulator, with the stack's API key. */
  provider: RunwayClient;
  client: Client;
  /** The workers' OUTPUT_DIR. */
  outputDir: string;
  /** The workers started, minus the replaced ones. */
  workers: WorkerProcess[];
  /** The API key and callback secret the stack uses: never to be found in histories or outputs. */
  secrets: { 'API key': string; 'callback secret': string };
  /** Environment for a worker process talking to this stack. */
  workerEnv(extra?: Record<string, string>): Record<string, string>;
  /** Environment for a worker that serves callbacks itself, on a free port. */
  callbackEnv(): Promise<Record<string, string>>;
  startWorker(env?: Record<string, string>): Promise<WorkerProcess>;
  startWorkers(count: number): Promise<WorkerProcess[]>;
  /** SIGKILL one worker and start its replacement. */
  replaceWorker(worker: WorkerProcess): Promise<WorkerProcess>;
  /** Stop the Temporal server and start it again on the same port (and database, when persistent). */
  restartServer(downMs: number): Promise<void>;
  serverPid(): number;
  /** Run `long-video ARGS` against this stack: exit code and output (never throws on a non-zero exit). */
  cli(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

/** Drills and benchmarks: a server that can be restarted mid-run, and a bounded output per worker. */
export function startDrillStack(options: StackOptions): Promise<Stack> {
  return startStack({ persistent: true, workerOutputChars: 200_000, ...options });
}

/** Environment for a worker that serves callbacks itself, on a free port, with this secret. */
export async function workerCallbackEnv(secret: string): Promise<Record<string, string>> {
  const port = await freePort();
  return {
    CALLBACK_PUBLIC_URL: `http://127.0.0.1:${port}`,
    CALLBACK_PORT: String(port),
    CALLBACK_SECRET: secret,
  };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'long-video-stack-'));
  const outputDir = path.join(dataDir, 'output');
  mkdirSync(outputDir);
  const serverOptions: DevServerOptions = {
    ui: false,
    ...options.server,
    port: options.server?.port ?? (await freePort()),
    ...(options.persistent ? { dbFilename: path.join(dataDir, 'temporal.db') } : {}),
  };
  const apiKey = options.apiKey ?? `sk-stack-${randomBytes(12).toString('hex')}`;
  const callbackSecret = options.callbackSecret ?? randomBytes(24).toString('hex');
  const started: Array<() => Promise<unknown>> = [];
  const stopStarted = async () => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    let server = await startDevServer(serverOptions);
    started.push(() => server.stop());
    const sim = await startSimulator({ log: false, ...options.sim, apiKeys: [apiKey] });
    started.push(() => sim.close());
    const connection = await Connection.connect({ address: server.address });
    started.push(() => connection.close());
    const client = new Client({ connection, namespace: server.namespace });

    let receiver: RunningReceiver | undefined;
    let receiverEnv: Record<string, string> = {};
    if (options.callbacks) {
      receiver = await startCallbackReceiver({
        host: '127.0.0.1',
        port: await freePort(),
        secret: callbackSecret,
        workflows: client.workflow,
        log: options.receiverLog,
      });
      started.push(() => receiver!.close());
      receiverEnv = { CALLBACK_PUBLIC_URL: receiver.url, CALLBACK_SECRET: callbackSecret };
    }
    // The worker holds the key of the API the simulator speaks, and only that one.
    const providerEnv: Record<string, string> =
      sim.options.provider === 'runwayml'
        ? { RUNWAYML_BASE_URL: sim.url, RUNWAYML_API_SECRET: apiKey }
        : { RUNWAY_BASE_URL: sim.url, RUNWAY_API_KEY: apiKey };
    const workerEnv = (extra: Record<string, string> = {}) => ({
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: server.namespace,
      ...providerEnv,
      OUTPUT_DIR: outputDir,
      // Each worker serves the folder on a port of its own (several run on this host, beside other stacks).
      OUTPUT_PORT: '0',
      WORKER_SHUTDOWN_GRACE_MS: '1000',
      ...receiverEnv,
      ...options.workerEnv,
      ...extra,
    });
    const workers: WorkerProcess[] = [];
    const startWorker = async (env = workerEnv()) => {
      const worker = await spawnWorker(env, {
        args: receiver ? ['--no-receiver'] : [],
        keepOutputChars: options.workerOutputChars,
      });
      workers.push(worker);
      return worker;
    };

    return {
      get server() {
        return server;
      },
      sim,
      provider: new RunwayClient({ baseUrl: sim.url, apiKey, timeoutMs: 5_000 }),
      admin: new SimulatorAdmin(sim.url, sim.options.adminToken),
      client,
      outputDir,
      workers,
      secrets: { 'API key': apiKey, 'callback secret': callbackSecret },
      workerEnv,
      callbackEnv: () => workerCallbackEnv(callbackSecret),
      startWorker,
      async startWorkers(count) {
        const fleet: WorkerProcess[] = [];
        for (let i = 0; i < count; i++) fleet.push(await startWorker());
        return fleet;
      },
      async replaceWorker(worker) {
        await worker.kill('SIGKILL');
        const i = workers.indexOf(worker);
        if (i >= 0) workers.splice(i, 1);
        return startWorker();
      },
      async restartServer(downMs) {
        await server.stop();
        await new Promise((r) => setTimeout(r, downMs));
        server = await startDevServer(serverOptions);
      },
      serverPid: () => server.pid,
      async cli(args, cwd = os.tmpdir()) {
        const env = {
          PATH: process.env.PATH ?? '',
          TEMPORAL_ADDRESS: server.address,
          TEMPORAL_NAMESPACE: server.namespace,
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
        await Promise.all(workers.map((w) => w.kill('SIGTERM')));
        await stopStarted();
      },
    };
  } catch (err) {
    await stopStarted();
    throw err;
  }
}
