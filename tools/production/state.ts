/**
 * Where the native production stack keeps itself (.data/production, or PRODUCTION_STACK_DIR): its state
 * (addresses, recorded processes, how each service was launched) and its secrets, kept apart (0600).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { RecordedProcess } from '../../src/temporal/processes';
import { REPO } from './compose';
import type { Launch } from './services';

export const STACK_DIR = path.resolve(
  process.env.PRODUCTION_STACK_DIR ?? path.join(REPO, '.data', 'production'),
);
export const STATE_FILE = path.join(STACK_DIR, 'stack.json');
const SECRETS_FILE = path.join(STACK_DIR, 'secrets.json');

export interface StackState {
  dryRun: boolean;
  namespace: string;
  urls: { temporal: string; ui: string; files: string; receiver: string; simulator?: string };
  processes: RecordedProcess[];
  /** How each service but PostgreSQL was started, for `restart` (no secrets). */
  launches: Launch[];
}

export function readState(): StackState | undefined {
  return existsSync(STATE_FILE) ? (JSON.parse(readFileSync(STATE_FILE, 'utf8')) as StackState) : undefined;
}

export function saveState(state: StackState): void {
  writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
}

/** Secrets made on the first start and kept with the data (the database's password outlives a restart). */
export function secrets(): { postgresPassword: string } {
  if (!existsSync(SECRETS_FILE)) {
    writeFileSync(SECRETS_FILE, JSON.stringify({ postgresPassword: randomBytes(18).toString('base64url') }), {
      mode: 0o600,
    });
  }
  return JSON.parse(readFileSync(SECRETS_FILE, 'utf8')) as { postgresPassword: string };
}
