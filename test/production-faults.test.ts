/**
 * Crashes on the native production stack (tools/production/, dry run): the Temporal server SIGKILLed
 * mid-chain and started again by `--restart temporal`, then two of the three workers SIGKILLed mid-chain
 * and never replaced. Each time four 4-segment chains must complete with every segment charged exactly
 * once by the simulator's own ledger, and each chain's creditsSpent must equal what the ledger charged it.
 * Skipped loudly without the binaries of scripts/build-temporal.sh and PostgreSQL, as
 * test/production-stack.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SimulatorAdmin } from '../src/simulator/admin-client';
import type { LedgerEntry } from '../src/simulator/ledger';
import { type RecordedProcess, isRecordedProcessAlive } from '../src/temporal/processes';
import type { StackState } from '../tools/production/stack';
import { type ScratchStack, describeWhenStackBuilt, scratchStack } from './support/production-stack';

const maybe = describeWhenStackBuilt('test/production-faults.test.ts');

const CHAINS = 4;
const SEGMENTS = 4;
// Wall seconds per provider second: a segment takes about 60 provider seconds, so about 4.8 s here and
// a chain about 20 s: the crash lands with every chain mid-flight.
const TIME_SCALE = 0.08;

interface ChainResult {
  workflowId: string;
  state: string;
  segmentsDone: number;
  creditsSpent: number;
  segments: Array<{ prompt: string; attempts: number }>;
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

maybe('the native production stack survives crashes (dry run)', () => {
  let scratch: ScratchStack | undefined;
  let urls: StackState['urls'];
  let admin: SimulatorAdmin;
  const prompt = (run: string, chain: number, segment: number) => `${run} chain ${chain} segment ${segment}`;

  beforeAll(async () => {
    scratch = scratchStack('production-faults-');
    const started = Date.now();
    const { stdout } = await scratch.stack(['--dry-run', '--json']);
    urls = JSON.parse(stdout.trim().split('\n').pop()!) as StackState['urls'];
    admin = new SimulatorAdmin(urls.simulator!, 'sim-admin-token');
    await admin.clock({ timeScale: TIME_SCALE });
    console.log(`production faults: stack up in ${Date.now() - started} ms`);
  }, 240_000);
  afterAll(() => scratch?.remove(), 150_000);

  const processOf = (role: string): RecordedProcess => {
    const p = scratch!.state().processes.find((x) => x.role === role);
    if (!p || !isRecordedProcessAlive(p)) throw new Error(`${role} is not running`);
    return p;
  };
  /** SIGKILL, no grace: a host lost, not a shutdown. */
  const kill = async (role: string) => {
    const p = processOf(role);
    process.kill(p.pid, 'SIGKILL');
    await until(`${role} to die`, async () => (isRecordedProcessAlive(p) ? undefined : true), 10_000);
  };
  const ledgerOf = async (run: string): Promise<LedgerEntry[]> =>
    (await admin.ledger()).filter((e) => e.prompt.startsWith(`${run} `));

  /** Start the chains and wait until each has been charged for a segment and none is charged for all. */
  const startChains = async (run: string) => {
    for (let c = 1; c <= CHAINS; c++) {
      const prompts = Array.from({ length: SEGMENTS }, (_, s) => ['--prompt', prompt(run, c, s + 1)]).flat();
      await scratch!.cli(
        ['start', '--id', `${run}-${c}`, '--aspect-ratio', '16:9', ...prompts],
        urls.temporal,
      );
    }
    const charged = await until(
      'a charge for every chain',
      async () => {
        const ledger = await ledgerOf(run);
        const chains = new Set(ledger.map((e) => e.prompt.split(' segment ')[0]));
        return chains.size === CHAINS ? ledger : undefined;
      },
      60_000,
    );
    // Mid-flight: no chain is past its last create.
    expect(charged.filter((e) => e.prompt.endsWith(`segment ${SEGMENTS}`))).toEqual([]);
  };

  /** Every chain completed, every segment charged exactly once, creditsSpent as charged. */
  const expectChainsPaidOnce = async (run: string) => {
    const results = await Promise.all(
      Array.from({ length: CHAINS }, async (_, i) => {
        const { stdout } = await scratch!.cli(['watch', `${run}-${i + 1}`, '--json'], urls.temporal);
        return JSON.parse(stdout) as ChainResult;
      }),
    );
    const ledger = await ledgerOf(run);
    const chargesPerPrompt = new Map<string, number>();
    for (const e of ledger) chargesPerPrompt.set(e.prompt, (chargesPerPrompt.get(e.prompt) ?? 0) + 1);
    const expected = new Map<string, number>();
    for (let c = 1; c <= CHAINS; c++) {
      for (let s = 1; s <= SEGMENTS; s++) expected.set(prompt(run, c, s), 1);
    }
    expect(Object.fromEntries(chargesPerPrompt)).toEqual(Object.fromEntries(expected));
    for (const [i, result] of results.entries()) {
      expect(result).toMatchObject({
        workflowId: `${run}-${i + 1}`,
        state: 'completed',
        segmentsDone: SEGMENTS,
      });
      const charged = ledger
        .filter((e) => e.prompt.startsWith(`${run} chain ${i + 1} `))
        .reduce((sum, e) => sum + e.cost, 0);
      expect(charged).toBeGreaterThan(0);
      expect(result.creditsSpent).toBe(charged);
    }
  };

  test('the Temporal server SIGKILLed mid-chain and restarted: every chain completes, paid once', async () => {
    const started = Date.now();
    await startChains('server-kill');
    const before = processOf('temporal');
    await kill('temporal');
    const killedAt = Date.now();
    const { stdout } = await scratch!.stack(['--restart', 'temporal']);
    const after = processOf('temporal');
    expect(stdout).toContain(`restarted temporal (pid ${after.pid})`);
    expect(after.pid).not.toBe(before.pid);
    const restartMs = Date.now() - killedAt;
    // What the restart reads keeps no secret: not the provider key, not the database password.
    const kept = JSON.stringify(scratch!.state().launches);
    expect(kept).toContain('"role":"simulator"');
    const { postgresPassword } = JSON.parse(
      readFileSync(path.join(scratch!.dir, 'stack', 'secrets.json'), 'utf8'),
    ) as { postgresPassword: string };
    expect(kept).not.toContain('sim-dry-run-key');
    expect(kept).not.toContain(postgresPassword);
    await expectChainsPaidOnce('server-kill');
    console.log(
      `production faults: server kill: down for ${restartMs} ms (restart included), test ${Date.now() - started} ms`,
    );
  }, 200_000);

  test('two of three workers SIGKILLed mid-chain: every chain completes on the last one, paid once', async () => {
    const started = Date.now();
    await startChains('worker-loss');
    await kill('worker-1');
    await kill('worker-2');
    await expectChainsPaidOnce('worker-loss');
    expect(isRecordedProcessAlive(processOf('worker-3'))).toBe(true);
    // A lost worker comes back as it was started, and says it is ready again.
    const { stdout } = await scratch!.stack(['--restart', 'worker-1']);
    expect(stdout).toContain(`restarted worker-1 (pid ${processOf('worker-1').pid})`);
    console.log(`production faults: worker loss: test ${Date.now() - started} ms`);
  }, 200_000);
});
