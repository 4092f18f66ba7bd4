/** `long-video dev`: the whole local stack in one command; `--detach` / `--stop` for scripts. */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import {
  DATA_DIR,
  DEV_STATE_FILE,
  beginDevState,
  clearDevState,
  readDevState,
  readDevStateFile,
  stopOrphans,
  stopSupervisor,
  supervisorAlive,
} from '../config/dev-state';
import { type LocalStack, startLocalStack } from './local-stack';
import { redactUrl } from '../chain/redact';
import { RUN_EXIT_CODES_HELP } from './exit-codes';
import { UsageError, act, newCommand, numberOption } from './usage';

interface DevOptions {
  timeScale?: number;
  port?: number;
  uiPort?: number;
  detach?: boolean;
  stop?: boolean;
}

export const devCommand = () =>
  newCommand('dev')
    .summary('the whole local stack in one command')
    .description(
      'Starts a Temporal dev server with the Web UI (history kept in .data/temporal.db), the provider simulator\n' +
        '(none when RUNWAY_BASE_URL is set: that provider is used), the callback receiver, the workers and the\n' +
        "output folder's file server (OUTPUT_PORT, default 8788 when free: the deliverables' links).\n" +
        'Prints the Web UI URL and what a second terminal needs; Ctrl-C stops everything.',
    )
    .addOption(
      numberOption(
        '--time-scale <s>',
        "the simulator's time scale (default 0.02: a 60 s generation takes 1.2 s)",
      ),
    )
    .addOption(numberOption('--port <port>', 'Temporal frontend port (default 7233 when free)'))
    .addOption(numberOption('--ui-port <port>', 'Web UI port (default 8233 when free)'))
    .option(
      '--detach',
      `start in the background, write ${path.relative(process.cwd(), DEV_STATE_FILE)}, return`,
    )
    .option('--stop', 'stop a detached stack (or what a killed `long-video dev` left running)')
    .addHelpText(
      'after',
      () =>
        `\nEach process's pid is recorded in ${path.relative(process.cwd(), DEV_STATE_FILE)} as it starts: \`--stop\` and a new \`dev\`\n` +
        'stop a Temporal server whose `long-video dev` was killed (only a process whose command line is still the\n' +
        'recorded one), and no second server opens a database another live server holds.\n\n' +
        'Closed chains are kept CHAIN_RETENTION_DAYS days (default 30; the namespace is set on each start).\n\n' +
        RUN_EXIT_CODES_HELP,
    )
    .action(act(dev));

async function dev(values: DevOptions): Promise<number> {
  if (values.stop) return stopDetached();
  const running = readDevState();
  if (running)
    throw new UsageError(
      `a dev stack is already running (pid ${running.pid}); stop it with long-video dev --stop`,
    );
  const timeScale = values.timeScale ?? 0.02;
  if (!(timeScale > 0)) throw new UsageError('--time-scale must be a positive number');
  // A stack whose supervisor was killed: its server still runs, on the port and database we want.
  for (const line of await stopOrphans(readDevStateFile())) console.log(line);
  clearDevState();
  if (values.detach) {
    const again = { '--time-scale': values.timeScale, '--port': values.port, '--ui-port': values.uiPort };
    return detach(Object.entries(again).flatMap(([flag, v]) => (v === undefined ? [] : [flag, String(v)])));
  }

  const record = beginDevState();
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      timeScale,
      temporalPort: values.port || undefined,
      uiPort: values.uiPort || undefined,
      log: (line) => console.log(`[receiver] ${line}`),
      onProcess: (p) => record.addChild(p),
    });
  } catch (err) {
    clearDevState();
    throw err;
  }
  record.ready({ env: stack.env, simulatorUrl: stack.simulator?.url });
  printStack(stack);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  console.log('stopping…');
  clearDevState();
  await stack.stop();
  return 0;
}

export function printStack(stack: LocalStack): void {
  console.log(`Temporal:  ${stack.server.address} (namespace ${stack.server.namespace})`);
  if (stack.server.uiUrl) console.log(`Web UI:    ${stack.server.uiUrl}`);
  console.log(
    `Retention: closed chains are kept ${stack.retentionDays} days (CHAIN_RETENTION_DAYS), then forgotten`,
  );
  if (stack.simulator) {
    const o = stack.simulator.options;
    console.log(
      `Provider:  simulator at ${stack.simulator.url} (time scale ${o.timeScale}, admin token ${o.adminToken})`,
    );
  } else console.log(`Provider:  ${redactUrl(process.env.RUNWAY_BASE_URL ?? '')}`);
  console.log(`Files:     ${stack.files.url} (the chains' videos and reports, one folder per chain)`);
  console.log('\nIn another terminal (long-video finds this stack by itself from this folder):');
  console.log(
    `  export ${Object.entries(stack.env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  console.log(
    `  npx long-video start --aspect-ratio 16:9 --prompt "a paper boat" --prompt "it drifts away" --wait`,
  );
}

async function detach(args: string[]): Promise<number> {
  const logFile = path.join(DATA_DIR, 'dev.log');
  mkdirSync(DATA_DIR, { recursive: true });
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [require.main?.filename ?? process.argv[1]!, 'dev', ...args], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  child.unref();
  const deadline = Date.now() + 120_000;
  for (;;) {
    const state = readDevState();
    if (state && state.pid === child.pid && state.ready !== false) {
      console.log(`dev stack running in the background (pid ${state.pid}); log: ${logFile}`);
      for (const [k, v] of Object.entries(state.env)) console.log(`${k}=${v}`);
      return 0;
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the dev stack did not start; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stopDetached(): Promise<number> {
  const state = readDevStateFile();
  const lines: string[] = [];
  if (state && supervisorAlive(state)) {
    const how = await stopSupervisor(state);
    if (how === 'stopped') lines.push(`stopped the dev stack (pid ${state.pid})`);
    if (how === 'killed') lines.push(`killed the dev stack (pid ${state.pid}) after 30 s`);
  }
  // Whatever a killed supervisor (or the SIGKILL above) left running.
  lines.push(...(await stopOrphans(state)));
  clearDevState();
  console.log(lines.length ? lines.join('\n') : 'no dev stack is running');
  return 0;
}
