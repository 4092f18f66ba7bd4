/**
 * `long-video demo` (what `npm start` runs): the local stack, a four-segment chain from
 * examples/storyboard.yaml with live progress, then the result and where to look at it.
 */
import path from 'node:path';
import { loadConfig } from '../config/config';
import { parseLongVideoInput } from '../chain/input';
import { connectClient, followChain, startChain } from '../client';
import { EXIT_FOR_STATE } from './exit-codes';
import { liveProgress } from './live-progress';
import { printOutputs, webUiLink } from './print';
import {
  beginDevState,
  clearDevState,
  readDevState,
  readDevStateFile,
  stopOrphans,
} from '../config/dev-state';
import { startLocalStack } from './local-stack';
import { readStoryboard } from './storyboard';
import { redactUrl } from '../chain/redact';
import { forTerminal } from './terminal-text';
import { UsageError, act, newCommand, numberOption } from './usage';

export const demoCommand = () =>
  newCommand('demo')
    .summary('the local stack and a chain with live progress (npm start)')
    .description(
      'Starts the local stack (Temporal dev server + Web UI, simulator, receiver, workers, and the file server of\n' +
        'the output folder), runs a chain from FILE (default examples/storyboard.yaml) with live progress, prints\n' +
        'the result with links to its files (http://127.0.0.1:8788 unless taken) and the Web UI link.',
    )
    .option('--prompts <file>', 'the storyboard (default examples/storyboard.yaml)')
    .addOption(numberOption('--time-scale <s>', "the simulator's time scale (default 0.02)"))
    .option('--keep-open', 'keep the stack up until Ctrl-C so you can browse it (the default on a terminal)')
    .option('--no-keep-open', 'stop the stack once the chain ends')
    .addHelpText(
      'after',
      '\nExit codes: 0 the chain completed, 1 failure (or the chain failed), 2 bad usage, 3 the chain was\n' +
        'cancelled, 5 the chain paused.',
    )
    .action(act(demo));

async function demo(values: { prompts?: string; timeScale?: number; keepOpen?: boolean }): Promise<number> {
  if (readDevState())
    throw new UsageError('a dev stack is already running here: stop it first (long-video dev --stop)');
  const board = await readStoryboard(
    values.prompts ?? path.join(__dirname, '..', '..', 'examples', 'storyboard.yaml'),
  );
  const timeScale = values.timeScale ?? 0.02;
  console.log('starting the local stack (Temporal dev server, simulator, receiver, workers, file server)…');
  for (const line of await stopOrphans(readDevStateFile())) console.log(line);
  const record = beginDevState();
  const stack = await startLocalStack({ timeScale, onProcess: (p) => record.addChild(p) }).catch((err) => {
    clearDevState();
    throw err;
  });
  record.ready({ env: stack.env, simulatorUrl: stack.simulator?.url });
  try {
    const config = loadConfig({ ...process.env, ...stack.env });
    const client = await connectClient(config);
    const input = parseLongVideoInput({ ...board, options: { pollIntervalMs: config.POLL_INTERVAL_MS } });
    const id = await startChain(client, input);
    console.log(`chain ${id}: ${input.prompts.length} segments`);
    console.log(`Web UI: ${webUiLink(config, id)}\n`);
    const display = liveProgress(id);
    const progress = await followChain(client, id, { onProgress: (p) => display.show(p) });
    display.close();
    console.log(`\n${progress.state}: ${progress.segmentsDone}/${progress.segmentsTotal} segments`);
    for (const s of progress.segments)
      console.log(
        `  ${s.index}. ${forTerminal(s.taskId ?? '-')}  ${forTerminal(s.archive?.url ?? redactUrl(s.videoUrl ?? ''))}`,
      );
    printOutputs(progress);
    console.log(`\nWeb UI: ${webUiLink(config, id)}`);
    const keepOpen = values.keepOpen ?? Boolean(process.stdin.isTTY);
    if (keepOpen) {
      console.log('The stack stays up so you can browse it; Ctrl-C to stop.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    } else {
      console.log(
        'History is kept in .data/temporal.db: `npx long-video dev` shows this chain in the Web UI again.',
      );
    }
    return EXIT_FOR_STATE[progress.state];
  } finally {
    clearDevState();
    await stack.stop();
  }
}
