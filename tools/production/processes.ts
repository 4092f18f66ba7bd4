/**
 * Detached service processes of the native production stack (tools/production/stack.ts): each in its
 * own session with its output in a log file, recorded by pid and command line (src/temporal/processes.ts)
 * so that `--down` from another shell stops exactly these and no process that reused a pid.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { portIsFree } from '../../src/temporal/dev-server';
import { type RecordedProcess, isRecordedProcessAlive, recordProcess } from '../../src/temporal/processes';

export const run = promisify(execFile);

export interface ServiceSpec {
  role: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  logFile: string;
  /** Run as this user (PostgreSQL refuses to run as root). */
  user?: { uid: number; gid: number };
}

export interface StartedService extends RecordedProcess {
  /** Where this run's output begins in the log (the log keeps earlier runs). */
  logOffset: number;
}

/** Start a service detached from this process (it outlives `stack:production`), output to its log. */
export function startService(spec: ServiceSpec): StartedService {
  const log = openSync(spec.logFile, 'a');
  const logOffset = statSync(spec.logFile).size;
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...spec.env },
      stdio: ['ignore', log, log],
      detached: true,
      ...(spec.user ?? {}),
    });
    if (child.pid === undefined) throw new Error(`${spec.role}: could not start ${spec.command}`);
    child.unref();
    return { ...recordProcess(spec.role, child.pid), logOffset };
  } finally {
    closeSync(log);
  }
}

/** The last lines of a log, for an error message. */
export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Wait until `ready()` holds, polling every 250 ms; fails at once when the process has exited (with its
 * log's tail), or after `timeoutMs`.
 */
export async function waitFor(
  what: string,
  p: RecordedProcess | undefined,
  logFile: string,
  ready: () => Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready().catch(() => false)) return;
    const dead = p && !isRecordedProcessAlive(p);
    if (dead || Date.now() > deadline) {
      const why = dead ? 'exited' : `not ready after ${timeoutMs / 1000} s`;
      throw new Error(`${what} ${why}; ${path.relative(process.cwd(), logFile)} ends:\n${tail(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether GET url answers 2xx. */
export async function answers(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await res.arrayBuffer();
  return res.ok;
}

/** Whether this run's part of the log contains `text` (a service that says when it is ready). */
export function logSays(logFile: string, offset: number, text: string): () => Promise<boolean> {
  return async () => readFileSync(logFile).subarray(offset).toString('utf8').includes(text);
}

/**
 * A free loopback port below 32768: the server stores its membership ports in a PostgreSQL smallint, and
 * the OS hands out ephemeral ports above that.
 */
export async function freeLowPort(taken: string[]): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!taken.includes(String(port)) && (await portIsFree(port))) return port;
  }
}
