/** `long-video start`: validate a chain's input, start it, and optionally follow it to the end. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config';
import { InvalidChainInput, parseLongVideoInput } from '../chain/input';
import {
  EXIT,
  chainSummary,
  connectClient,
  followChain,
  printOutputs,
  startChain,
  webUiLink,
} from './chains';
import { describePrices, estimateCredits } from './budget';
import { readStoryboard } from './storyboard';
import { UsageError, decimalOption } from './usage';

export const START_USAGE = `long-video start (--prompt TEXT ... | --prompts FILE) [options]

Starts a long-video chain: segment 1 is generated, each further prompt extends the previous segment.

  --prompt TEXT               a prompt; repeat for each segment, in order
  --prompts FILE              one prompt per line, or a JSON/YAML storyboard
  --duration 5|10             first segment's length (default 5)
  --quality 720p|1080p        (default 720p; 1080p only with 5 s)
  --aspect-ratio R            16:9, 4:3, 1:1, 3:4, 9:16 (required without --image-url)
  --image-url URL             animate this image (image-to-video)
  --watermark TEXT            drawn bottom-right
  --id ID                     workflow id (default long-video-<time>-<random>); refused (exit 2) when
                              a chain with that id exists, running or closed: its deliverables are
                              under OUTPUT_DIR/<folder of ID>/ and would be overwritten
  --replace                   with --id: start all the same over a closed chain of that id; the new
                              chain's final.mp4, manifest.json and index.html replace the old ones (its
                              segment files stay until deleted). A running chain is never replaced.
  --max-task-failures K       resubmits of a segment whose task fails (default 2)
  --poll-interval-ms N        between looks at a generating task (default POLL_INTERVAL_MS or 6000)
  --callback-grace-ms N       wait for an ambiguous create's callback (default 900000)
  --ambiguous-create stop|resubmit
                              when a create may have made a task we cannot find (default stop)
  --max-credits N             pause before a call would take the chain over N credits
  --trim-boundary-frame       drop each extension's first frame when stitching
  --crossfade S               crossfade S seconds at each joint when stitching
  --dry-run                   print the estimated credits and start nothing
  --wait                      follow the chain with live progress until it ends
  --json                      with --wait: print only the final result as JSON

Exit codes with --wait: 0 completed, 1 failed, 3 cancelled; 2 for bad usage or an id in use.`;

export async function startCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      prompt: { type: 'string', multiple: true },
      prompts: { type: 'string' },
      duration: { type: 'string' },
      quality: { type: 'string' },
      'aspect-ratio': { type: 'string' },
      'image-url': { type: 'string' },
      watermark: { type: 'string' },
      id: { type: 'string' },
      replace: { type: 'boolean' },
      'max-task-failures': { type: 'string' },
      'poll-interval-ms': { type: 'string' },
      'callback-grace-ms': { type: 'string' },
      'ambiguous-create': { type: 'string' },
      'max-credits': { type: 'string' },
      'trim-boundary-frame': { type: 'boolean' },
      crossfade: { type: 'string' },
      'dry-run': { type: 'boolean' },
      wait: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const config = loadConfig();
  if (values.replace && values.id === undefined)
    throw new UsageError('--replace goes with --id: the id of the closed chain to replace');
  if (values.prompt && values.prompts) throw new UsageError('use --prompt or --prompts, not both');
  const board = values.prompts ? await readStoryboard(values.prompts) : { prompts: values.prompt ?? [] };
  if (board.prompts.length === 0)
    throw new UsageError('no prompts: give --prompt TEXT (repeatable) or --prompts FILE');
  const num = decimalOption;
  const defined = <T extends object>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  let input;
  try {
    input = parseLongVideoInput({
      ...board,
      ...defined({
        duration: num(values.duration),
        quality: values.quality,
        aspectRatio: values['aspect-ratio'],
        imageUrl: values['image-url'],
        waterMark: values.watermark,
      }),
      options: defined({
        maxTaskFailures: num(values['max-task-failures']),
        pollIntervalMs: num(values['poll-interval-ms']) ?? config.POLL_INTERVAL_MS,
        callbackGraceMs: num(values['callback-grace-ms']),
        ambiguousCreatePolicy: values['ambiguous-create'],
        maxCredits: num(values['max-credits']),
        trimBoundaryFrame: values['trim-boundary-frame'],
        crossfadeSeconds: num(values.crossfade),
      }),
    });
  } catch (err) {
    if (err instanceof InvalidChainInput) throw new UsageError(err.message);
    throw err;
  }

  const estimate = estimateCredits(input);
  if (values['dry-run']) {
    if (values.json)
      console.log(JSON.stringify({ segments: input.prompts.length, estimatedCredits: estimate }));
    else
      console.log(
        `${input.prompts.length} segments: ${estimate} credits estimated (${describePrices(input)}); nothing started`,
      );
    return 0;
  }
  const client = await connectClient(config);
  const workflowId = await startChain(client, input, values.id, { replace: values.replace });
  const link = webUiLink(config, workflowId);
  if (!values.json) {
    console.log(`started ${workflowId} (${input.prompts.length} segments)`);
    if (link) console.log(`Web UI: ${link}`);
  }
  if (!values.wait) return 0;
  const progress = await followChain(
    client,
    workflowId,
    values.json ? { write: () => undefined } : process.stdout,
  );
  if (values.json) console.log(JSON.stringify(chainSummary(workflowId, progress), null, 2));
  else printOutputs(progress);
  return EXIT[progress.state];
}
