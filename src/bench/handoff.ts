/**
 * `npm run bench:handoff`: how long the chain takes from the provider marking a segment `success` to the
 * next extension arriving at the provider, in callback mode and in poll-only mode. Both times are the
 * simulator's own wall-clock stamps (task finish, ledger entry), so the figure is pure orchestration.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { type Config, loadConfig } from '../config';
import { startCallbackReceiver } from '../receiver/server';
import { RunwayClient } from '../runway/client';
import { SimulatorAdmin } from '../simulator/admin-client';
import { startSimulator } from '../simulator/server';
import { freePort, startDevServer } from '../temporal/dev-server';
import { workerLogger } from '../temporal/logging';
import { startWorkers } from '../worker';
import { WORKFLOW_TASK_QUEUE } from '../workflows/definitions';

interface ModeResult {
  mode: string;
  handoffs: number;
  p50: number;
  p95: number;
  max: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function measure(mode: 'callback' | 'poll', segments: number, timeScale: number): Promise<ModeResult> {
  const server = await startDevServer({ ui: false });
  // Real generation times vary; without jitter polls would line up with completions by construction.
  const sim = await startSimulator({ timeScale, log: false, rateLimit: 0, media: 'shared', jitter: 0.25 });
  const admin = new SimulatorAdmin(sim.url, sim.options.adminToken);
  const callbackPort = await freePort();
  const config: Config = loadConfig({
    TEMPORAL_ADDRESS: server.address,
    RUNWAY_BASE_URL: sim.url,
    RUNWAY_API_KEY: sim.options.apiKeys[0],
    PROVIDER_RATE_LIMIT_PER_SECOND: '100',
    ...(mode === 'callback'
      ? {
          CALLBACK_PUBLIC_URL: `http://127.0.0.1:${callbackPort}`,
          CALLBACK_PORT: String(callbackPort),
          CALLBACK_SECRET: randomBytes(24).toString('hex'),
        }
      : {}),
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const receiver =
    mode === 'callback'
      ? await startCallbackReceiver({
          host: '127.0.0.1',
          port: callbackPort,
          secret: config.CALLBACK_SECRET!,
          provider: new RunwayClient({ baseUrl: sim.url, apiKey: sim.options.apiKeys[0]! }),
          workflows: client.workflow,
        })
      : undefined;
  const workers = await startWorkers(config);
  try {
    const prompts = Array.from({ length: segments }, (_, i) => `segment ${i + 1}`);
    // Poll-only mode polls at the official SDK helper's 6 s, on the simulator's clock.
    const pollIntervalMs = mode === 'poll' ? Math.max(10, Math.round(6_000 * timeScale)) : 60_000;
    await client.workflow.execute('longVideo', {
      taskQueue: WORKFLOW_TASK_QUEUE,
      workflowId: `handoff-${mode}`,
      args: [{ prompts, aspectRatio: '16:9', options: { pollIntervalMs } }],
    });
    const [ledger, tasks] = await Promise.all([admin.ledger(), admin.tasks()]);
    const finished = new Map(tasks.map((t) => [t.taskId, t.finishedAt]));
    const gaps = ledger
      .filter((e) => e.endpoint === 'extend')
      .map((e) => Date.parse(e.createdAt) - Date.parse(finished.get(e.parentTaskId)!))
      .sort((a, b) => a - b);
    return {
      mode,
      handoffs: gaps.length,
      p50: percentile(gaps, 50),
      p95: percentile(gaps, 95),
      max: gaps[gaps.length - 1]!,
    };
  } finally {
    await workers.shutdown();
    await receiver?.close();
    await connection.close();
    await sim.close();
    await server.stop();
  }
}

async function main() {
  const { values } = parseArgs({
    options: { segments: { type: 'string' }, 'time-scale': { type: 'string' }, json: { type: 'boolean' } },
  });
  const segments = Number(values.segments ?? 21);
  const timeScale = Number(values['time-scale'] ?? 0.05);
  Runtime.install({ logger: workerLogger('WARN'), shutdownSignals: [] });
  const results = [
    await measure('callback', segments, timeScale),
    await measure('poll', segments, timeScale),
  ];
  if (values.json) {
    console.log(JSON.stringify({ segments, timeScale, results }, null, 2));
    return;
  }
  console.log(`provider success → next extend request (ms), ${segments} segments, time scale ${timeScale}`);
  console.log('mode      handoffs    p50    p95    max');
  for (const r of results) {
    console.log(
      `${r.mode.padEnd(9)} ${String(r.handoffs).padStart(8)} ${[r.p50, r.p95, r.max].map((v) => String(v).padStart(6)).join(' ')}`,
    );
  }
  console.log(`poll interval in poll mode: ${Math.round(6_000 * timeScale)} ms (6 s of provider time)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
