/**
 * The chain commands as a user runs them (`long-video start | status | watch | list | cancel`) against
 * the real stack: exit codes, the JSON shapes scripts read, and early errors that cost nothing.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Stack, type WorkerProcess, startStack } from './support/stack';
import { eventually } from './support/simulator';
import { quietRuntime } from './support/temporal';

jest.setTimeout(120_000);

let stack: Stack;
let worker: WorkerProcess;
let dir: string;

beforeAll(async () => {
  quietRuntime();
  stack = await startStack();
  worker = await stack.startWorker(stack.workerEnv());
  dir = mkdtempSync(path.join(os.tmpdir(), 'long-video-cli-'));
});
afterAll(async () => {
  await worker?.kill('SIGTERM');
  await stack?.stop();
});

const cli = (args: string[]) => stack.cli(args, dir);

test('start --wait --json runs a chain from a YAML storyboard and prints the result', async () => {
  const file = path.join(dir, 'board.yaml');
  writeFileSync(
    file,
    'aspectRatio: "9:16"\nprompts:\n  - a lantern is lit\n  - prompt: moths gather\n  - the lantern goes out\n',
  );
  const { code, stdout } = await cli(['start', '--prompts', file, '--id', 'cli-yaml', '--wait', '--json']);
  expect(code).toBe(0);
  const result = JSON.parse(stdout);
  expect(result).toMatchObject({
    workflowId: 'cli-yaml',
    state: 'completed',
    segmentsDone: 3,
    segmentsTotal: 3,
  });
  expect(result.segments.map((s: { prompt: string }) => s.prompt)).toEqual([
    'a lantern is lit',
    'moths gather',
    'the lantern goes out',
  ]);
  const ledger = await stack.sim.admin.ledger();
  expect(result.segments.map((s: { taskId: string }) => s.taskId)).toEqual(
    ledger.slice(-3).map((e) => e.taskId),
  );
  expect(result.segments.every((s: { videoUrl: string }) => s.videoUrl.endsWith('.mp4'))).toBe(true);

  const status = await cli(['status', 'cli-yaml', '--json']);
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)).toEqual(result);
  const list = await cli(['list', '--state', 'completed', '--json']);
  expect(JSON.parse(list.stdout)).toContainEqual(
    expect.objectContaining({
      workflowId: 'cli-yaml',
      state: 'completed',
      segmentsDone: 3,
      creditsSpent: result.creditsSpent,
      maxCredits: null,
    }),
  );
  expect(result.creditsSpent).toBe(36);
  const people = await cli(['list', '--state', 'completed']);
  expect(people.stdout).toMatch(/^ID +STATE +SEGMENTS +CREDITS +STARTED$/m);
  expect(people.stdout).toMatch(/^cli-yaml +completed +3\/3 +36\/no cap +\d{4}-/m);
  expect((await cli(['status', 'cli-yaml'])).stdout).toContain('credits 36 spent / no cap');
});

test('start prints the id and the Web UI link; status shows the segments', async () => {
  const started = await cli([
    'start',
    '--prompt',
    'one',
    '--prompt',
    'two',
    '--aspect-ratio',
    '1:1',
    '--id',
    'cli-plain',
  ]);
  expect(started.code).toBe(0);
  expect(started.stdout).toContain('started cli-plain (2 segments)');
  expect(started.stdout).toContain('Web UI: http://127.0.0.1:8233/namespaces/default/workflows/cli-plain');
  const watched = await cli(['watch', 'cli-plain']);
  expect(watched.code).toBe(0);
  expect(watched.stdout).toMatch(/2\/2\s+completed/);
  const status = await cli(['status', 'cli-plain']);
  expect(status.stdout).toMatch(/✓\s+1 succeeded\s+one/);
});

test('cancel mid-chain: status says cancelled (exit 3) and keeps the finished segments', async () => {
  await cli([
    'start',
    '--aspect-ratio',
    '16:9',
    '--id',
    'cli-cancel',
    ...['a', 'b', 'c', 'd', 'e', 'f'].flatMap((p) => ['--prompt', p]),
  ]);
  await eventually(async () => {
    const s = JSON.parse((await cli(['status', 'cli-cancel', '--json'])).stdout);
    return s.segmentsDone >= 1 ? true : undefined;
  }, 60_000);
  const cancelled = await cli(['cancel', 'cli-cancel']);
  expect(cancelled.code).toBe(0);
  const status = await eventually(async () => {
    const r = await cli(['status', 'cli-cancel', '--json']);
    return JSON.parse(r.stdout).state === 'cancelled' ? r : undefined;
  });
  expect(status.code).toBe(3);
  const result = JSON.parse(status.stdout);
  expect(result.segments[0]).toMatchObject({ state: 'succeeded', videoUrl: expect.stringMatching(/\.mp4$/) });
  expect(result.segmentsDone).toBeLessThan(6);
  // Cancelling again changes nothing and says so, with the chain's state as the exit code.
  const again = await cli(['cancel', 'cli-cancel']);
  expect(again).toMatchObject({ code: 3, stdout: 'cli-cancel is already cancelled: nothing to cancel\n' });
  const completed = await cli(['cancel', 'cli-yaml']);
  expect(completed).toMatchObject({ code: 0, stdout: 'cli-yaml is already completed: nothing to cancel\n' });
});

test('bad input is refused before anything is started or paid (exit 2)', async () => {
  const before = (await stack.sim.admin.ledger()).length;
  const cases: Array<[string[], RegExp]> = [
    [
      ['start', '--prompt', 'x', '--duration', '10', '--quality', '1080p', '--aspect-ratio', '16:9'],
      /1080p is only available/,
    ],
    [['start', '--prompt', 'x'], /aspectRatio is required/],
    [['start', '--prompt', ' ', '--aspect-ratio', '16:9'], /prompt must not be empty/],
    [['start', '--prompt', 'x'.repeat(1801), '--aspect-ratio', '16:9'], /at most 1800/],
    [['start', '--aspect-ratio', '16:9'], /no prompts/],
    [['start', '--prompts', path.join(dir, 'missing.txt')], /cannot read prompts file/],
    [['start', '--prompt', 'x', '--aspect-ratio', '16:9', '--bogus'], /bogus/],
  ];
  cases.push([['start', '--prompt', 'x', '--aspect-ratio', '1:1', '--replace'], /--replace goes with --id/]);
  writeFileSync(path.join(dir, 'empty.txt'), '# only a comment\n\n');
  cases.push([['start', '--prompts', path.join(dir, 'empty.txt')], /holds no prompts/]);
  writeFileSync(path.join(dir, 'bad.json'), '{"prompts": [1, 2');
  cases.push([['start', '--prompts', path.join(dir, 'bad.json')], /not valid JSON/]);
  for (const [args, message] of cases) {
    const r = await cli(args);
    expect([args.join(' ').slice(0, 60), r.code]).toEqual([args.join(' ').slice(0, 60), 2]);
    expect(r.stderr).toMatch(message);
  }
  expect((await stack.sim.admin.ledger()).length).toBe(before);
});

const hashes = (files: string[]) =>
  files.map((f) => createHash('sha256').update(readFileSync(f)).digest('hex'));
const runId = async (id: string) => (await stack.client.workflow.getHandle(id).describe()).runId;

test('start --id of a finished chain is refused (exit 2), its deliverables untouched; --replace replaces them', async () => {
  const square = ['--aspect-ratio', '1:1', '--id', 'cli-again'];
  const first = await cli(['start', '--prompt', 'one', '--prompt', 'two', ...square, '--wait', '--json']);
  expect(first.code).toBe(0);
  const { video, manifest, report } = JSON.parse(first.stdout).outputs;
  const before = hashes([video, manifest, report]);
  const [paid, run] = [(await stack.sim.admin.ledger()).length, await runId('cli-again')];

  const again = await cli(['start', '--prompt', 'five seconds', ...square, '--wait']);
  expect(again.code).toBe(2);
  expect(again.stderr).toMatch(
    /^long-video start: chain cli-again already exists \(completed\) and a new chain with that id would overwrite its deliverables \(final.mp4, manifest.json, index.html\): choose another --id, or give --replace/,
  );
  expect(await runId('cli-again')).toBe(run); // nothing started
  expect((await stack.sim.admin.ledger()).length).toBe(paid); // nothing paid
  expect(hashes([video, manifest, report])).toEqual(before); // nothing overwritten

  const replaced = await cli([
    'start',
    '--prompt',
    'five seconds',
    ...square,
    '--replace',
    '--wait',
    '--json',
  ]);
  expect(replaced.code).toBe(0);
  const result = JSON.parse(replaced.stdout);
  expect(result).toMatchObject({ workflowId: 'cli-again', state: 'completed', segmentsTotal: 1 });
  expect(result.outputs).toEqual({ video, manifest, report }); // the same folder, new files
  expect(JSON.parse(readFileSync(manifest, 'utf8')).segments).toEqual([
    expect.objectContaining({ prompt: 'five seconds' }),
  ]);
  expect(hashes([video])).not.toEqual(before.slice(0, 1));
});

test('start --id of an open chain is refused with or without --replace; a failed one points to resume', async () => {
  const args = ['--aspect-ratio', '1:1', '--prompt', 'a', '--prompt', 'b'];
  // A budget of 1 credit pauses the chain before its first call: open, and paying nothing.
  expect((await cli(['start', ...args, '--id', 'cli-open', '--max-credits', '1'])).code).toBe(0);
  const run = await runId('cli-open');
  for (const extra of [[], ['--replace']]) {
    const r = await cli(['start', ...args, '--id', 'cli-open', ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'chain cli-open is still open (running or paused): a chain with that id cannot start until it ends (`long-video cancel cli-open` first, or choose another --id)',
    );
  }
  expect(await runId('cli-open')).toBe(run);
  // A script that wants to stop at a pause says so; its one line tells why and what goes on.
  const watched = await cli(['watch', 'cli-open', '--until-pause']);
  expect(watched.code).toBe(5);
  expect(watched.stdout).toMatch(
    /^cli-open {2}0\/2 {2}paused {2}credits 0 spent \/ 1 cap {2}.*continue: long-video resume cli-open\n$/,
  );
  expect((await cli(['cancel', 'cli-open'])).code).toBe(0);
  const cancelled = await eventually(async () => {
    const r = await cli(['start', ...args, '--id', 'cli-open']);
    return /\(cancelled\)/.test(r.stderr) ? r : undefined;
  });
  expect(cancelled.code).toBe(2);
  expect(cancelled.stderr).toContain(
    'choose another --id, `long-video resume cli-open` to go on with it, or give --replace',
  );
});

test('an unknown chain id is exit 4 for every command that takes one', async () => {
  const commands = [
    ['status'],
    ['watch'],
    ['cancel'],
    ['pause'],
    ['resume'],
    ['redo', '--from', '1'],
    ['append', '--prompt', 'more'],
  ];
  for (const [name, ...rest] of commands) {
    const r = await cli([name!, 'no-such-chain', ...rest]);
    expect([name, r.code]).toEqual([name, 4]);
    expect(r.stderr).toMatch(
      new RegExp(`^long-video ${name}: no (running )?chain with id no-such-chain\\n$`),
    );
  }
});
