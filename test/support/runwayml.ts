/** Helpers for tests of the simulator's official-API mode (`provider: 'runwayml'`). */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SimulatorAdmin } from '../../src/simulator/admin-client';
import type { SimulatorOptions } from '../../src/simulator/options';
import { type RunningSimulator, startSimulator } from '../../src/simulator/server';
import { eventually } from './simulator';

const run = promisify(execFile);

export interface Sim {
  sim: RunningSimulator;
  admin: SimulatorAdmin;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
}
export interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { error?: string; id?: string; status?: string };
}

/** A simulator in runwayml mode (fast provider time) and `call`, which sends the key and the version. */
export async function startRunwayml(options: SimulatorOptions = {}): Promise<Sim> {
  const sim = await startSimulator({ provider: 'runwayml', timeScale: 0.005, log: false, ...options });
  const admin = new SimulatorAdmin(sim.url, sim.options.adminToken);
  const call = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${sim.url}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${sim.options.apiKeys[0]}`,
        'x-runway-version': '2024-11-06',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
  };
  return { sim, admin, call };
}

/** A small solid red PNG as a data URI: an image none of the simulator's clips ends with. */
export async function solidRed(): Promise<string> {
  const { stdout } = await run(
    'ffmpeg',
    [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=c=red:s=64x36',
      '-frames:v',
      '1',
      '-f',
      'image2pipe',
      '-c:v',
      'png',
      '-',
    ],
    { encoding: 'buffer' },
  );
  return `data:image/png;base64,${(stdout as unknown as Buffer).toString('base64')}`;
}

/** An image_to_video body: a 5 s gen4_turbo clip at 1280:720. */
export const clip = (promptImage: string, extra: object = {}) => ({
  model: 'gen4_turbo',
  promptImage,
  promptText: 'a lighthouse at dusk',
  ratio: '1280:720',
  duration: 5,
  ...extra,
});

/** The task once SUCCEEDED, FAILED or CANCELLED. */
export async function finished(t: Sim, id: string, timeoutMs = 30_000): Promise<Reply['body']> {
  return eventually(async () => {
    const { body } = await t.call('GET', `/v1/tasks/${id}`);
    return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(String(body.status)) ? body : undefined;
  }, timeoutMs);
}

/** Create a task (image_to_video unless told) and return its id. */
export async function created(t: Sim, body: unknown, endpoint = 'image_to_video'): Promise<string> {
  const reply = await t.call('POST', `/v1/${endpoint}`, body);
  expect(reply).toMatchObject({ status: 200, body: { id: expect.any(String) } });
  return reply.body.id!;
}

/** `long-video start` arguments for a chain on the official API: its id, prompts and aspect ratio. */
export const startRunwaymlArgs = (id: string, prompts: string[], aspectRatio = '16:9'): string[] => [
  'start',
  '--provider',
  'runwayml',
  '--aspect-ratio',
  aspectRatio,
  '--id',
  id,
  ...prompts.flatMap((p) => ['--prompt', p]),
];
