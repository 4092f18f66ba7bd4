/**
 * `GET /healthz` of a worker process (WORKER_HEALTH_PORT, compose's worker healthcheck): 200 with its three
 * Temporal workers' states while it runs, nothing once it has stopped, and a port in use refused at start.
 */
import http from 'node:http';
import { freePort } from '../src/temporal/dev-server';
import { type Stack, startStack } from './support/stack';
import { spawnWorker } from '../tools/lab/worker-process';
import { quietRuntime } from './support/temporal';

jest.setTimeout(90_000);

let stack: Stack;
beforeAll(async () => {
  quietRuntime();
  stack = await startStack();
});
afterAll(() => stack?.stop());

test('a running worker answers 200 with its workers RUNNING, and stops answering once stopped', async () => {
  const port = await freePort();
  const worker = await stack.startWorker({ ...stack.workerEnv(), WORKER_HEALTH_PORT: String(port) });
  try {
    expect(worker.output()).toContain(`health on http://127.0.0.1:${port}/healthz`);
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ok: true,
      parts: { chains: 'RUNNING', creates: 'RUNNING', reads: 'RUNNING' },
    });
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
  } finally {
    await worker.kill('SIGTERM');
  }
  await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
});

test('a health port in use stops the worker at start, saying which setting to change', async () => {
  const taken = http.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;
  try {
    await expect(
      spawnWorker({ ...stack.workerEnv(), WORKER_HEALTH_PORT: String(port) }, { readyTimeoutMs: 30_000 }),
    ).rejects.toThrow(`WORKER_HEALTH_PORT ${port} on 127.0.0.1 is in use`);
  } finally {
    taken.close();
  }
});
