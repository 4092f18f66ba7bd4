/**
 * `npm run chaos -- --quick --json`: every fault drill, small, on the real stack (dev server, worker
 * processes, receiver, simulator over HTTP), on both providers. The drills' promise is checked on their
 * JSON: every chain completed (or paused with a reason), nothing paid twice, no segment lost, the rate
 * limit held, and on Runway's own API each clip started from the previous one's last frame.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ScenarioResult } from '../tools/drills/chaos-scenarios';
import type { OperatorDrillResult } from '../tools/drills/operator-sequences';

jest.setTimeout(15 * 60_000);
const run = promisify(execFile);

test('the quick chaos drills complete every chain without paying twice or losing a segment', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'long-video-chaos-'));
  try {
    const out = path.join(dir, 'chaos.json');
    const { stdout } = await run(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        path.join(__dirname, '..', 'tools', 'drills', 'chaos.ts'),
        '--quick',
        '--json',
        '--out',
        out,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const report = JSON.parse(stdout) as { scenarios: ScenarioResult[] };
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(report);
    // Every drill, on each provider: the reseller's API and Runway's own (last-frame continuity judged).
    for (const provider of ['kie-runway', 'runwayml']) {
      const mine = report.scenarios.filter((s) => s.provider === provider);
      checkDrills(provider, Object.fromEntries(mine.map((s) => [s.name.split(' ')[0], s])));
    }
    expect(report.scenarios).toHaveLength(10);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function checkDrills(provider: string, byName: Record<string, ScenarioResult>): void {
  expect({ provider, drills: Object.keys(byName) }).toEqual({
    provider,
    drills: ['R1', 'R2', 'R3', 'R4', 'R5'],
  });
  for (const s of Object.values(byName).filter((s) => !s.name.startsWith('R5'))) {
    expect({ provider, name: s.name, problems: s.problems }).toEqual({
      provider,
      name: s.name,
      problems: [],
    });
    expect(s.completed + s.paused).toBe(s.chains);
    expect(s.duplicateCharges).toBe(0);
    expect(s.lostSegments).toBe(0);
    expect(s.leakedSecrets).toBe(0);
    expect(s.auditedForSecrets).toBeGreaterThan(s.chains); // every history, and the output files
    expect(s.providerRequests).toBeGreaterThan(0);
    for (const reason of Object.keys(s.pausedReasons)) expect(reason.length).toBeGreaterThan(10);
  }
  // The disruptions really happened.
  expect(byName.R1!.events[0]).toMatch(/^[1-9]\d* workers killed and replaced/);
  expect(byName.R2!.events.join('\n')).toMatch(/server \d+ stopped, \d+ up after/);
  expect(byName.R3!.rateLimitPerWindow).toBeGreaterThan(0);
  expect(byName.R3!.maxRequestsPerWindow).toBeLessThanOrEqual(byName.R3!.rateLimitPerWindow);
  expect(byName.R4!.events.join('\n')).toMatch(/credits topped up after/);
  // Without faults to pause them, these drills must complete every chain.
  for (const name of ['R1', 'R2', 'R4']) expect(byName[name]!.completed).toBe(byName[name]!.chains);
  // R5: every operator sequence kept the promise (the ledger's invariants), and every chain settled.
  const r5 = byName.R5 as OperatorDrillResult;
  expect({ provider, violations: r5.violations, problems: r5.problems }).toEqual({
    provider,
    violations: [],
    problems: [],
  });
  expect(r5.sequences).toBe(6);
  expect(r5.actions.start).toBe(r5.sequences);
  expect(r5.completed + r5.paused + r5.cancelled).toBe(r5.sequences);
  expect(r5.runs.map((r) => r.seed)).toEqual(r5.runs.map((_, i) => r5.seed + i));
  const operatorActions = ['pause', 'resume', 'cancel', 'redo', 'redo-prompt', 'append', 'resume-raise'];
  expect(operatorActions.reduce((n, k) => n + (r5.actions[k] ?? 0), 0)).toBeGreaterThan(r5.sequences);
  // Worker kills under R5 on the reseller (see R5_QUICK_KILLS in tools/drills/chaos.ts for runwayml).
  if (provider === 'kie-runway') expect(r5.actions['worker killed'] ?? 0).toBeGreaterThan(0);
  else expect(r5.actions['worker killed']).toBeUndefined();
}
