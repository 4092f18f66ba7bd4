/** `long-video simulator`: run the provider simulator until Ctrl-C. */
import { parseArgs } from 'node:util';
import { startSimulator } from '../simulator/server';
import type { SimulatorOptions } from '../simulator/options';
import { UsageError } from './usage';

export const SIMULATOR_USAGE = `long-video simulator [options]

Runs a local simulator of the provider's API (shared/runway-api.md) with real MP4 output.

  --host HOST               listen address (default 127.0.0.1)
  --port PORT               listen port (default 0: a free one)
  --public-url URL          base URL put in file links (default: the listening address)
  --api-key KEY             accepted API key; repeatable (default sim-api-key)
  --admin-token TOKEN       bearer token of /admin/ (default sim-admin-token)
  --time-scale S            wall seconds per provider second (default 1; 0.01 = 60 s in 0.6 s)
  --credits N               starting credits of every key (default 100000)
  --rate-limit N            accepted creates per 10 s per key, 0 = none (default 20)
  --webhook-hmac-key KEY    sign callbacks (X-Webhook-Signature)
  --seed N                  seed of the fault decisions (default 1)
  --error-style S           envelope (HTTP 200 + code, default) | http | mixed
  --shapes S                how record-detail and callbacks look, per task: full (every reference
                            field, default) | docs (only the docs page's example keys) | nulls
                            (optional fields null) | strings (failCode, expandPrompt as strings)
                            | mixed (one of those per task, seeded)
  --wait-ms, --queue-ms, --generate-ms N
                            provider-time length of each task state (defaults 2000, 8000, 50000)
  --jitter F                spread generating times by ±F of their length (default 0)
  --file-ttl-ms N           files expire this long after generation (default 14 days)
  --media full|shared       one clip per task, or one shared clip per size (load tests)
  --extension-media new-part|whole
                            what an extension's video holds (default new-part)
  --data-dir DIR            where rendered files go (default: a temp folder, removed on exit)
  --faults JSON             initial fault injection, e.g. '{"createFailAfter":0.1}',
                            '{"moderatedWords":["blood"]}' (a prompt holding one fails with 400)
  --quiet                   no request log`;

export async function simulatorCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'public-url': { type: 'string' },
      'api-key': { type: 'string', multiple: true },
      'admin-token': { type: 'string' },
      'time-scale': { type: 'string' },
      credits: { type: 'string' },
      'rate-limit': { type: 'string' },
      'webhook-hmac-key': { type: 'string' },
      seed: { type: 'string' },
      'error-style': { type: 'string' },
      shapes: { type: 'string' },
      'wait-ms': { type: 'string' },
      'queue-ms': { type: 'string' },
      'generate-ms': { type: 'string' },
      'file-ttl-ms': { type: 'string' },
      jitter: { type: 'string' },
      media: { type: 'string' },
      'extension-media': { type: 'string' },
      'data-dir': { type: 'string' },
      faults: { type: 'string' },
      quiet: { type: 'boolean' },
    },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  let faults: unknown;
  if (values.faults) {
    try {
      faults = JSON.parse(values.faults);
    } catch {
      throw new UsageError('--faults must be JSON, e.g. \'{"createFailAfter":0.1}\'');
    }
  }
  const options = {
    host: values.host,
    port: num(values.port),
    publicUrl: values['public-url'],
    apiKeys: values['api-key'],
    adminToken: values['admin-token'],
    timeScale: num(values['time-scale']),
    credits: num(values.credits),
    rateLimit: num(values['rate-limit']),
    webhookHmacKey: values['webhook-hmac-key'],
    seed: num(values.seed),
    errorStyle: values['error-style'],
    shapes: values.shapes,
    waitMs: num(values['wait-ms']),
    queueMs: num(values['queue-ms']),
    generateMs: num(values['generate-ms']),
    fileTtlMs: num(values['file-ttl-ms']),
    jitter: num(values.jitter),
    media: values.media,
    extensionMedia: values['extension-media'],
    dataDir: values['data-dir'],
    faults,
    log: !values.quiet,
  };
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  let sim;
  try {
    sim = await startSimulator(defined as SimulatorOptions);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  console.log(`listening on ${sim.url}`);
  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
