/** `long-video simulator`: run the provider simulator until Ctrl-C. */
import { startSimulator } from '../simulator/server';
import type { SimulatorOptions } from '../simulator/options';
import { RUN_EXIT_CODES_HELP } from './exit-codes';
import { UsageError, act, newCommand, numberOption, repeatableOption } from './usage';

interface SimulatorFlags {
  provider?: string;
  host?: string;
  port?: number;
  publicUrl?: string;
  apiKey?: string[];
  adminToken?: string;
  timeScale?: number;
  credits?: number;
  rateLimit?: number;
  webhookHmacKey?: string;
  seed?: number;
  errorStyle?: string;
  shapes?: string;
  waitMs?: number;
  queueMs?: number;
  generateMs?: number;
  jitter?: number;
  fileTtlMs?: number;
  media?: string;
  extensionMedia?: string;
  dataDir?: string;
  faults?: string;
  quiet?: boolean;
}

export const simulatorCommand = () =>
  newCommand('simulator')
    .summary("a local simulator of the provider's API, until Ctrl-C")
    .description(
      "Runs a local simulator of the provider's API with real MP4 output: the reseller API " +
        "(shared/runway-api.md; default) or, with --provider runwayml, Runway's own developer API " +
        '(/v1/image_to_video, /v1/text_to_image, /v1/tasks/{id}; no callbacks; the ledger records which ' +
        "clip's last frame each image_to_video started from).",
    )
    .option(
      '--provider <api>',
      "kie-runway (the reseller's Runway endpoints, default) | runwayml (Runway's developer API, " +
        'X-Runway-Version 2024-11-06)',
    )
    .option('--host <host>', 'listen address (default 127.0.0.1)')
    .addOption(numberOption('--port <port>', 'listen port (default 0: a free one)'))
    .option('--public-url <url>', 'base URL put in file links (default: the listening address)')
    .addOption(repeatableOption('--api-key <key>', 'accepted API key; repeatable (default sim-api-key)'))
    .option('--admin-token <token>', 'bearer token of /admin/ (default sim-admin-token)')
    .addOption(
      numberOption('--time-scale <s>', 'wall seconds per provider second (default 1; 0.01 = 60 s in 0.6 s)'),
    )
    .addOption(numberOption('--credits <n>', 'starting credits of every key (default 100000)'))
    .addOption(numberOption('--rate-limit <n>', 'accepted creates per 10 s per key, 0 = none (default 20)'))
    .option('--webhook-hmac-key <key>', 'sign callbacks (X-Webhook-Signature; kie-runway only)')
    .addOption(numberOption('--seed <n>', 'seed of the fault decisions (default 1)'))
    .option('--error-style <style>', 'envelope (HTTP 200 + code, default) | http | mixed (kie-runway only)')
    .option(
      '--shapes <shapes>',
      'how record-detail and callbacks look, per task: full (every reference field, default) | docs (only ' +
        "the docs page's example keys) | nulls (optional fields null) | strings (failCode, expandPrompt as " +
        'strings) | mixed (one of those per task, seeded); kie-runway only',
    )
    .addOption(numberOption('--wait-ms <ms>', 'provider-time length of the waiting state (default 2000)'))
    .addOption(
      numberOption(
        '--queue-ms <ms>',
        'provider-time length of the queueing state (default 8000; runwayml: PENDING is waiting + queueing)',
      ),
    )
    .addOption(
      numberOption('--generate-ms <ms>', 'provider-time length of the generating state (default 50000)'),
    )
    .addOption(numberOption('--jitter <f>', 'spread generating times by ±F of their length (default 0)'))
    .addOption(
      numberOption(
        '--file-ttl-ms <ms>',
        'files expire this long after generation (default 14 days; runwayml: 24 hours)',
      ),
    )
    .option('--media <media>', 'full | shared: one clip per task, or one shared clip per size (load tests)')
    .option(
      '--extension-media <media>',
      "new-part | whole: what an extension's video holds (default new-part; kie-runway only)",
    )
    .option('--data-dir <dir>', 'where rendered files go (default: a temp folder, removed on exit)')
    .option(
      '--faults <json>',
      'initial fault injection, e.g. \'{"createFailAfter":0.1}\', \'{"moderatedWords":["blood"]}\' (a ' +
        'prompt holding one fails with 400; runwayml: SAFETY.INPUT.TEXT); runwayml also takes ' +
        '\'{"throttleProbability":0.5,"throttleMs":20000}\' and "failureCodes"',
    )
    .option('--quiet', 'no request log')
    .addHelpText('after', `\n${RUN_EXIT_CODES_HELP}`)
    .action(act(simulator));

async function simulator(values: SimulatorFlags): Promise<void> {
  let faults: unknown;
  if (values.faults) {
    try {
      faults = JSON.parse(values.faults);
    } catch {
      throw new UsageError('--faults must be JSON, e.g. \'{"createFailAfter":0.1}\'');
    }
  }
  const { apiKey, quiet, faults: _faults, ...rest } = values;
  const options = { ...rest, apiKeys: apiKey, faults, log: !quiet };
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  let sim;
  try {
    sim = await startSimulator(defined as SimulatorOptions);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const api =
    sim.options.provider === 'runwayml'
      ? "runwayml: Runway's developer API"
      : "kie-runway: the reseller's API";
  console.log(`listening on ${sim.url} (${api})`);
  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
