/**
 * The simulator spoken to with raw `fetch`, never the client's parser: for tests of the exact JSON it
 * sends (answer shapes, lenient requests) whatever the client makes of it.
 */
import http from 'node:http';
import { closeServer, listen, readBody } from '../../src/http/json-server';
import type { SimulatorOptions } from '../../src/simulator/options';
import { type TestSimulator, eventually, startTestSimulator } from './simulator';

export type Json = Record<string, unknown>;
export interface Envelope {
  code: number;
  msg: string | null;
  data: Json | null;
}

export const TEXT = { prompt: 'a kite over the dunes', duration: 5, quality: '720p', aspectRatio: '16:9' };
export const TIME = expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

export async function api(t: TestSimulator, path: string, body?: unknown): Promise<Envelope> {
  const res = await fetch(`${t.sim.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${t.sim.options.apiKeys[0]}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as Envelope;
}

export async function create(t: TestSimulator, body: Json, endpoint = 'generate'): Promise<string> {
  const answer = await api(t, `/api/v1/runway/${endpoint}`, body);
  expect(answer).toMatchObject({ code: 200 });
  return answer.data!.taskId as string;
}

export const detail = (t: TestSimulator, taskId: string) =>
  api(t, `/api/v1/runway/record-detail?taskId=${taskId}`);

export async function finished(t: TestSimulator, taskId: string): Promise<Envelope> {
  return eventually(async () => {
    const answer = await detail(t, taskId);
    return ['success', 'fail'].includes(answer.data?.state as string) ? answer : undefined;
  }, 20_000);
}

/** A receiver that records every callback body by the last segment of its path. */
export async function startReceiver() {
  const bodies = new Map<string, Json>();
  const server = http.createServer(async (req, res) => {
    bodies.set(req.url!.split('/').pop()!, JSON.parse(await readBody(req, 64 * 1024)));
    res.writeHead(200).end();
  });
  const url = await listen(server, '127.0.0.1', 0);
  const callback = (name: string) => eventually(() => bodies.get(name));
  return { url, bodies, callback, close: () => closeServer(server) };
}

export async function withSimulator(options: SimulatorOptions, fn: (t: TestSimulator) => Promise<void>) {
  const t = await startTestSimulator({ media: 'shared', rateLimit: 0, ...options });
  try {
    await fn(t);
  } finally {
    await t.sim.close();
  }
}
