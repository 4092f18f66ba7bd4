/** `long-video worker`: the Temporal workers and, when callbacks are configured, the callback receiver. */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { describeTemporalConnection, temporalConnectionOptions } from '../config/connection';
import { workerLogger } from '../temporal/logging';
import { type Config, loadConfig } from '../config/config';
import { startCallbackReceiver, type RunningReceiver } from '../receiver/server';
import { redactUrl } from '../chain/redact';
import { defaultBundlePath, startWorkers } from '../worker';
import { existsSync } from 'node:fs';

export const WORKER_USAGE = `long-video worker [--no-receiver]

Runs the chain workflows and the provider activities against TEMPORAL_ADDRESS. With CALLBACK_PUBLIC_URL
set it also serves the callback receiver on CALLBACK_HOST:CALLBACK_PORT (unless --no-receiver).
Stops gracefully on SIGINT/SIGTERM.`;

export async function workerCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { 'no-receiver': { type: 'boolean' } } });
  const config = loadConfig();
  Runtime.install({ logger: workerLogger(), shutdownSignals: ['SIGINT', 'SIGTERM'] });
  const bundle = defaultBundlePath();
  const workers = await startWorkers(config, existsSync(bundle) ? { workflowBundlePath: bundle } : {});
  const receiver = values['no-receiver'] ? undefined : await startReceiverFor(config);
  console.log(
    `worker ready (Temporal ${describeTemporalConnection(config)}, provider ${redactUrl(config.RUNWAY_BASE_URL)})`,
  );
  if (receiver) console.log(`callback receiver on ${receiver.url}`);
  await workers.done;
  await receiver?.close();
  return 0;
}

/** The receiver for this configuration, or undefined when chains poll only. */
export async function startReceiverFor(
  config: Config,
  log = (l: string) => console.log(`[receiver] ${l}`),
): Promise<RunningReceiver | undefined> {
  if (!config.CALLBACK_PUBLIC_URL || !config.CALLBACK_SECRET) return undefined;
  const connection = await Connection.connect(await temporalConnectionOptions(config));
  const receiver = await startCallbackReceiver({
    host: config.CALLBACK_HOST,
    port: config.CALLBACK_PORT,
    secret: config.CALLBACK_SECRET,
    webhookHmacKey: config.RUNWAY_WEBHOOK_HMAC_KEY,
    workflows: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }).workflow,
    log,
  }).catch(async (err: unknown) => {
    await connection.close();
    throw err;
  });
  return {
    ...receiver,
    async close() {
      await receiver.close();
      // An open connection would keep the process alive after a graceful stop.
      await connection.close();
    },
  };
}
