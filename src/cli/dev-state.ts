/**
 * `long-video dev` writes what a second terminal needs (Temporal address, Web UI, poll interval; never a
 * secret) to .data/dev.json, so that `long-video start` and friends find the local stack by themselves.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const DATA_DIR = path.resolve('.data');
export const DEV_STATE_FILE = path.join(DATA_DIR, 'dev.json');

export interface DevState {
  pid: number;
  env: Record<string, string>;
  simulatorUrl?: string;
}

export function writeDevState(state: DevState): void {
  mkdirSync(DATA_DIR, { recursive: true });
  writeFileSync(DEV_STATE_FILE, JSON.stringify(state, null, 2));
}

/** The running dev stack's state, if its process is alive. */
export function readDevState(): DevState | undefined {
  let state: DevState;
  try {
    state = JSON.parse(readFileSync(DEV_STATE_FILE, 'utf8')) as DevState;
    process.kill(state.pid, 0);
  } catch {
    return undefined;
  }
  return state;
}

export function clearDevState(): void {
  rmSync(DEV_STATE_FILE, { force: true });
}
