/**
 * `long-video dev` writes what a second terminal needs (Temporal address, Web UI, poll interval; never a
 * secret) to .data/dev.json, so that `long-video start` and friends find the local stack by themselves.
 * The file also records the stack's processes (the supervisor and every child it spawns, each as soon as
 * it starts, with its command line), so that `dev --stop` or a new `dev` can stop what a killed
 * supervisor left running.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readDbLock } from '../temporal/db-lock';
import {
  type RecordedProcess,
  isRecordedProcessAlive,
  recordProcess,
  stopRecordedProcess,
} from '../temporal/processes';

export const DATA_DIR = path.resolve('.data');
export const DEV_STATE_FILE = path.join(DATA_DIR, 'dev.json');
export const DEV_DB_FILE = path.join(DATA_DIR, 'temporal.db');

export interface DevState {
  /** The supervisor: the `long-video dev` (or demo) process. */
  pid: number;
  /** The supervisor's command line when it started (a live pid with another one is not it). */
  cmdline?: string;
  /** Its children (the Temporal server), recorded as each starts. */
  children?: RecordedProcess[];
  /** False while the stack is starting. */
  ready?: boolean;
  env: Record<string, string>;
  simulatorUrl?: string;
}

export function writeDevState(state: DevState): void {
  mkdirSync(DATA_DIR, { recursive: true });
  const temp = `${DEV_STATE_FILE}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state, null, 2));
  renameSync(temp, DEV_STATE_FILE); // a reader never sees half a file
}

/** This process is a stack's supervisor: record it now, before any child starts. */
export function beginDevState(): {
  addChild(child: RecordedProcess): void;
  ready(state: Partial<DevState>): void;
} {
  const self = recordProcess('supervisor', process.pid);
  const state: DevState = { pid: process.pid, cmdline: self.cmdline, children: [], ready: false, env: {} };
  writeDevState(state);
  return {
    addChild(child) {
      state.children!.push(child);
      writeDevState(state);
    },
    ready(more) {
      Object.assign(state, more, { ready: true });
      writeDevState(state);
    },
  };
}

/** The state file as written, whether its supervisor lives or not. */
export function readDevStateFile(): DevState | undefined {
  try {
    const state = JSON.parse(readFileSync(DEV_STATE_FILE, 'utf8')) as DevState;
    return typeof state?.pid === 'number' ? state : undefined;
  } catch {
    return undefined;
  }
}

const supervisorOf = (state: DevState): RecordedProcess => ({
  role: 'supervisor',
  pid: state.pid,
  cmdline: state.cmdline ?? '',
});

/** Whether the state's supervisor still runs (a state from before command lines were recorded: its pid). */
export function supervisorAlive(state: DevState): boolean {
  if (state.cmdline) return isRecordedProcessAlive(supervisorOf(state));
  try {
    process.kill(state.pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The running dev stack's state, if its supervisor is alive. */
export function readDevState(): DevState | undefined {
  const state = readDevStateFile();
  return state && supervisorAlive(state) ? state : undefined;
}

export function clearDevState(): void {
  rmSync(DEV_STATE_FILE, { force: true });
}

/** Stop the supervisor of a running stack, which stops its children; answers how it ended. */
export async function stopSupervisor(state: DevState): Promise<'not-running' | 'stopped' | 'killed'> {
  return stopRecordedProcess(supervisorOf(state), 30_000);
}

/**
 * Stop what a dead supervisor left running: its recorded children, and the holder of this folder's
 * database lock; only processes whose command line is still the recorded one. Answers one line per
 * process stopped.
 */
export async function stopOrphans(state: DevState | undefined): Promise<string[]> {
  const candidates = [...(state?.children ?? [])];
  const holder = readDbLock(DEV_DB_FILE);
  if (holder && holder.role === 'temporal' && !candidates.some((c) => c.pid === holder.pid))
    candidates.push(holder);
  const lines: string[] = [];
  for (const child of candidates) {
    const how = await stopRecordedProcess(child);
    if (how !== 'not-running')
      lines.push(
        `${how} the ${child.role === 'temporal' ? 'Temporal server' : child.role} (pid ${child.pid}) ` +
          `left running by a dev stack whose supervisor${state ? ` (pid ${state.pid})` : ''} is gone`,
      );
  }
  // The lock's holder is gone now; a lock left by a killed server is stale.
  const after = readDbLock(DEV_DB_FILE);
  if (after && !isRecordedProcessAlive(after)) rmSync(`${DEV_DB_FILE}.lock`, { force: true });
  return lines;
}
