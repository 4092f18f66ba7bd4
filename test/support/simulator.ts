import { RunwayClient } from '../../src/provider/client';
import { type TaskDetail, type TaskState } from '../../src/provider/answers';
import { SimulatorAdmin } from '../../src/simulator/admin-client';
import type { SimulatorOptions } from '../../src/simulator/options';
import { type RunningSimulator, startSimulator } from '../../src/simulator/server';

/** Fast provider time: a task takes ~0.3 s of wall time (plus rendering). */
export const FAST: SimulatorOptions = { timeScale: 0.005, log: false };

export interface TestSimulator {
  sim: RunningSimulator;
  client: RunwayClient;
  admin: SimulatorAdmin;
}

export async function startTestSimulator(options: SimulatorOptions = {}): Promise<TestSimulator> {
  const sim = await startSimulator({ ...FAST, ...options });
  return {
    sim,
    client: new RunwayClient({ baseUrl: sim.url, apiKey: sim.options.apiKeys[0]!, timeoutMs: 5_000 }),
    admin: new SimulatorAdmin(sim.url, sim.options.adminToken),
  };
}

export async function waitForState(
  client: RunwayClient,
  taskId: string,
  states: TaskState[] = ['success', 'fail'],
  timeoutMs = 20_000,
): Promise<TaskDetail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const detail = await client.recordDetail(taskId);
    if (states.includes(detail.state)) return detail;
    if (Date.now() > deadline) throw new Error(`task ${taskId} still ${detail.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Poll `check` until it returns a value, or fail after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A text-to-video task made on `client` and awaited until the simulator finishes it. */
export async function finishedTask(client: RunwayClient, prompt: string): Promise<string> {
  const taskId = await client.generate({ prompt, duration: 5, quality: '720p', aspectRatio: '1:1' });
  await waitForState(client, taskId);
  return taskId;
}
