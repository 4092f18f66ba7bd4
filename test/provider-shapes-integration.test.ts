/**
 * Chains against a provider that answers exactly like its docs page's examples (`--shapes docs`: no
 * videoInfo.taskId, parentTaskId, generateParam or failCode) and one that sends every optional field as
 * `null` (`--shapes nulls`), on the real stack, through the CLI as a user would. The simulator's ledger
 * judges what was paid; the stitched video's length is probed.
 */
import { probeVideo } from '../src/media/probe';
import type { LedgerEntry } from '../src/simulator/ledger';
import { eventually } from './support/simulator';
import { type Stack, type WorkerProcess, callbackEnv, startStack } from './support/stack';
import { quietRuntime } from './support/temporal';

jest.setTimeout(240_000);

const PROMPTS = ['a lighthouse at dusk', 'its lamp turns on', 'a ship answers', 'night falls'];
const MODERATOR = 'Your prompt was caught by our AI moderator.';

/** One stack per shape, with a worker that receives callbacks (their shape changes too). */
function useShapeStack(shapes: 'docs' | 'nulls' | 'mixed'): () => Stack {
  let stack: Stack;
  let worker: WorkerProcess;
  beforeAll(async () => {
    quietRuntime();
    stack = await startStack({ shapes });
    worker = await stack.startWorker(stack.workerEnv({ ...(await callbackEnv()), POLL_INTERVAL_MS: '300' }));
  });
  afterAll(async () => {
    await worker?.kill('SIGTERM');
    await stack?.stop();
  });
  beforeEach(() => stack.sim.admin.reset());
  return () => stack;
}

const promptArgs = (prompts: string[]) => prompts.flatMap((p) => ['--prompt', p]);

async function status(stack: Stack, id: string) {
  return JSON.parse((await stack.cli(['status', id, '--json'])).stdout);
}

function expectOneChargePerSegment(ledger: LedgerEntry[], segments: Array<{ taskId: string }>) {
  expect(ledger.map((e) => e.taskId)).toEqual(segments.map((s) => s.taskId));
  expect(ledger.map((e) => e.endpoint)).toEqual(['generate', 'extend', 'extend', 'extend']);
  ledger.slice(1).forEach((e, i) => expect(e.parentTaskId).toBe(ledger[i]!.taskId));
}

describe.each(['docs', 'nulls'] as const)('a provider answering in the %s shape', (shapes) => {
  const stack = useShapeStack(shapes);

  test('a 4-segment chain completes, one charge per segment, stitched to the right length', async () => {
    const id = `shape-${shapes}`;
    const run = await stack().cli([
      'start',
      '--aspect-ratio',
      '16:9',
      '--id',
      id,
      ...promptArgs(PROMPTS),
      '--wait',
      '--json',
    ]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(run.stdout);
    expect(result.state).toBe('completed');
    expectOneChargePerSegment(await stack().sim.admin.ledger(), result.segments);
    expect(result.creditsSpent).toBe((await stack().sim.admin.stats()).charged);
    const probe = await probeVideo(result.outputs.video);
    expect(Math.abs(probe.durationSeconds - 20)).toBeLessThanOrEqual(3 / 24); // within a frame per joint
  });
});

describe('a prompt the provider refuses (docs shape: the reason is only in failMsg)', () => {
  const stack = useShapeStack('docs');

  test('is paid once, then the chain pauses with the provider message; a redo with a new prompt finishes', async () => {
    await stack().sim.admin.setFaults({ moderatedWords: ['forbidden'] });
    const prompts = ['a calm sea', 'a forbidden dance', 'the sun sets'];
    const id = 'shape-moderated';
    expect(
      (await stack().cli(['start', '--aspect-ratio', '16:9', '--id', id, ...promptArgs(prompts)])).code,
    ).toBe(0);
    const paused = await eventually(async () => {
      const s = await status(stack(), id);
      return s.state === 'paused' ? s : undefined;
    }, 90_000);
    expect(paused.reason).toContain(`"${MODERATOR}"`);
    expect(paused.reason).toContain(`long-video redo ${id} --from 2 --prompt`);
    expect(paused.segments[1].pastAttempts).toEqual([expect.objectContaining({ attempt: 1, kind: 'input' })]);
    // Paid once for the refused prompt: the ledger has segment 1 and one try of segment 2, and no more.
    const ledger = await stack().sim.admin.ledger();
    expect(ledger.map((e) => e.prompt)).toEqual(['a calm sea', 'a forbidden dance']);
    expect(paused.creditsSpent).toBe(ledger.reduce((n, e) => n + e.cost, 0));

    expect((await stack().cli(['redo', id, '--from', '2', '--prompt', 'a quiet dance'])).code).toBe(0);
    expect((await stack().cli(['resume', id])).code).toBe(0);
    const done = await eventually(async () => {
      const s = await status(stack(), id);
      return s.state === 'completed' ? s : undefined;
    }, 90_000);
    const after = await stack().sim.admin.ledger();
    expect(after.map((e) => e.prompt)).toEqual([
      'a calm sea',
      'a forbidden dance',
      'a quiet dance',
      'the sun sets',
    ]);
    expect(done.creditsSpent).toBe(after.reduce((n, e) => n + e.cost, 0));
  });
});
