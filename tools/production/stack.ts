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
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { resolveTemporalCli } from '../../src/temporal/binaries';
import { freePort, preferredPort } from '../../src/temporal/dev-server';
import {
  type RecordedProcess,
  isRecordedProcessAlive,
  stopRecordedProcess,
} from '../../src/temporal/processes';
import { type Compose, type Env, REPO, loadCompose } from './compose';
import { freeLowPort, run } from './processes';
import { startPostgres } from './postgres';
import { type Launch, launchService } from './services';
import { STACK_DIR, STATE_FILE, type StackState, readState, saveState, secrets } from './state';

export { STACK_DIR, type StackState } from './state';

const LOGS = path.join(STACK_DIR, 'logs');
const CLI_BIN = path.join(REPO, 'bin', 'long-video.js');
const WORKERS = 3;

/** Where scripts/build-temporal.sh puts the binaries of the compose file's versions. */
export async function nativeDir(): Promise<string> {
  const { stdout } = await run('bash', [path.join(REPO, 'scripts', 'build-temporal.sh'), '--print-dir'], {
    cwd: REPO,
  });
  return path.resolve(REPO, stdout.trim());
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
  const launches: Launch[] = [];
  const log = (name: string) => path.join(LOGS, `${name}.log`);
  const state = (urls: StackState['urls']): StackState => ({
    dryRun,
    namespace: compose.vars.TEMPORAL_NAMESPACE || 'default',
    urls,
    processes: started,
    launches,
  });
  const password = secrets().postgresPassword;
  const launch = (l: Omit<Launch, 'cwd' | 'logFile'>) => {
    const full = { ...l, cwd: STACK_DIR, logFile: log(l.role) };
    launches.push(full);
    return launchService(full, {
      compose,
      databasePassword: password,
      onStarted: (p) => started.push(p),
    });
  };
  try {
    // PostgreSQL, and the schema exactly as the admin-tools job sets it up.
    const pgEnv = compose.environment('postgresql');
    const pg = await startPostgres({
      dir: path.join(STACK_DIR, 'pg'),
      user: pgEnv.POSTGRES_USER!,
      password,
      log: log('postgresql'),
    });
    started.push(pg.process);
    saveState(state({ temporal: '', ui: '', files: '', receiver: '' }));
    const db = { POSTGRES_SEEDS: '127.0.0.1', DB_PORT: String(pg.port) };
    await run('sh', [path.join(REPO, 'deploy', 'setup-schema.sh')], {
      env: {
        PATH: process.env.PATH ?? '',
        ...compose.environment('temporal-admin-tools'),
        ...db,
        POSTGRES_PWD: password,
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
    const temporal = `127.0.0.1:${port}`;
    await launch({
      role: 'temporal',
      name: 'the Temporal server',
      service: 'temporal',
      command: path.join(native, 'temporal-server'),
      args: ['start'],
      database: true,
      ready: { temporal },
      env: {
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
    const cli = resolveTemporalCli();

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
    await launch({
      role: 'ui',
      name: 'the Web UI',
      service: 'temporal-ui',
      command: path.join(native, 'temporal-ui-server'),
      args: ['--root', native, '--config', 'ui-config', '--env', 'native', 'start'],
      ready: { http: `${ui}/` },
      env: {
        TEMPORAL_ADDRESS: temporal,
        TEMPORAL_UI_PORT: String(uiPort),
        TEMPORAL_UI_HOST: '127.0.0.1',
        TEMPORAL_CORS_ORIGINS: ui,
      },
    });

    const urls = await startOurServices(compose, { dryRun, temporal, launch });
    const final = state({ temporal, ui, ...urls });
    saveState(final);
    return final;
  } catch (err) {
    saveState(state({ temporal: '', ui: '', files: '', receiver: '' }));
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
    launch,
  }: { dryRun: boolean; temporal: string; launch: (l: Omit<Launch, 'cwd' | 'logFile'>) => Promise<unknown> },
): Promise<Omit<StackState['urls'], 'temporal' | 'ui'>> {
  // `long-video` with compose's command of the service, these flags set.
  const node = (
    l: Omit<Launch, 'cwd' | 'logFile' | 'command' | 'args'>,
    flags: Record<string, string> = {},
  ) => launch({ ...l, command: process.execPath, args: [CLI_BIN], composeCommand: { flags } });
  // Host names of compose's network become loopback addresses.
  const local: Env = { TEMPORAL_ADDRESS: temporal };
  let simulator: string | undefined;
  if (dryRun) {
    const port = await freePort();
    simulator = `http://127.0.0.1:${port}`;
    await node(
      {
        role: 'simulator',
        name: 'the simulator',
        service: 'simulator',
        env: {},
        ready: { log: 'listening on' },
      },
      { '--host': '127.0.0.1', '--port': String(port), '--public-url': simulator },
    );
    local.RUNWAY_BASE_URL = simulator;
  }
  const receiverPort = dryRun ? await freePort() : Number(compose.environment('receiver').CALLBACK_PORT);
  const receiver = `http://127.0.0.1:${receiverPort}`;
  if (dryRun) local.CALLBACK_PUBLIC_URL = receiver;
  await node({
    role: 'receiver',
    name: 'the receiver',
    service: 'receiver',
    env: { ...local, CALLBACK_HOST: '127.0.0.1', CALLBACK_PORT: String(receiverPort) },
    ready: { http: `${receiver}/healthz` },
  });

  const output = path.join(STACK_DIR, 'output');
  mkdirSync(output, { recursive: true });
  const filesPort = await preferredPort(Number(compose.environment('files').OUTPUT_PORT));
  const files = `http://127.0.0.1:${filesPort}`;
  await node({
    role: 'files',
    name: 'the files service',
    service: 'files',
    env: { OUTPUT_DIR: output, OUTPUT_HOST: '127.0.0.1', OUTPUT_PORT: String(filesPort) },
    ready: { port: filesPort },
  });

  const workerEnv = {
    ...local,
    OUTPUT_DIR: output,
    // compose's default link base is its published port; here it is the files service's own.
    OUTPUT_PUBLIC_URL: compose.vars.OUTPUT_PUBLIC_URL || files,
  };
  for (let i = 1; i <= WORKERS; i++) {
    // Each on its own loopback port, where compose's healthcheck asks: ready when its workers run.
    const health = await freePort();
    await node({
      role: `worker-${i}`,
      name: `worker ${i}`,
      service: 'worker',
      env: { ...workerEnv, WORKER_HEALTH_HOST: '127.0.0.1', WORKER_HEALTH_PORT: String(health) },
      ready: { http: `http://127.0.0.1:${health}/healthz` },
    });
  }
  return { files, receiver, ...(simulator ? { simulator } : {}) };
}

/**
 * Start one service of a running stack again, as `up` started it (after a crash, or to test one):
 * stopped first if it still runs. PostgreSQL is not restarted alone.
 */
export async function restart(role: string): Promise<RecordedProcess> {
  const state = readState();
  if (!state) throw new Error('the production stack is not running');
  const launch = state.launches?.find((l) => l.role === role);
  if (!launch) {
    const roles = (state.launches ?? []).map((l) => l.role).join(', ');
    throw new Error(`no service ${role} to restart (one of: ${roles})`);
  }
  const at = state.processes.findIndex((p) => p.role === role);
  if (at >= 0) await stopRecordedProcess(state.processes[at]!, role.startsWith('worker') ? 30_000 : 15_000);
  // Recorded as soon as it runs: a failed wait still leaves it for `down`.
  const record = (p: RecordedProcess) => {
    if (at >= 0) state.processes[at] = p;
    else state.processes.push(p);
    saveState(state);
  };
  const compose = loadCompose(path.join(REPO, state.dryRun ? 'deploy/dry-run.env' : '.env'));
  return launchService(launch, { compose, databasePassword: secrets().postgresPassword, onStarted: record });
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
