/** `long-video receiver`: the callback receiver on its own, for workers started with `--no-receiver`. */
import { loadConfig } from '../config/config';
import { startReceiverFor } from '../worker';

const REQUIRED = ['CALLBACK_PUBLIC_URL', 'CALLBACK_SECRET'] as const;

/** The receiver until SIGINT/SIGTERM (its command definition is in main.ts). */
export async function receiverCommand(): Promise<number> {
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
