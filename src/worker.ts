/**
 * The worker process: one Temporal worker for the chain workflows, one for the provider's calls on the
 * provider task queue. `maxTaskQueueActivitiesPerSecond` is enforced by the server across every worker
 * polling that queue, so the provider's rate limit holds however many processes run.
 */
import path from 'node:path';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { temporalConnectionOptions } from './config/connection';
import { workerLogger } from './temporal/logging';
import { createProviderActivities } from './activities';
import { createDeliverableActivities } from './activities/deliverable';
import { LocalFolderStorage } from './media/storage';
import { type Config, loadConfig, providerApiKey } from './config/config';
import { RunwayClient } from './provider/client';
import { PROVIDER_READ_TASK_QUEUE, PROVIDER_TASK_QUEUE, WORKFLOW_TASK_QUEUE } from './chain/queues';

/** Heartbeats of the provider queue leave within this; a failing create waits for its last one. */
const HEARTBEAT_THROTTLE_MS = 5;
const HEARTBEAT_FLUSH_MS = 50;

export interface RunningWorkers {
  /** Resolves when both workers have stopped. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startWorkers(
  config: Config,
  options: { workflowBundlePath?: string; connection?: NativeConnection } = {},
): Promise<RunningWorkers> {
  const connection =
    options.connection ?? (await NativeConnection.connect(await temporalConnectionOptions(config)));
  const client = new RunwayClient({
    baseUrl: config.RUNWAY_BASE_URL,
    apiKey: providerApiKey(config),
    timeoutMs: config.RUNWAY_TIMEOUT_MS,
  });
  const callbacks =
    config.CALLBACK_PUBLIC_URL && config.CALLBACK_SECRET
      ? { publicUrl: config.CALLBACK_PUBLIC_URL, secret: config.CALLBACK_SECRET }
      : undefined;
  const common = {
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    shutdownGraceTime: config.WORKER_SHUTDOWN_GRACE_MS,
  } satisfies Partial<WorkerOptions>;

  // Local work (archive, stitch, report) runs beside the workflows.
  const workflows = await Worker.create({
    ...common,
    taskQueue: WORKFLOW_TASK_QUEUE,
    activities: createDeliverableActivities({
      storage: new LocalFolderStorage(config.OUTPUT_DIR),
      mediaHosts: mediaHosts(config),
      maxBytes: config.MEDIA_MAX_BYTES,
      downloadTimeoutMs: config.MEDIA_DOWNLOAD_TIMEOUT_MS,
    }),
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath: require.resolve('./workflows') }),
  });
  const providerActivities = createProviderActivities({
    client,
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
  };
}

/** Segment files may come from the provider's own host and the ones MEDIA_HOSTS names. */
export function mediaHosts(config: Config): Set<string> {
  return new Set([new URL(config.RUNWAY_BASE_URL).host, ...config.MEDIA_HOSTS]);
}

/** The prebuilt workflow bundle (`npm run build:bundle`), when present. */
export function defaultBundlePath(): string {
  return path.join(__dirname, '..', 'lib', 'workflow-bundle.js');
}

if (require.main === module) {
  // Ctrl-C / SIGTERM: the SDK's Runtime shuts workers down gracefully (within the grace time).
  Runtime.install({ logger: workerLogger(), shutdownSignals: ['SIGINT', 'SIGTERM'] });
  startWorkers(loadConfig())
    .then(({ done }) => {
      console.log(
        `worker: queues ${WORKFLOW_TASK_QUEUE}, ${PROVIDER_TASK_QUEUE}, ${PROVIDER_READ_TASK_QUEUE}`,
      );
      return done;
    })
    .catch((err) => {
      console.error(`worker: ${(err as Error).message}`);
      process.exit(1);
    });
}
