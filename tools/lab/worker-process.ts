/**
 * `long-video worker` as a child process, for drills, benchmarks and integration tests: a worker that can
 * be killed with SIGKILL mid-chain, and whose memory and CPU can be read from the outside.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const CLI_BIN = path.join(__dirname, '..', '..', 'bin', 'long-video.js');

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** Resolves once the process has exited. */
  exited: Promise<void>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Start `long-video worker` with exactly `env` (plus PATH and HOME); resolves once it says it is ready. */
export async function spawnWorker(
  env: Record<string, string>,
  options: { args?: string[]; readyTimeoutMs?: number; keepOutputChars?: number } = {},
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [CLI_BIN, 'worker', ...(options.args ?? [])], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = options.keepOutputChars ?? 1_000_000;
  let output = '';
  const append = (d: Buffer) => (output = (output + d.toString()).slice(-keep));
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A drill or test that dies must not leave workers behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker did not start: ${output}`)),
      options.readyTimeoutMs ?? 60_000,
    );
    const onData = () => {
      if (output.includes('worker ready')) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`worker exited: ${output}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    output: () => output,
    exited,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export interface ProcessUsage {
  rssMb: number;
  /** User + system CPU seconds so far. */
  cpuSeconds: number;
}

/** RSS and CPU time of a live process, from /proc (Linux); undefined elsewhere or once it is gone. */
export function processUsage(pid: number): ProcessUsage | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssMb: rssKb / 1024, cpuSeconds: ticks / 100 };
  } catch {
    return undefined;
  }
}
