/**
 * `long-video watch` as a person sees it: a 40-segment chain watched in a real 80×24 terminal (tmux on a
 * private socket), captured again and again. Every capture shows the bar and the active segment's row;
 * a pause is shown with its reason and the command that goes on while watch keeps running, and drawn
 * again to fit when the window shrinks; after the resume, watch exits 0 when the chain completes.
 * Without tmux the test is skipped, with a warning.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseLongVideoInput } from '../src/chain/input';
import { startChain } from '../src/client';
import { CLI_BIN } from '../tools/lab/worker-process';
import { type Stack, type WorkerProcess, callbackEnv, startStack } from './support/stack';
import { quietRuntime } from './support/temporal';

jest.setTimeout(240_000);

const run = promisify(execFile);
const TMUX = ['/usr/bin/tmux', ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, 'tmux'))].find(
  (p) => existsSync(p),
);
if (!TMUX) console.warn('watch-tmux.test.ts: SKIPPED, no tmux found (apt-get install tmux)');
const withTmux = TMUX ? test : test.skip;

const SEGMENTS = 40;
const ID = 'watch-tmux';
const SOCKET = `long-video-watch-${process.pid}-${randomBytes(4).toString('hex')}`;
const tmux = (...args: string[]) => run(TMUX!, ['-L', SOCKET, '-f', '/dev/null', ...args]);

let stack: Stack;
let worker: WorkerProcess;
beforeAll(async () => {
  if (!TMUX) return;
  quietRuntime();
  stack = await startStack({ timeScale: 0.005, media: 'shared' });
  worker = await stack.startWorker(stack.workerEnv(await callbackEnv()));
});
afterAll(async () => {
  if (TMUX) await tmux('kill-server').catch(() => undefined);
  await worker?.kill('SIGTERM');
  await stack?.stop();
});

const capture = async () => (await tmux('capture-pane', '-p', '-t', 'watch')).stdout;

/** What one capture shows: the bar's count and state, whether the active segment's row is there. */
function read(screen: string) {
  const bar = screen.match(/\[[#-]+\] (\d+)\/40 {2}(\w+)/);
  if (!bar) return undefined;
  const done = Number(bar[1]);
  const active = Math.min(done + 1, SEGMENTS);
  const row = new RegExp(`^ {2}\\S +${active} (pending|submitting|generating|succeeded)`, 'm');
  return { done, state: bar[2]!, activeRowShown: row.test(screen) };
}

withTmux('watch fits 80×24, follows a pause through to the end and exits 0', async () => {
  const prompts = Array.from({ length: SEGMENTS }, (_, i) => `scene ${i + 1} of the river`);
  const input = parseLongVideoInput({
    prompts,
    aspectRatio: '16:9',
    options: { pollIntervalMs: 200, deliver: false },
  });
  await startChain(stack.client, input, ID);

  const env = {
    TEMPORAL_ADDRESS: stack.server.address,
    TEMPORAL_NAMESPACE: stack.server.namespace,
    PATH: process.env.PATH ?? '',
  };
  await tmux(
    'new-session',
    '-d',
    '-x',
    '80',
    '-y',
    '24',
    '-s',
    'watch',
    ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    // The shell stays after watch so that its exit code can be read on the screen, on the line a prompt
    // would take (no newline: the frame is drawn to leave that line and no more).
    `'${process.execPath}' '${CLI_BIN}' watch ${ID}; printf "watch exited %s" $?; sleep 600`,
  );

  let frames = 0;
  let torn = 0;
  /**
   * Capture until `until` holds (or the deadline), checking each capture once the first frame is drawn.
   * A capture taken mid-redraw may lack the lower lines: then the next one, at once, must be whole.
   */
  const watchUntil = async (until: (screen: string) => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let screen = await capture();
      let shown = read(screen);
      if (frames > 0 && !(shown?.activeRowShown ?? false)) {
        torn++;
        screen = await capture();
        shown = read(screen);
        if (!shown?.activeRowShown) throw new Error(`the bar or the active segment is missing:\n${screen}`);
      }
      if (shown) frames++;
      if (until(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms:\n${screen}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  await watchUntil((s) => (read(s)?.done ?? 0) >= 8, 60_000);
  const paused = await stack.cli(['pause', ID, '--reason', 'checking the look']);
  expect(paused.code).toBe(0);
  const pausedScreen = await watchUntil((s) => read(s)?.state === 'paused', 30_000);
  expect(pausedScreen).toContain('paused: checking the look');
  expect(pausedScreen).toContain(`continue: long-video resume ${ID}`);
  // Watch keeps running through the pause: `status` (a process of its own, longer than watch's
  // interval between reads) sees the chain paused, and the screen still has no exit.
  expect((await stack.cli(['status', ID])).code).toBe(5);
  const stillPaused = await watchUntil(() => true, 1_000);
  expect(read(stillPaused)?.state).toBe('paused');
  expect(stillPaused).not.toContain('watch exited');

  // A smaller window: the frame is drawn again to fit it.
  await tmux('resize-window', '-t', 'watch', '-x', '60', '-y', '16');
  const fitted = (s: string) => s.split('\n').every((l) => Array.from(l).length < 60);
  const small = await watchUntil((s) => fitted(s) && s.includes('continue: long-video resume'), 10_000);
  expect(small.trimEnd().split('\n').length).toBeLessThanOrEqual(15);
  expect(small).toMatch(/… \d+ more below/);

  expect((await stack.cli(['resume', ID])).code).toBe(0);
  const end = await watchUntil((s) => s.includes('watch exited'), 120_000);
  expect(end).toContain('watch exited 0');
  expect(read(end)).toMatchObject({ done: SEGMENTS, state: 'completed', activeRowShown: true });
  expect(end).toMatch(/^credits 480 spent \/ no cap$/m);
  expect(fitted(end)).toBe(true);
  console.log(`watch-tmux: ${frames} captures with the bar and the active row, ${torn} taken mid-redraw`);

  // Each segment paid once.
  const ledger = await stack.sim.admin.ledger();
  expect(new Set(ledger.map((e) => e.prompt)).size).toBe(SEGMENTS);
  expect(ledger).toHaveLength(SEGMENTS);
});
