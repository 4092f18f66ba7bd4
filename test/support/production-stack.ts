/**
 * The native production stack (tools/production/) for tests: why it cannot run here (binaries of
 * scripts/build-temporal.sh, PostgreSQL, lib/), and its command line and ours run against a scratch folder.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { postgresBin } from '../../tools/production/postgres';
import type { StackState } from '../../tools/production/stack';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'tools', 'production', 'main.ts');

/** Why the stack cannot run on this host, or undefined when it can. */
export function productionStackMissing(): string | undefined {
  const dir = path.resolve(
    ROOT,
    execFileSync('bash', [path.join(ROOT, 'scripts', 'build-temporal.sh'), '--print-dir'], { cwd: ROOT })
      .toString()
      .trim(),
  );
  const bins = ['temporal-server', 'temporal-sql-tool', 'temporal-ui-server'].map((b) => path.join(dir, b));
  const absent = bins.find((b) => !existsSync(b));
  if (absent) return `${absent} is not built (bash scripts/build-temporal.sh)`;
  try {
    postgresBin();
  } catch (err) {
    return (err as Error).message;
  }
  if (!existsSync(path.join(ROOT, 'lib', '.built'))) return 'lib/ is not built (npm run build)';
  return undefined;
}

/**
 * `describe`, or `describe.skip` (loudly) when the stack cannot run here. With PRODUCTION_TESTS=required
 * (scripts/test-production.sh, which CI runs) a stack that cannot run fails the suite instead.
 */
export function describeWhenStackBuilt(file: string): typeof describe | typeof describe.skip {
  const why = productionStackMissing();
  if (!why) return describe;
  if (process.env.PRODUCTION_TESTS === 'required')
    throw new Error(`${file}: the production stack cannot run here: ${why}`);
  console.warn(`\n*** SKIPPED ${file}: ${why} (bash scripts/test-production.sh builds and runs it) ***\n`);
  return describe.skip;
}

export interface ScratchStack {
  /** The scratch folder: the stack's state is in `stack/`. */
  dir: string;
  /** `npm run stack:production -- ARGS` against the scratch folder. */
  stack(args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** `long-video ARGS` against a Temporal address, outside the repo (its .env is not read). */
  cli(args: string[], temporal: string): Promise<{ stdout: string; stderr: string }>;
  state(): StackState;
  /** `--down --wipe`, then the scratch folder removed. */
  remove(): Promise<void>;
}

export function scratchStack(prefix: string): ScratchStack {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(dir, 0o755); // PostgreSQL runs as its own user when we are root: it must reach its folder
  const stack = (args: string[]) =>
    run(process.execPath, ['-r', 'ts-node/register/transpile-only', MAIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, PRODUCTION_STACK_DIR: path.join(dir, 'stack') },
      timeout: 240_000,
    });
  return {
    dir,
    stack,
    cli: (args, temporal) =>
      run(process.execPath, [path.join(ROOT, 'bin', 'long-video.js'), ...args], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TEMPORAL_ADDRESS: temporal },
        timeout: 150_000,
      }),
    state: () => JSON.parse(readFileSync(path.join(dir, 'stack', 'stack.json'), 'utf8')) as StackState,
    remove: async () => {
      await stack(['--down', '--wipe']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
