/**
 * `long-video demo` (what `npm start` runs): the local stack, a four-segment chain from
 * examples/storyboard.yaml with live progress, then the result and where to look at it.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config';
import { parseLongVideoInput } from '../chain/input';
import { EXIT, connectClient, followChain, printOutputs, startChain, webUiLink } from './chains';
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
import { UsageError } from './usage';

export const DEMO_USAGE = `long-video demo [--prompts FILE] [--time-scale S] [--keep-open]

Starts the local stack (Temporal dev server + Web UI, simulator, receiver, workers), runs a chain from
FILE (default examples/storyboard.yaml) with live progress, prints the result and the Web UI link.
With --keep-open (the default on a terminal) the stack stays up until Ctrl-C so you can browse it.`;

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      prompts: { type: 'string' },
      'time-scale': { type: 'string' },
      'keep-open': { type: 'boolean' },
      'no-keep-open': { type: 'boolean' },
    },
  });
  if (readDevState())
    throw new UsageError('a dev stack is already running here: stop it first (long-video dev --stop)');
  const board = await readStoryboard(
    values.prompts ?? path.join(__dirname, '..', '..', 'examples', 'storyboard.yaml'),
  );
  const timeScale = Number(values['time-scale'] ?? 0.02);
  console.log('starting the local stack (Temporal dev server, simulator, receiver, workers)…');
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
    const progress = await followChain(client, id);
    console.log(`\n${progress.state}: ${progress.segmentsDone}/${progress.segmentsTotal} segments`);
    for (const s of progress.segments)
      console.log(
        `  ${s.index}. ${forTerminal(s.taskId ?? '-')}  ${forTerminal(redactUrl(s.videoUrl ?? ''))}`,
      );
    printOutputs(progress);
    console.log(`\nWeb UI: ${webUiLink(config, id)}`);
    const keepOpen = values['keep-open'] ?? (!values['no-keep-open'] && Boolean(process.stdin.isTTY));
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
    return EXIT[progress.state];
  } finally {
    clearDevState();
    await stack.stop();
  }
}
