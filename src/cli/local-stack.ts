/**
 * The local stack behind `long-video dev` and `npm start`: a Temporal dev server with the Web UI (SQLite
 * under .data/), the provider simulator (unless RUNWAY_BASE_URL names a real provider), the callback
 * receiver, the workers and the output folder's file server, all in one process on free or configured ports.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { Runtime } from '@temporalio/worker';
import { workerLogger } from '../temporal/logging';
import { type Config, loadConfig } from '../config/config';
import type { RunningReceiver } from '../receiver/server';
import { type RunningSimulator, startSimulator } from '../simulator/server';
import { type RunningDevServer, preferredPort, freePort, startDevServer } from '../temporal/dev-server';
import type { RunningFileServer } from '../http/file-server';
import { type RunningWorkers, startFileServerFor, startReceiverFor, startWorkers } from '../worker';
import type { RecordedProcess } from '../temporal/processes';
import { DATA_DIR, DEV_DB_FILE } from '../config/dev-state';

export interface LocalStackOptions {
  timeScale: number;
  temporalPort?: number;
  uiPort?: number;
  dbFilename?: string;
  log?: (line: string) => void;
  /** Each child process as soon as it starts (the Temporal server), to record it. */
  onProcess?: (process: RecordedProcess) => void;
}

export interface LocalStack {
  server: RunningDevServer;
  /** Days the server keeps a closed chain (CHAIN_RETENTION_DAYS). */
  retentionDays: number;
  simulator?: RunningSimulator;
  /** The output folder over HTTP (the deliverables' links). */
  files: RunningFileServer;
  /** What a second terminal needs to use this stack (no secrets). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  // Quiet workers; the command that started the stack handles Ctrl-C and stops them itself.
  Runtime.install({ logger: workerLogger('WARN'), shutdownSignals: [] });
  const log = options.log ?? (() => undefined);
  const base = loadConfig(process.env);
  const realProvider = Boolean(process.env.RUNWAY_BASE_URL);
  mkdirSync(DATA_DIR, { recursive: true });

  const server = await startDevServer({
    port: options.temporalPort ?? (await preferredPort(7233)),
    uiPort: options.uiPort ?? (await preferredPort(8233)),
    dbFilename: options.dbFilename ?? DEV_DB_FILE,
    retentionDays: base.CHAIN_RETENTION_DAYS,
    onSpawn: options.onProcess,
  });
  let simulator: RunningSimulator | undefined;
  let workers: RunningWorkers | undefined;
  let receiver: RunningReceiver | undefined;
  let files: (RunningFileServer & { linkBase: string }) | undefined;
  const stop = async () => {
    await workers?.shutdown().catch(() => undefined);
    await receiver?.close();
    await files?.close();
    await simulator?.close();
    await server.stop();
  };
  try {
    if (!realProvider) {
      simulator = await startSimulator({ timeScale: options.timeScale, log: false, rateLimit: 20 });
    }
    const callbackPort = await freePort();
    const pollIntervalMs = realProvider
      ? base.POLL_INTERVAL_MS
      : Math.max(100, Math.round(6_000 * options.timeScale));
    const config: Config = {
      ...base,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: server.namespace,
      TEMPORAL_UI_URL: server.uiUrl,
      // The local dev server speaks plain gRPC: a cluster's credentials (environment, profile) are not for it.
      temporal: {},
      RUNWAY_BASE_URL: simulator?.url ?? base.RUNWAY_BASE_URL,
      RUNWAY_API_KEY: simulator ? simulator.options.apiKeys[0] : process.env.RUNWAY_API_KEY,
      // The provider reaches a local receiver only when it runs here too; a real one needs a public URL.
      CALLBACK_PUBLIC_URL: simulator ? `http://127.0.0.1:${callbackPort}` : base.CALLBACK_PUBLIC_URL,
      CALLBACK_PORT: simulator ? callbackPort : base.CALLBACK_PORT,
      CALLBACK_SECRET: simulator ? randomBytes(24).toString('hex') : base.CALLBACK_SECRET,
      POLL_INTERVAL_MS: pollIntervalMs,
      PROVIDER_RATE_LIMIT_PER_SECOND: simulator ? 2 : base.PROVIDER_RATE_LIMIT_PER_SECOND,
    };
    receiver = await startReceiverFor(config, log);
    // 8788 unless taken (another stack, a worker): the links work either way, they name the port used.
    files = await startFileServerFor(
      config,
      process.env.OUTPUT_PORT ? base.OUTPUT_PORT : await preferredPort(base.OUTPUT_PORT),
    );
    workers = await startWorkers(config, { outputUrl: files.linkBase });
    const env: Record<string, string> = {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: server.namespace,
      POLL_INTERVAL_MS: String(pollIntervalMs),
      ...(server.uiUrl ? { TEMPORAL_UI_URL: server.uiUrl } : {}),
    };
    return { server, retentionDays: base.CHAIN_RETENTION_DAYS, simulator, files, env, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
