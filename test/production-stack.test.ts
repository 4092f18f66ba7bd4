/**
 * The native production stack (`npm run stack:production -- --dry-run`, tools/production/): up in a scratch
 * folder, one 3-segment chain on the provider simulator paid exactly once per segment, the chain found by
 * `LongVideoState` in PostgreSQL visibility, then down with every process gone. It needs the binaries of
 * scripts/build-temporal.sh and PostgreSQL; without them it is skipped, loudly (CI does not build them).
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SimulatorAdmin } from '../src/simulator/admin-client';
import { isRecordedProcessAlive } from '../src/temporal/processes';
import { postgresBin } from '../tools/production/postgres';
import type { StackState } from '../tools/production/stack';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..');
const MAIN = path.join(ROOT, 'tools', 'production', 'main.ts');

function missing(): string | undefined {
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

const why = missing();
if (why) {
  console.warn(`\n*** SKIPPED test/production-stack.test.ts: ${why} ***\n`);
}
const maybe = why ? describe.skip : describe;

maybe('the native production stack (dry run)', () => {
  let dir = '';
  // Under a scratch folder: PostgreSQL's user must reach it, and nothing of the repo's .env is read there.
  const env = () => ({ ...process.env, PRODUCTION_STACK_DIR: path.join(dir, 'stack') });
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'production-stack-'));
    chmodSync(dir, 0o755); // PostgreSQL runs as its own user when we are root: it must reach its folder
  });
  const stack = (args: string[]) =>
    run(process.execPath, ['-r', 'ts-node/register/transpile-only', MAIN, ...args], {
      cwd: ROOT,
      env: env(),
      timeout: 240_000,
    });
  const cli = (args: string[], temporal: string) =>
    run(process.execPath, [path.join(ROOT, 'bin', 'long-video.js'), ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TEMPORAL_ADDRESS: temporal },
      timeout: 120_000,
    });
  const state = () => JSON.parse(readFileSync(path.join(dir, 'stack', 'stack.json'), 'utf8')) as StackState;

  afterAll(async () => {
    if (!dir) return;
    await stack(['--down', '--wipe']).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  test('up, a 3-segment chain paid once per segment, LongVideoState search, down', async () => {
    const started = Date.now();
    const { stdout } = await stack(['--dry-run', '--json']);
    const urls = JSON.parse(stdout.trim().split('\n').pop()!) as StackState['urls'];
    const upMs = Date.now() - started;
    const { processes } = state();
    expect(processes.map((p) => p.role)).toEqual([
      'postgresql',
      'temporal',
      'ui',
      'simulator',
      'receiver',
      'files',
      'worker-1',
      'worker-2',
      'worker-3',
    ]);
    expect(processes.every(isRecordedProcessAlive)).toBe(true);
    expect(urls.ui).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${urls.ui}/api/v1/namespaces/default`)).ok).toBe(true);

    const chain = await cli(
      [
        'start',
        '--id',
        'native-stack-chain',
        '--aspect-ratio',
        '16:9',
        '--prompt',
        'a paper boat',
        '--prompt',
        'it drifts away',
        '--prompt',
        'into the sunset',
        '--wait',
        '--json',
      ],
      urls.temporal,
    );
    const result = JSON.parse(chain.stdout) as {
      state: string;
      segmentsDone: number;
      outputUrls: { video: string };
    };
    expect(result).toMatchObject({ state: 'completed', segmentsDone: 3 });
    expect(result.outputUrls.video.startsWith(urls.files)).toBe(true);
    // What the provider charged, by its own ledger: one generate and two extends, nothing twice.
    const ledger = await new SimulatorAdmin(urls.simulator!, 'sim-admin-token').ledger();
    expect(ledger.map((e) => e.endpoint)).toEqual(['generate', 'extend', 'extend']);

    // Visibility is PostgreSQL's (eventually consistent): the chain is found by its search attribute.
    const deadline = Date.now() + 30_000;
    let listed: Array<{ workflowId: string; state: string }> = [];
    while (Date.now() < deadline) {
      listed = JSON.parse((await cli(['list', '--state', 'completed', '--json'], urls.temporal)).stdout);
      if (listed.length > 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(listed).toEqual([
      expect.objectContaining({ workflowId: 'native-stack-chain', state: 'completed' }),
    ]);
    const running = JSON.parse((await cli(['list', '--state', 'running', '--json'], urls.temporal)).stdout);
    expect(running).toEqual([]);

    const downStarted = Date.now();
    const down = await stack(['--down']);
    expect(down.stdout).toContain('production stack down');
    expect(processes.filter(isRecordedProcessAlive).map((p) => p.role)).toEqual([]);
    expect(existsSync(path.join(dir, 'stack', 'pg', 'PG_VERSION'))).toBe(true); // the data stays
    console.log(
      `production stack: up ${upMs} ms, chain + search ${downStarted - started - upMs} ms, down ${Date.now() - downStarted} ms`,
    );
  }, 300_000);
});
