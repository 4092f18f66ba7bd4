/**
 * `npm run stack:production`: docker-compose.yml's production stack as native processes on 127.0.0.1,
 * for a host without a Docker engine. Each service gets the environment and command compose gives it
 * (tools/production/compose.ts) and runs the same binaries and scripts: PostgreSQL (initdb on first
 * start), deploy/setup-schema.sh with temporal-sql-tool, temporal-server on the image's embedded config
 * template with deploy/dynamicconfig, deploy/create-namespace.sh, the UI server, three `long-video worker`,
 * the receiver and the files service (and, with --dry-run, the simulator of deploy/dry-run.env).
 * Only what differs natively is overridden: addresses and ports (free loopback ones), folders, passwords.
 * State, logs and data live in .data/production (PRODUCTION_STACK_DIR); `--down` stops the processes and
 * keeps the data, `--wipe` removes it too.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { resolveTemporalCli } from '../../src/temporal/binaries';
import { freePort, preferredPort } from '../../src/temporal/dev-server';
import {
  type RecordedProcess,
  isRecordedProcessAlive,
  stopRecordedProcess,
} from '../../src/temporal/processes';
import { type Compose, type Env, REPO, loadCompose, setFlag } from './compose';
import { answers, freeLowPort, listening, logSays, run, startService, waitFor } from './processes';
import { startPostgres } from './postgres';

export const STACK_DIR = path.resolve(
  process.env.PRODUCTION_STACK_DIR ?? path.join(REPO, '.data', 'production'),
);
const STATE_FILE = path.join(STACK_DIR, 'stack.json');
const SECRETS_FILE = path.join(STACK_DIR, 'secrets.json');
const LOGS = path.join(STACK_DIR, 'logs');
const CLI_BIN = path.join(REPO, 'bin', 'long-video.js');
const WORKERS = 3;

export interface StackState {
  dryRun: boolean;
  namespace: string;
  urls: { temporal: string; ui: string; files: string; receiver: string; simulator?: string };
  processes: RecordedProcess[];
}

/** Where scripts/build-temporal.sh puts the binaries of the compose file's versions. */
export async function nativeDir(): Promise<string> {
  const { stdout } = await run('bash', [path.join(REPO, 'scripts', 'build-temporal.sh'), '--print-dir'], {
    cwd: REPO,
  });
  return path.resolve(REPO, stdout.trim());
}

export function readState(): StackState | undefined {
  return existsSync(STATE_FILE) ? (JSON.parse(readFileSync(STATE_FILE, 'utf8')) as StackState) : undefined;
}

/** Secrets made on the first start and kept with the data (the database's password outlives a restart). */
function secrets(): { postgresPassword: string } {
  if (!existsSync(SECRETS_FILE)) {
    writeFileSync(SECRETS_FILE, JSON.stringify({ postgresPassword: randomBytes(18).toString('base64url') }), {
      mode: 0o600,
    });
  }
  return JSON.parse(readFileSync(SECRETS_FILE, 'utf8')) as { postgresPassword: string };
}

export async function up({ dryRun }: { dryRun: boolean }): Promise<StackState> {
  const running = readState();
  if (running && running.processes.every(isRecordedProcessAlive)) return running;
  if (running) await down(); // a stack half down: start it whole
  const native = await nativeDir();
  for (const bin of ['temporal-server', 'temporal-sql-tool', 'temporal-ui-server']) {
    if (!existsSync(path.join(native, bin))) {
      throw new Error(`${path.join(native, bin)} is missing: run bash scripts/build-temporal.sh`);
    }
  }
  mkdirSync(LOGS, { recursive: true });
  const compose = loadCompose(path.join(REPO, dryRun ? 'deploy/dry-run.env' : '.env'));
  // What compose requires (`${KEY:?}`: the provider key, the callback URL and secret) before anything starts.
  for (const service of ['worker', 'receiver']) compose.environment(service);
  const started: RecordedProcess[] = [];
  const log = (name: string) => path.join(LOGS, `${name}.log`);
  const state = (urls: StackState['urls']): StackState => ({
    dryRun,
    namespace: compose.vars.TEMPORAL_NAMESPACE || 'default',
    urls,
    processes: started,
  });
  const save = (s: StackState) => writeFileSync(STATE_FILE, `${JSON.stringify(s, null, 2)}\n`);
  try {
    // PostgreSQL, and the schema exactly as the admin-tools job sets it up.
    const pgEnv = compose.environment('postgresql');
    const password = secrets().postgresPassword;
    const pg = await startPostgres({
      dir: path.join(STACK_DIR, 'pg'),
      user: pgEnv.POSTGRES_USER!,
      password,
      log: log('postgresql'),
    });
    started.push(pg.process);
    save(state({ temporal: '', ui: '', files: '', receiver: '' }));
    const db = { POSTGRES_SEEDS: '127.0.0.1', DB_PORT: String(pg.port), POSTGRES_PWD: password };
    await run('sh', [path.join(REPO, 'deploy', 'setup-schema.sh')], {
      env: {
        PATH: process.env.PATH ?? '',
        ...compose.environment('temporal-admin-tools'),
        ...db,
        SCHEMA_DIR: path.join(native, 'schema', 'postgresql', 'v12'),
        TEMPORAL_SQL_TOOL: path.join(native, 'temporal-sql-tool'),
      },
    }).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`deploy/setup-schema.sh failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    });

    // The Temporal server: the image's embedded config template, driven by compose's variables.
    const port = await preferredPort(7233);
    const serverPorts: Env = { FRONTEND_GRPC_PORT: String(port) };
    for (const key of [
      'FRONTEND_HTTP',
      'INTERNAL_FRONTEND_HTTP',
      'FRONTEND_MEMBERSHIP',
      'HISTORY_GRPC',
      'HISTORY_MEMBERSHIP',
      'MATCHING_GRPC',
      'MATCHING_MEMBERSHIP',
      'WORKER_GRPC',
      'WORKER_MEMBERSHIP',
    ]) {
      serverPorts[`${key}_PORT`] = String(await freeLowPort(Object.values(serverPorts)));
    }
    const serverEnv = compose.environment('temporal');
    const server = startService({
      role: 'temporal',
      command: path.join(native, 'temporal-server'),
      args: ['start'],
      cwd: STACK_DIR,
      logFile: log('temporal'),
      env: {
        ...serverEnv,
        ...db,
        ...serverPorts,
        BIND_ON_IP: '127.0.0.1',
        // compose mounts deploy/dynamicconfig at /etc/temporal/config/dynamicconfig: the same files here.
        DYNAMIC_CONFIG_FILE_PATH: path.join(
          REPO,
          'deploy',
          'dynamicconfig',
          path.basename(serverEnv.DYNAMIC_CONFIG_FILE_PATH!),
        ),
      },
    });
    started.push(server);
    const temporal = `127.0.0.1:${port}`;
    const cli = resolveTemporalCli();
    const health = () =>
      run(cli, ['operator', 'cluster', 'health', '--address', temporal], {
        env: { ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' },
      }).then(
        () => true,
        () => false,
      );
    await waitFor(
      'the Temporal server',
      server,
      log('temporal'),
      async () => (await listening(port)) && health(),
    );

    // The namespace and its search attributes, by the script compose runs.
    await run('sh', [path.join(REPO, 'deploy', 'create-namespace.sh')], {
      env: {
        PATH: `${path.dirname(cli)}:${process.env.PATH ?? ''}`,
        HOME: process.env.HOME ?? '',
        ...compose.environment('temporal-create-namespace'),
        TEMPORAL_ADDRESS: temporal,
        TEMPORAL_VERSION_CHECK_DISABLED: '1',
      },
      timeout: 180_000,
    }).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`deploy/create-namespace.sh failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    });

    // The Web UI: the image's config template with compose's variables, on this host only.
    const uiPort = await preferredPort(Number(compose.vars.TEMPORAL_UI_PORT || 8080));
    const ui = `http://127.0.0.1:${uiPort}`;
    const uiServer = startService({
      role: 'ui',
      command: path.join(native, 'temporal-ui-server'),
      args: ['--root', native, '--config', 'ui-config', '--env', 'native', 'start'],
      cwd: STACK_DIR,
      logFile: log('ui'),
      env: {
        ...compose.environment('temporal-ui'),
        TEMPORAL_ADDRESS: temporal,
        TEMPORAL_UI_PORT: String(uiPort),
        TEMPORAL_UI_HOST: '127.0.0.1',
        TEMPORAL_CORS_ORIGINS: ui,
      },
    });
    started.push(uiServer);
    await waitFor('the Web UI', uiServer, log('ui'), () => answers(`${ui}/`));

    const urls = await startOurServices(compose, { dryRun, temporal, started, log });
    const final = state({ temporal, ui, ...urls });
    save(final);
    return final;
  } catch (err) {
    save(state({ temporal: '', ui: '', files: '', receiver: '' }));
    await down().catch(() => undefined);
    throw err;
  }
}

/** The simulator (dry run), the receiver, the files service and the workers, as compose runs them. */
async function startOurServices(
  compose: Compose,
  {
    dryRun,
    temporal,
    started,
    log,
  }: { dryRun: boolean; temporal: string; started: RecordedProcess[]; log: (n: string) => string },
): Promise<Omit<StackState['urls'], 'temporal' | 'ui'>> {
  const node = (role: string, args: string[], env: Env) => {
    const p = startService({
      role,
      command: process.execPath,
      args: [CLI_BIN, ...args],
      cwd: STACK_DIR,
      logFile: log(role),
      env,
    });
    started.push(p);
    return p;
  };
  // Host names of compose's network become loopback addresses.
  const local: Env = { TEMPORAL_ADDRESS: temporal };
  let simulator: string | undefined;
  if (dryRun) {
    const port = await freePort();
    simulator = `http://127.0.0.1:${port}`;
    let args = setFlag(compose.command('simulator'), '--host', '127.0.0.1');
    args = setFlag(setFlag(args, '--port', String(port)), '--public-url', simulator);
    const sim = node('simulator', args, {});
    await waitFor(
      'the simulator',
      sim,
      log('simulator'),
      logSays(log('simulator'), sim.logOffset, 'listening on'),
    );
    local.RUNWAY_BASE_URL = simulator;
  }
  const receiverPort = dryRun ? await freePort() : Number(compose.environment('receiver').CALLBACK_PORT);
  const receiver = `http://127.0.0.1:${receiverPort}`;
  if (dryRun) local.CALLBACK_PUBLIC_URL = receiver;
  const rec = node('receiver', compose.command('receiver'), {
    ...compose.environment('receiver'),
    ...local,
    CALLBACK_HOST: '127.0.0.1',
    CALLBACK_PORT: String(receiverPort),
  });
  await waitFor('the receiver', rec, log('receiver'), () => answers(`${receiver}/healthz`));

  const output = path.join(STACK_DIR, 'output');
  mkdirSync(output, { recursive: true });
  const filesPort = await preferredPort(Number(compose.environment('files').OUTPUT_PORT));
  const files = `http://127.0.0.1:${filesPort}`;
  const filesProcess = node('files', compose.command('files'), {
    ...compose.environment('files'),
    OUTPUT_DIR: output,
    OUTPUT_HOST: '127.0.0.1',
    OUTPUT_PORT: String(filesPort),
  });
  await waitFor('the files service', filesProcess, log('files'), () => listening(filesPort));

  const workerEnv = {
    ...compose.environment('worker'),
    ...local,
    OUTPUT_DIR: output,
    // compose's default link base is its published port; here it is the files service's own.
    OUTPUT_PUBLIC_URL: compose.vars.OUTPUT_PUBLIC_URL || files,
  };
  for (let i = 1; i <= WORKERS; i++) {
    const w = node(`worker-${i}`, compose.command('worker'), workerEnv);
    await waitFor(
      `worker ${i}`,
      w,
      log(`worker-${i}`),
      logSays(log(`worker-${i}`), w.logOffset, 'worker ready'),
    );
  }
  return { files, receiver, ...(simulator ? { simulator } : {}) };
}

/** Stop every recorded process, the last started first; the data stays (unless `wipe`). */
export async function down({ wipe = false } = {}): Promise<string[]> {
  const said: string[] = [];
  const state = readState();
  for (const p of [...(state?.processes ?? [])].reverse()) {
    // Workers finish the activities in hand (compose's stop_grace_period is 30 s).
    const how = await stopRecordedProcess(p, p.role.startsWith('worker') ? 30_000 : 15_000);
    if (how !== 'not-running') said.push(`${p.role} (pid ${p.pid}) ${how}`);
  }
  if (state) rmSync(STATE_FILE, { force: true });
  if (wipe && existsSync(STACK_DIR)) {
    rmSync(STACK_DIR, { recursive: true, force: true });
    said.push(`removed ${STACK_DIR}`);
  }
  return said;
}
