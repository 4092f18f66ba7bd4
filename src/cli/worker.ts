/** `long-video worker`: its flags; the process itself is `runWorker` (src/worker.ts). */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config';
import { runWorker } from '../worker';

export const WORKER_USAGE = `long-video worker [--no-receiver]

Runs the chain workflows and the provider activities against TEMPORAL_ADDRESS. With CALLBACK_PUBLIC_URL
set it also serves the callback receiver on CALLBACK_HOST:CALLBACK_PORT (unless --no-receiver).
Stops gracefully on SIGINT/SIGTERM.`;

export async function workerCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { 'no-receiver': { type: 'boolean' } } });
  await runWorker(loadConfig(), { receiver: !values['no-receiver'] });
  return 0;
}
