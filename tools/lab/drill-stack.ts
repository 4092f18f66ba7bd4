/**
 * The stack a drill or a benchmark runs on, all on 127.0.0.1: a Temporal dev server (persistent SQLite,
 * so it can be restarted mid-run), the provider simulator, the callback receiver (its own service, as in
 * production) and a fleet of `long-video worker` processes that can be killed and replaced.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { type RunningReceiver, startCallbackReceiver } from '../../src/receiver/server';
import { SimulatorAdmin } from '../../src/simulator/admin-client';
import type { SimulatorOptions } from '../../src/simulator/options';
import { type RunningSimulator, startSimulator } from '../../src/simulator/server';
import { type RunningDevServer, freePort, startDevServer } from '../../src/temporal/dev-server';
import { type WorkerProcess, spawnWorker } from './worker-process';

export interface DrillStackOptions {
  sim: SimulatorOptions;
  /** Serve callbacks (the receiver runs in this process); without it chains poll only. */
  callbacks: boolean;
  /** Worker environment on top of the stack's own (rate limit, timeouts...). */
  workerEnv?: Record<string, string>;
  dynamicConfig?: Record<string, string | number | boolean>;
  receiverLog?: (line: string) => void;
}

export interface DrillStack {
  client: Client;
  sim: RunningSimulator;
  admin: SimulatorAdmin;
  outputDir: string;
  workers: WorkerProcess[];
  /** The API key and callback secret the stack uses: never to be found in histories or outputs. */
  secrets: Record<string, string>;
  startWorkers(count: number): Promise<WorkerProcess[]>;
  /** SIGKILL one worker and start its replacement. */
  replaceWorker(worker: WorkerProcess): Promise<WorkerProcess>;
  /** Stop the Temporal server and start it again on the same port and database. */
  restartServer(downMs: number): Promise<void>;
  serverPid(): number;
  stop(): Promise<void>;
}

export async function startDrillStack(options: DrillStackOptions): Promise<DrillStack> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'long-video-drill-'));
  const outputDir = path.join(dataDir, 'output');
  const dbFilename = path.join(dataDir, 'temporal.db');
  const port = await freePort();
  const serverOptions = { ui: false, port, dbFilename, dynamicConfig: options.dynamicConfig };
  let server: RunningDevServer = await startDevServer(serverOptions);
  const apiKey = `sk-drill-${randomBytes(12).toString('hex')}`;
  const callbackSecret = randomBytes(24).toString('hex');
  const sim = await startSimulator({ log: false, ...options.sim, apiKeys: [apiKey] });
  const admin = new SimulatorAdmin(sim.url, sim.options.adminToken);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });

  let receiver: RunningReceiver | undefined;
  let callbackEnv: Record<string, string> = {};
  if (options.callbacks) {
    const callbackPort = await freePort();
    receiver = await startCallbackReceiver({
      host: '127.0.0.1',
      port: callbackPort,
      secret: callbackSecret,
      workflows: client.workflow,
      log: options.receiverLog,
    });
    callbackEnv = { CALLBACK_PUBLIC_URL: receiver.url, CALLBACK_SECRET: callbackSecret };
  }
  const env = {
    TEMPORAL_ADDRESS: server.address,
    RUNWAY_BASE_URL: sim.url,
    RUNWAY_API_KEY: apiKey,
    OUTPUT_DIR: outputDir,
    WORKER_SHUTDOWN_GRACE_MS: '1000',
    ...callbackEnv,
    ...options.workerEnv,
  };
  const workers: WorkerProcess[] = [];
  const startOne = async () => {
    const worker = await spawnWorker(env, { args: ['--no-receiver'], keepOutputChars: 200_000 });
    workers.push(worker);
    return worker;
  };

  return {
    client,
    sim,
    admin,
    outputDir,
    workers,
    secrets: { 'API key': apiKey, 'callback secret': callbackSecret },
    async startWorkers(count) {
      const started: WorkerProcess[] = [];
      for (let i = 0; i < count; i++) started.push(await startOne());
      return started;
    },
    async replaceWorker(worker) {
      await worker.kill('SIGKILL');
      workers.splice(workers.indexOf(worker), 1);
      return startOne();
    },
    async restartServer(downMs) {
      await server.stop();
      await new Promise((r) => setTimeout(r, downMs));
      server = await startDevServer(serverOptions);
    },
    serverPid: () => server.pid,
    async stop() {
      await Promise.all(workers.map((w) => w.kill('SIGTERM')));
      await receiver?.close();
      await connection.close();
      await sim.close();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
