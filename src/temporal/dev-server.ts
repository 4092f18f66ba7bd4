/**
 * A Temporal dev server (with the Web UI) started from the local CLI binary. The SDK would download one and
 * give it only seconds to come up; we start it ourselves, wait on `temporal operator cluster health`, and
 * register the chain's search attributes on the command line.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { resolveTemporalCli } from './binaries';
import { type DbLock, acquireDbLock } from './db-lock';
import { type RecordedProcess, recordProcess } from './processes';
import { SEARCH_ATTRIBUTES } from '../chain/search-attributes';

const run = promisify(execFile);

export interface DevServerOptions {
  port?: number;
  uiPort?: number;
  /** SQLite file for a persistent server; in memory without it. */
  dbFilename?: string;
  namespace?: string;
  /** Serve the Web UI (default true). */
  ui?: boolean;
  /**
   * Days the namespace keeps a closed chain (`temporal operator namespace update --retention`); the dev
   * server's own default, 24 h, when not given. After it, Temporal deletes the chain's history.
   */
  retentionDays?: number;
  /** Extra `--dynamic-config-value KEY=VALUE` settings. */
  dynamicConfig?: Record<string, string | number | boolean>;
  log?: (line: string) => void;
  startTimeoutMs?: number;
  /** Called as soon as the server process runs (before it is healthy), e.g. to record its pid. */
  onSpawn?: (server: RecordedProcess) => void;
}

export interface RunningDevServer {
  /** host:port for SDK connections. */
  address: string;
  uiUrl?: string;
  namespace: string;
  pid: number;
  stop(): Promise<void>;
}

const ENV = { ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' };

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether nothing listens on 127.0.0.1:port. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** The conventional port when it is free, else one the OS picks. */
export async function preferredPort(port: number): Promise<number> {
  return (await portIsFree(port)) ? port : freePort();
}

let newsFlagSupported: boolean | undefined;
async function supportsNewsFlag(cli: string): Promise<boolean> {
  if (newsFlagSupported === undefined) {
    const { stdout } = await run(cli, ['server', 'start-dev', '--help'], { env: ENV });
    newsFlagSupported = stdout.includes('--ui-disable-news-fetch');
  }
  return newsFlagSupported;
}

/**
 * One partition per task queue. A queue's rate limit is split among its partitions, and a partition with
 * nothing queued wastes its share: with the default four, three workers reached 0.88 of the provider queue's
 * limit; with one, 0.99 (P4 of `npm run bench`). A cluster sets this for the provider queues only
 * (deploy/dynamicconfig); the dev server has no per-queue constraints on the command line.
 */
const SINGLE_PARTITION_QUEUES = {
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
};

export async function startDevServer(options: DevServerOptions = {}): Promise<RunningDevServer> {
  const cli = resolveTemporalCli();
  const port = options.port ?? (await freePort());
  const ui = options.ui ?? true;
  const uiPort = ui ? (options.uiPort ?? (await freePort())) : undefined;
  // Else the health check below would find the server already there and take it for ours.
  for (const p of [port, uiPort]) {
    if (p !== undefined && !(await portIsFree(p)))
      throw new Error(`port ${p} on 127.0.0.1 is already in use: cannot start a Temporal dev server there`);
  }
  const namespace = options.namespace ?? 'default';
  const address = `127.0.0.1:${port}`;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace];
  args.push('--log-level', 'warn');
  if (uiPort) args.push('--ui-port', String(uiPort));
  else args.push('--headless');
  if (ui && (await supportsNewsFlag(cli))) args.push('--ui-disable-news-fetch');
  let lock: DbLock | undefined;
  if (options.dbFilename) {
    mkdirSync(path.dirname(options.dbFilename), { recursive: true });
    lock = acquireDbLock(path.resolve(options.dbFilename)); // one server per database
    args.push('--db-filename', options.dbFilename);
    // WAL with synchronous=NORMAL: a killed server loses nothing (only an OS crash could lose the last
    // commits), and chains are not held up by an fsync per write (P3 of `npm run bench`: ~1.7x the segments/s).
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  for (const a of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${a.name}=${a.type}`);
  for (const [k, v] of Object.entries({ ...SINGLE_PARTITION_QUEUES, ...options.dynamicConfig })) {
    args.push('--dynamic-config-value', `${k}=${JSON.stringify(v)}`);
  }

  let child: ChildProcess;
  try {
    child = spawn(cli, args, { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid) {
      const server = recordProcess('temporal', child.pid);
      lock?.handOver(server);
      options.onSpawn?.(server);
    }
  } catch (err) {
    lock?.release();
    throw err;
  }
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
    options.log?.(d.toString().trimEnd());
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // A test that dies must not leave a server behind.
  const killOnExit = () => {
    child.kill('SIGKILL');
    lock?.release();
  };
  process.once('exit', killOnExit);

  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    lock?.release();
  };

  try {
    await waitHealthy(cli, address, child, exited, () => output, options.startTimeoutMs ?? 60_000);
    if (options.retentionDays !== undefined)
      await setRetention(cli, address, namespace, options.retentionDays);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    address,
    uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : undefined,
    namespace,
    pid: child.pid!,
    stop,
  };
}

/**
 * `start-dev` has no retention flag: the namespace it creates keeps closed workflows 24 h. Set each start,
 * so a persistent database takes a changed setting too.
 */
async function setRetention(cli: string, address: string, namespace: string, days: number): Promise<void> {
  if (!Number.isInteger(days) || days < 1)
    throw new Error(`retention must be a whole number of days, not ${days}`);
  const args = ['operator', 'namespace', 'update', '--address', address, '--namespace', namespace];
  await run(cli, [...args, '--retention', `${days * 24}h`], { env: ENV, timeout: 15_000 });
}

async function waitHealthy(
  cli: string,
  address: string,
  child: ChildProcess,
  exited: Promise<number | null>,
  output: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let early: number | null | undefined;
  void exited.then((code) => (early = code));
  for (;;) {
    if (early !== undefined)
      throw new Error(`temporal dev server exited (${early}): ${output().trim().slice(-1500)}`);
    const healthy = await run(cli, ['operator', 'cluster', 'health', '--address', address], {
      env: ENV,
      timeout: 5_000,
    })
      .then(({ stdout }) => stdout.includes('SERVING'))
      .catch(() => false);
    if (healthy) return;
    if (Date.now() > deadline)
      throw new Error(
        `temporal dev server on ${address} not healthy after ${timeoutMs} ms (pid ${child.pid})`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}
