/**
 * `long-video quickstart`: the provider's quick start, step by step, with the client: generate, poll until
 * success, download the MP4, extend it, poll again. Against an embedded simulator unless a base URL and
 * key are given (then it spends real credits).
 */
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RunwayClient } from '../provider/client';
import type { TaskDetail } from '../provider/answers';
import { startSimulator } from '../simulator/server';
import { redactUrl } from '../chain/redact';
import { RUN_EXIT_CODES_HELP } from './exit-codes';
import { UsageError, act, newCommand, numberOption } from './usage';

interface QuickstartOptions {
  baseUrl?: string;
  prompt?: string;
  out?: string;
  pollMs?: number;
  timeScale?: number;
}

export const quickstartCommand = () =>
  newCommand('quickstart')
    .summary("the provider's quick start, step by step")
    .description(
      'Runs the API quick start (generate → poll → download → extend → poll) and prints each step.\n' +
        'Without --base-url (or RUNWAY_BASE_URL) it starts a local simulator and uses it.',
    )
    .option('--base-url <url>', 'provider base URL (default: an embedded simulator)')
    .option('--prompt <text>', 'first prompt')
    .option('--out <dir>', 'where the MP4s are saved (default .data/quickstart)')
    .addOption(
      numberOption('--poll-ms <ms>', 'poll interval (default 250 with the simulator, 6000 otherwise)'),
    )
    .addOption(numberOption('--time-scale <s>', "the embedded simulator's time scale (default 0.02)"))
    .addHelpText('after', `\n${RUN_EXIT_CODES_HELP}`)
    .action(act(quickstart));

async function quickstart(values: QuickstartOptions): Promise<void> {
  const baseUrl = values.baseUrl ?? process.env.RUNWAY_BASE_URL;
  if (baseUrl && !process.env.RUNWAY_API_KEY)
    throw new UsageError('RUNWAY_API_KEY must be set to use a real base URL');
  const sim = baseUrl ? undefined : await startSimulator({ timeScale: values.timeScale ?? 0.02, log: false });
  const client = new RunwayClient({
    baseUrl: baseUrl ?? sim!.url,
    apiKey: baseUrl ? process.env.RUNWAY_API_KEY! : sim!.options.apiKeys[0]!,
  });
  const pollMs = values.pollMs ?? (sim ? 250 : 6000);
  const out = path.resolve(values.out ?? '.data/quickstart');
  try {
    console.log(
      sim
        ? `simulator: ${sim.url} (time scale ${sim.options.timeScale})`
        : `provider: ${redactUrl(baseUrl ?? '')}`,
    );
    console.log(`credits: ${await client.credits()}`);

    const prompt = values.prompt ?? 'A paper boat drifts down a rain-soaked street at dusk';
    const first = await client.generate({ prompt, duration: 5, quality: '720p', aspectRatio: '16:9' });
    console.log(`generate → taskId ${first}`);
    const firstDone = await pollUntilFinished(client, first, pollMs);
    const file = await download(client, firstDone, out);
    console.log(`downloaded ${file}`);

    const next = await client.extend({
      taskId: first,
      prompt: 'The boat reaches a wide river and sails on',
      quality: '720p',
    });
    console.log(`extend ${first} → taskId ${next}`);
    const nextDone = await pollUntilFinished(client, next, pollMs);
    console.log(`record-detail ${next}: parentTaskId ${nextDone.parentTaskId}`);
    console.log(`downloaded ${await download(client, nextDone, out)}`);
    console.log(`credits: ${await client.credits()}`);
  } finally {
    await sim?.close();
  }
}

async function pollUntilFinished(client: RunwayClient, taskId: string, pollMs: number): Promise<TaskDetail> {
  let last = '';
  for (;;) {
    const detail = await client.recordDetail(taskId);
    if (detail.state !== last) console.log(`  ${taskId}: ${detail.state}`);
    last = detail.state;
    if (detail.state === 'success') return detail;
    if (detail.state === 'fail')
      throw new Error(`task ${taskId} failed: ${detail.failCode} ${detail.failMsg}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function download(client: RunwayClient, detail: TaskDetail, dir: string): Promise<string> {
  const link = await client.downloadUrl(detail.videoInfo!.videoUrl!); // a success always carries it
  const res = await fetch(link);
  if (!res.ok || !res.body) throw new Error(`download of ${detail.taskId} failed: HTTP ${res.status}`);
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${detail.taskId}.mp4`);
  await pipeline(
    Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
    createWriteStream(file),
  );
  return file;
}
