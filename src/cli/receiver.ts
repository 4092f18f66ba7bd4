/** `long-video receiver`: the callback receiver on its own, for workers started with `--no-receiver`. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config';
import { startReceiverFor } from './worker';

export const RECEIVER_USAGE = `long-video receiver

Serves the provider's callbacks on CALLBACK_HOST:CALLBACK_PORT without running a worker: checks each
callback URL's token (and the provider's signature when RUNWAY_WEBHOOK_HMAC_KEY is set) and signals the
chain on TEMPORAL_ADDRESS, which confirms the task with its own read: no provider key, no provider call.
Needs CALLBACK_PUBLIC_URL and CALLBACK_SECRET; run the workers with --no-receiver beside it. Prints
\`listening on URL\` when ready and stops gracefully on SIGINT/SIGTERM.`;

const REQUIRED = ['CALLBACK_PUBLIC_URL', 'CALLBACK_SECRET'] as const;

export async function receiverCommand(argv: string[]): Promise<number> {
  parseArgs({ args: argv, options: {}, strict: true });
  const config = loadConfig();
  const missing = REQUIRED.filter((key) => !config[key]);
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(', ')} not set: the receiver needs the public callback URL and the secret of its tokens`,
    );
  }
  // Registered before the server starts, so that a stop asked for during startup is not lost.
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const receiver = await startReceiverFor(config);
  if (!receiver) throw new Error('the callback receiver did not start');
  console.log(`listening on ${receiver.url}`);
  const signal = await stopSignal;
  console.log(`receiver: ${signal}, finishing the callbacks in hand`);
  await receiver.close();
  return 0;
}
