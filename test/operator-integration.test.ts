/**
 * Operator control on the real stack, through the CLI, with the simulator's ledger as the judge of what
 * was paid: credits running out and a top-up, a redo from segment k, and resuming a cancelled chain.
 */
import type { LedgerEntry } from '../src/simulator/ledger';
import { useStackWithWorker } from './support/stack';
import { eventually } from './support/simulator';

jest.setTimeout(180_000);

const useStack = useStackWithWorker();

const prompts = (n: number) => Array.from({ length: n }, (_, i) => ['--prompt', `shot ${i + 1}`]).flat();

async function statusOf(id: string) {
  const r = await useStack().cli(['status', id, '--json']);
  return { code: r.code, ...JSON.parse(r.stdout) };
}

async function until(id: string, check: (s: Awaited<ReturnType<typeof statusOf>>) => boolean) {
  return eventually(async () => {
    const s = await statusOf(id);
    return check(s) ? s : undefined;
  }, 90_000);
}

/** Each extension continues the previous charged task of the final chain. */
function expectChainOfCharges(ledger: LedgerEntry[], taskIds: string[]) {
  const byTask = new Map(ledger.map((e) => [e.taskId, e]));
  taskIds.forEach((id, i) => {
    expect(byTask.get(id)?.endpoint).toBe(i === 0 ? 'generate' : 'extend');
    if (i > 0) expect(byTask.get(id)!.parentTaskId).toBe(taskIds[i - 1]);
  });
}

test('credits run out mid-chain: paused with 402; top up and resume: one charge per segment', async () => {
  await useStack().sim.admin.setCredits(30); // two 12-credit segments, then 402
  expect(
    (await useStack().cli(['start', '--aspect-ratio', '16:9', '--id', 'op-credits', ...prompts(4)])).code,
  ).toBe(0);
  const paused = await until('op-credits', (s) => s.state === 'paused');
  expect(paused.code).toBe(5);
  expect(paused.reason).toMatch(/out of credits: .*402/);
  const list = JSON.parse((await useStack().cli(['list', '--state', 'paused', '--json'])).stdout);
  expect(list).toContainEqual(
    expect.objectContaining({ workflowId: 'op-credits', state: 'paused', segmentsDone: 2 }),
  );
  const charged = (await useStack().sim.admin.ledger()).length;
  await new Promise((r) => setTimeout(r, 1500));
  expect((await useStack().sim.admin.ledger()).length).toBe(charged); // the ledger stops growing

  await useStack().sim.admin.setCredits(1000);
  const resumed = await useStack().cli(['resume', 'op-credits']);
  expect(resumed.stdout).toContain('resumed op-credits at 2/4 segments');
  const done = await until('op-credits', (s) => s.state === 'completed');
  const ledger = await useStack().sim.admin.ledger();
  expect(ledger).toHaveLength(4);
  expectChainOfCharges(
    ledger,
    done.segments.map((s: { taskId: string }) => s.taskId),
  );
});

test('pause from the CLI stops the ledger; redo from k pays exactly for k..end again', async () => {
  await useStack().cli(['start', '--aspect-ratio', '1:1', '--id', 'op-redo', ...prompts(8)]);
  await until('op-redo', (s) => s.segmentsDone >= 2);
  const pause = await useStack().cli(['pause', 'op-redo', '--reason', 'shot 2 looks wrong']);
  expect(pause.stdout).toMatch(/paused op-redo at \d\/8 segments \(shot 2 looks wrong\)/);
  await until('op-redo', (s) => s.segments.every((x: { state: string }) => x.state !== 'generating'));
  const before = await useStack().sim.admin.ledger();
  await new Promise((r) => setTimeout(r, 1500));
  expect(await useStack().sim.admin.ledger()).toHaveLength(before.length);

  const redo = await useStack().cli(['redo', 'op-redo', '--from', '2', '--prompt', 'shot 2, take two']);
  expect(redo.stdout).toContain("segments 2..8 will be generated again, from segment 1's task");
  await useStack().cli(['resume', 'op-redo']);
  const done = await until('op-redo', (s) => s.state === 'completed');
  const after = (await useStack().sim.admin.ledger()).slice(before.length);
  const rest = Array.from({ length: 6 }, (_, i) => `shot ${i + 3}`);
  expect(after.map((e) => e.prompt)).toEqual(['shot 2, take two', ...rest]);
  expect(after[0]!.parentTaskId).toBe(done.segments[0].taskId); // segment 1 is not paid again
  expectChainOfCharges(
    [...before, ...after],
    done.segments.map((s: { taskId: string }) => s.taskId),
  );
});

test('append adds segments to a running chain', async () => {
  await useStack().cli(['start', '--aspect-ratio', '16:9', '--id', 'op-append', ...prompts(2)]);
  const appended = await useStack().cli(['append', 'op-append', '--prompt', 'encore', '--prompt', 'finale']);
  expect(appended.stdout).toContain('appended 2 segment(s); the chain now has 4');
  const done = await until('op-append', (s) => s.state === 'completed');
  expect(done.segments.map((s: { prompt: string }) => s.prompt)).toEqual([
    'shot 1',
    'shot 2',
    'encore',
    'finale',
  ]);
  expect(await useStack().sim.admin.ledger()).toHaveLength(4);
});

test('resume of a cancelled chain starts a new run that pays nothing for what was done', async () => {
  await useStack().cli(['start', '--aspect-ratio', '16:9', '--id', 'op-cancelled', ...prompts(4)]);
  await until('op-cancelled', (s) => s.segmentsDone >= 2);
  await useStack().cli(['cancel', 'op-cancelled']);
  const cancelled = await until('op-cancelled', (s) => s.state === 'cancelled');
  const done = cancelled.segments.filter((s: { state: string }) => s.state === 'succeeded');

  const resumed = await useStack().cli(['resume', 'op-cancelled']);
  expect(resumed.stdout).toContain(
    `started a new run of op-cancelled from ${done.length}/4 finished segments`,
  );
  const completed = await until('op-cancelled', (s) => s.state === 'completed');
  // The same segments, same tasks; a file the cancel interrupted is archived by the new run.
  const withoutArchive = ({ archiveUrl: _, ...s }: { archiveUrl: unknown }) => s;
  expect(completed.segments.slice(0, done.length).map(withoutArchive)).toEqual(done.map(withoutArchive));
  expect(completed.segments.filter((s: { archiveUrl: unknown }) => !s.archiveUrl)).toEqual([]);
  const ledger = await useStack().sim.admin.ledger();
  expect(ledger).toHaveLength(4); // a task in flight at cancel time was awaited, not bought again
  expectChainOfCharges(
    ledger,
    completed.segments.map((s: { taskId: string }) => s.taskId),
  );
});

test('a budget holds over cancel and resume; the spend reported is the ledger', async () => {
  const spent = async () => (await useStack().sim.admin.ledger()).reduce((sum, e) => sum + e.cost, 0);
  const start = ['start', '--aspect-ratio', '16:9', '--id', 'op-budget', '--max-credits', '24'];
  expect((await useStack().cli([...start, ...prompts(4)])).code).toBe(0);
  const paused = await until('op-budget', (s) => s.state === 'paused');
  expect(paused.reason).toMatch(/budget: segment 3 costs 12 credits and 24 of 24 are spent/);
  await useStack().cli(['cancel', 'op-budget']);
  await until('op-budget', (s) => s.state === 'cancelled');

  // A new run of the closed chain: it has spent 24 already, so the cap of 24 stops it at once.
  expect((await useStack().cli(['resume', 'op-budget'])).code).toBe(0);
  const again = await until('op-budget', (s) => s.state !== 'running');
  expect(again.state).toBe('paused');
  expect(again.reason).toMatch(/budget: segment 3 costs 12 credits and 24 of 24 are spent/);
  await new Promise((r) => setTimeout(r, 1500));
  expect(await spent()).toBe(24);
  expect((await statusOf('op-budget')).creditsSpent).toBe(24);

  // A raised cap, cancelled again before it is used up: the next run keeps the raised cap, not the first.
  await useStack().cli(['resume', 'op-budget', '--max-credits', '36']);
  await until('op-budget', (s) => s.state === 'paused' && s.segmentsDone === 3);
  await useStack().cli(['cancel', 'op-budget']);
  await until('op-budget', (s) => s.state === 'cancelled');
  await useStack().cli(['resume', 'op-budget']);
  const third = await until('op-budget', (s) => s.state === 'paused');
  expect(third.reason).toMatch(/budget: segment 4 costs 12 credits and 36 of 36 are spent/);
  expect(await spent()).toBe(36);
  expect(third.creditsSpent).toBe(36);

  await useStack().cli(['resume', 'op-budget', '--max-credits', '48']);
  const done = await until('op-budget', (s) => s.state === 'completed');
  expect(await spent()).toBe(48);
  expect(done.creditsSpent).toBe(48);
  expect(await useStack().sim.admin.ledger()).toHaveLength(4);
});

test('cancel while a slow create is in flight, then resume: every segment is charged once', async () => {
  // Every answer takes 3 s (a create's task exists from the start): segment 2 is caught \`submitting\`.
  await useStack().sim.admin.setFaults({ slowProbability: 1, slowMs: 3_000 });
  await useStack().cli(['start', '--aspect-ratio', '16:9', '--id', 'op-cancel-create', ...prompts(3)]);
  await until('op-cancel-create', (s) => s.segments[1].state === 'submitting');
  await useStack().cli(['cancel', 'op-cancel-create']);
  const cancelled = await until('op-cancel-create', (s) => s.state === 'cancelled');
  // The create sent before the cancel answered, and its task is the segment's.
  expect(cancelled.segments[1]).toMatchObject({ state: 'generating', taskId: expect.any(String) });
  expect(await useStack().sim.admin.ledger()).toHaveLength(2);
  await useStack().sim.admin.setFaults({ slowProbability: 0 });

  expect((await useStack().cli(['resume', 'op-cancel-create'])).code).toBe(0);
  const done = await until('op-cancel-create', (s) => s.state === 'completed');
  const ledger = await useStack().sim.admin.ledger();
  expect(ledger).toHaveLength(3);
  expect(done.segments[1].taskId).toBe(cancelled.segments[1].taskId);
  expect(done.creditsSpent).toBe(ledger.reduce((sum, e) => sum + e.cost, 0));
  expectChainOfCharges(
    ledger,
    done.segments.map((s: { taskId: string }) => s.taskId),
  );
});

test('operator mistakes get clear errors', async () => {
  const cases: Array<[string[], number, RegExp]> = [
    [['resume', 'op-nothing'], 4, /no chain with id op-nothing/],
    [['pause', 'op-nothing'], 4, /no running chain with id op-nothing/],
    [['redo', 'op-append', '--from', '0'], 2, /--from K/],
    [['append', 'op-append'], 2, /no prompts/],
  ];
  for (const [args, code, message] of cases) {
    const r = await useStack().cli(args);
    expect([args, r.code]).toEqual([args, code]);
    expect(r.stderr).toMatch(message);
  }
});
