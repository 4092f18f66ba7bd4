/**
 * The worker process (`long-video worker`, or `node lib/worker.js`): one Temporal worker for the chain
 * workflows, one for the provider's creates and one for its reads, each on its task queue, and the
 * callback receiver when callbacks are configured. `maxTaskQueueActivitiesPerSecond` is enforced by the
 * server across every worker polling that queue, so the provider's rate limit holds however many
 * processes run. This process is the only one that needs a provider key: it builds a client for each
 * provider it has a key for (RUNWAY_API_KEY: kie-runway; RUNWAYML_API_SECRET: runwayml), and a chain on a
 * provider it has none for fails with an error naming the setting.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { describeTemporalConnection, temporalConnectionOptions } from './config/connection';
import { workerLogger } from './temporal/logging';
import { createProviderActivities } from './activities';
import { createDeliverableActivities } from './activities/deliverable';
import { createNotifyActivities } from './activities/notify';
import { LocalFolderStorage } from './media/storage';
import { type RunningFileServer, startFileServer } from './http/file-server';
import { type HealthReport, startHealthServer } from './http/health-server';
import { type Config, loadConfig, providerKeys, requireSomeProviderKey } from './config/config';
import { RunwayClient } from './provider/client';
import { RunwayMlClient } from './provider/runwayml/client';
import { redactUrl } from './chain/redact';
import { type RunningReceiver, startCallbackReceiver } from './receiver/server';
import { PROVIDER_READ_TASK_QUEUE, PROVIDER_TASK_QUEUE, WORKFLOW_TASK_QUEUE } from './chain/queues';

/**
 * The prebuilt workflow bundle beside the compiled code (lib/workflow-bundle.js, made by `npm run build`).
 * Run from src/ (ts-node) there is none, and the workers bundle src/workflows themselves.
 */
const WORKFLOW_BUNDLE = path.join(__dirname, 'workflow-bundle.js');

/** Heartbeats of the provider queue leave within this; a failing create waits for its last one. */
const HEARTBEAT_THROTTLE_MS = 5;
const HEARTBEAT_FLUSH_MS = 50;

export interface RunningWorkers {
  /** Resolves when all three workers have stopped. */
  done: Promise<void>;
  shutdown(): Promise<void>;
  /** Each worker's state (the SDK's: RUNNING while it polls); ok when all three run. */
  health(): HealthReport;
}

/**
 * The workers, on the prebuilt workflow bundle when there is one (`npm run build`). `outputUrl` is the base
 * URL of the output folder for the deliverables' links (OUTPUT_PUBLIC_URL when unset; none: no links).
 */
export async function startWorkers(
  config: Config,
  { outputUrl = config.OUTPUT_PUBLIC_URL }: { outputUrl?: string } = {},
): Promise<RunningWorkers> {
  const connection = await NativeConnection.connect(await temporalConnectionOptions(config));
  requireSomeProviderKey(config);
  const keys = providerKeys(config);
  const client = keys['kie-runway']
    ? new RunwayClient({
        baseUrl: config.RUNWAY_BASE_URL,
        apiKey: keys['kie-runway'],
        timeoutMs: config.RUNWAY_TIMEOUT_MS,
      })
    : undefined;
  const runwayml = keys.runwayml
    ? new RunwayMlClient({
        baseUrl: config.RUNWAYML_BASE_URL,
        apiKey: keys.runwayml,
        timeoutMs: config.RUNWAY_TIMEOUT_MS,
      })
    : undefined;
  const callbacks =
    config.CALLBACK_PUBLIC_URL && config.CALLBACK_SECRET
      ? { publicUrl: config.CALLBACK_PUBLIC_URL, secret: config.CALLBACK_SECRET }
      : undefined;
  const common = {
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    shutdownGraceTime: config.WORKER_SHUTDOWN_GRACE_MS,
  } satisfies Partial<WorkerOptions>;

  // Local work (archive, stitch, report, notifications) runs beside the workflows.
  const workflows = await Worker.create({
    ...common,
    taskQueue: WORKFLOW_TASK_QUEUE,
    // Unset, the SDK sizes the cache from the heap limit (about 2,300 chains with Node's default heap).
    ...(config.WORKER_CACHED_CHAINS === undefined ? {} : { maxCachedWorkflows: config.WORKER_CACHED_CHAINS }),
    activities: {
      ...createDeliverableActivities({
        storage: new LocalFolderStorage(config.OUTPUT_DIR, outputUrl),
        mediaHosts: mediaHosts(config),
        maxBytes: config.MEDIA_MAX_BYTES,
        downloadTimeoutMs: config.MEDIA_DOWNLOAD_TIMEOUT_MS,
      }),
      ...createNotifyActivities({ secret: config.NOTIFY_SECRET }),
    },
    ...(existsSync(WORKFLOW_BUNDLE)
      ? { workflowBundle: { codePath: WORKFLOW_BUNDLE } }
      : { workflowsPath: require.resolve('./workflows') }),
  });
  const providerActivities = createProviderActivities({
    client,
    runwayml,
    callbacks,
    heartbeatFlushMs: HEARTBEAT_FLUSH_MS,
  });
  const creates = await Worker.create({
    ...common,
    taskQueue: PROVIDER_TASK_QUEUE,
    activities: providerActivities,
    maxTaskQueueActivitiesPerSecond: config.PROVIDER_RATE_LIMIT_PER_SECOND,
    maxConcurrentActivityTaskExecutions: config.PROVIDER_CONCURRENCY,
    // A create's task id must reach the server at once: a crash right after must find it.
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE_MS,
  });
  const reads = await Worker.create({
    ...common,
    taskQueue: PROVIDER_READ_TASK_QUEUE,
    activities: providerActivities,
    maxTaskQueueActivitiesPerSecond: config.PROVIDER_READS_PER_SECOND,
    maxConcurrentActivityTaskExecutions: config.PROVIDER_CONCURRENCY,
  });
  const all = [workflows, creates, reads];
  const done = Promise.all(all.map((w) => w.run())).then(() => undefined);
  return {
    done,
    async shutdown() {
      for (const w of all) w.shutdown();
      await done;
    },
    health() {
      const parts = { chains: workflows.getState(), creates: creates.getState(), reads: reads.getState() };
      return { ok: Object.values(parts).every((s) => s === 'RUNNING'), parts };
    },
  };
}

/** Segment files may come from the providers' own hosts and the ones MEDIA_HOSTS names. */
function mediaHosts(config: Config): Set<string> {
  return new Set([
    new URL(config.RUNWAY_BASE_URL).host,
    ...(config.RUNWAYML_API_SECRET ? [new URL(config.RUNWAYML_BASE_URL).host] : []),
    ...config.MEDIA_HOSTS,
  ]);
}

/**
 * OUTPUT_DIR over HTTP on OUTPUT_HOST:OUTPUT_PORT (`port` overrides it); a port in use fails with what to
 * change. Links use OUTPUT_PUBLIC_URL when set, else this server's own URL: `linkBase`.
 */
export async function startFileServerFor(
  config: Config,
  port = config.OUTPUT_PORT,
): Promise<RunningFileServer & { linkBase: string }> {
  await mkdir(config.OUTPUT_DIR, { recursive: true });
  const files = await startFileServer({ root: config.OUTPUT_DIR, host: config.OUTPUT_HOST, port }).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE') throw err;
      throw new Error(
        `OUTPUT_PORT ${port} on ${config.OUTPUT_HOST} is in use: set OUTPUT_PORT (0 for any free port), or run ` +
          'with --no-files when another process serves OUTPUT_DIR',
      );
    },
  );
  return { ...files, linkBase: config.OUTPUT_PUBLIC_URL ?? files.url };
}

/** `GET /healthz` on WORKER_HEALTH_HOST:WORKER_HEALTH_PORT, or undefined when no port is set. */
async function startHealthFor(config: Config, check: () => HealthReport) {
  const port = config.WORKER_HEALTH_PORT;
  if (port === undefined) return undefined;
  return startHealthServer({ host: config.WORKER_HEALTH_HOST, port, check }).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE') throw err;
      throw new Error(
        `WORKER_HEALTH_PORT ${port} on ${config.WORKER_HEALTH_HOST} is in use: set another one`,
      );
    },
  );
}

/** The receiver for this configuration, or undefined when chains poll only. */
export async function startReceiverFor(
  config: Config,
  log = (l: string) => console.log(`[receiver] ${l}`),
): Promise<RunningReceiver | undefined> {
  if (!config.CALLBACK_PUBLIC_URL || !config.CALLBACK_SECRET) return undefined;
  const connection = await Connection.connect(await temporalConnectionOptions(config));
  const receiver = await startCallbackReceiver({
    host: config.CALLBACK_HOST,
    port: config.CALLBACK_PORT,
    secret: config.CALLBACK_SECRET,
    webhookHmacKey: config.RUNWAY_WEBHOOK_HMAC_KEY,
    workflows: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }).workflow,
    log,
  }).catch(async (err: unknown) => {
    await connection.close();
    throw err;
  });
  return {
    ...receiver,
    async close() {
      await receiver.close();
      // An open connection would keep the process alive after a graceful stop.
      await connection.close();
    },
  };
}

/**
 * The worker process's main: the workers (stopped gracefully on SIGINT/SIGTERM, within the grace time)
 * and, unless `receiver: false`, the callback receiver when callbacks are configured. Prints
 * `worker ready (...)` once polling (tools/lab/worker-process.ts waits for it); resolves once stopped.
 */
export async function runWorker(
  config: Config,
  options: { receiver?: boolean; files?: boolean } = {},
): Promise<void> {
  Runtime.install({ logger: workerLogger(config.LOG_LEVEL), shutdownSignals: ['SIGINT', 'SIGTERM'] });
  // Listening first: a port in use fails before any worker polls. Until the workers run it answers 503.
  const running: { workers?: RunningWorkers } = {};
  const health = await startHealthFor(config, () => running.workers?.health() ?? { ok: false, parts: {} });
  const files = options.files === false ? undefined : await startFileServerFor(config);
  const workers = await startWorkers(config, { outputUrl: files?.linkBase }).catch(async (err: unknown) => {
    await files?.close();
    await health?.close();
    throw err;
  });
  running.workers = workers;
  const receiver = options.receiver === false ? undefined : await startReceiverFor(config);
  // Before the ready line: whoever waits for `worker ready` finds the health address already said.
  if (health) console.log(`health on ${health.url}/healthz`);
  console.log(`worker ready (Temporal ${describeTemporalConnection(config)}, ${describeProviders(config)})`);
  if (files) console.log(`output folder served on ${files.url} (links: ${redactUrl(files.linkBase)})`);
  if (receiver) console.log(`callback receiver on ${receiver.url}`);
  await workers.done;
  await health?.close();
  await receiver?.close();
  await files?.close();
}

/** The providers this worker runs chains on, and where. */
function describeProviders(config: Config): string {
  const keys = providerKeys(config);
  const parts = [
    ...(keys['kie-runway'] ? [`provider ${redactUrl(config.RUNWAY_BASE_URL)}`] : []),
    ...(keys.runwayml ? [`runwayml ${redactUrl(config.RUNWAYML_BASE_URL)}`] : []),
  ];
  return parts.join(', ');
}

if (require.main === module) {
  runWorker(loadConfig()).catch((err) => {
    console.error(`worker: ${(err as Error).message}`);
    process.exit(1);
  });
}
