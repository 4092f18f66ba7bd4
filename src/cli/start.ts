/** `long-video start`: validate a chain's input, start it, and optionally follow it to the end. */
import { loadConfig } from '../config/config';
import { DEFAULT_PROVIDER } from '../chain/providers';
import { parseLongVideoInput } from '../chain/input';
import { InvalidChainInput } from '../chain/input-check';
import { connectClient, followChain, startChain } from '../client';
import { describePrices, estimateCredits } from './budget';
import { EXIT_FOR_STATE } from './exit-codes';
import { liveProgress } from './live-progress';
import { chainSummary, outputLines, webUiLink } from './print';
import { readStoryboard } from './storyboard';
import { UsageError, act, newCommand, numberOption, repeatableOption } from './usage';

interface StartOptions {
  prompt?: string[];
  prompts?: string;
  duration?: number;
  quality?: string;
  aspectRatio?: string;
  imageUrl?: string;
  watermark?: string;
  id?: string;
  replace?: boolean;
  maxTaskFailures?: number;
  pollIntervalMs?: number;
  callbackGraceMs?: number;
  ambiguousCreate?: string;
  maxCredits?: number;
  trimBoundaryFrame?: boolean;
  provider?: string;
  crossfade?: number;
  review?: boolean;
  notify?: string | false;
  dryRun?: boolean;
  wait?: boolean;
  json?: boolean;
}

export const startCommand = () =>
  newCommand('start')
    .summary('start a chain from prompts')
    .description(
      'Starts a long-video chain: segment 1 is generated, each further prompt extends the previous segment.\n' +
        'Give the prompts with --prompt (repeated) or --prompts FILE.',
    )
    .addOption(repeatableOption('--prompt <text>', 'a prompt; repeat for each segment, in order'))
    .option('--prompts <file>', 'one prompt per line, or a JSON/YAML storyboard (- for standard input)')
    .addOption(numberOption('--duration <seconds>', "first segment's length: 5 or 10 (default 5)"))
    .option('--quality <quality>', '720p or 1080p (default 720p; 1080p only with 5 s)')
    .option('--aspect-ratio <ratio>', '16:9, 4:3, 1:1, 3:4 or 9:16 (required without --image-url)')
    .option('--image-url <url>', 'animate this image (image-to-video)')
    .option(
      '--provider <name>',
      "kie-runway (the reseller API, RUNWAY_API_KEY: native extend) or runwayml (Runway's official API, " +
        'RUNWAYML_API_SECRET: each segment starts from the last frame of the one before); default PROVIDER or ' +
        'kie-runway. The chain keeps it for life',
    )
    .option('--watermark <text>', 'drawn bottom-right')
    .option(
      '--id <id>',
      'workflow id (default long-video-<time>-<random>); refused (exit 2) when a chain with that id ' +
        'exists, running or closed: its deliverables are under OUTPUT_DIR/<folder of ID>/ and would be overwritten',
    )
    .option(
      '--replace',
      "with --id: start all the same over a closed chain of that id; the new chain's final.mp4, manifest.json " +
        'and index.html replace the old ones (its segment files stay until deleted). A running chain is never replaced.',
    )
    .addOption(
      numberOption('--max-task-failures <count>', 'resubmits of a segment whose task fails (default 2)'),
    )
    .addOption(
      numberOption(
        '--poll-interval-ms <ms>',
        'between looks at a generating task (default POLL_INTERVAL_MS or 6000)',
      ),
    )
    .addOption(
      numberOption('--callback-grace-ms <ms>', "wait for an ambiguous create's callback (default 900000)"),
    )
    .option(
      '--ambiguous-create <policy>',
      'stop or resubmit: when a create may have made a task we cannot find (default stop)',
    )
    .addOption(
      numberOption(
        '--max-credits <credits>',
        'pause before a call would take the chain over that many credits',
      ),
    )
    .option(
      '--trim-boundary-frame',
      "drop each segment's first frame when stitching (a repeat of the previous last frame; default on for runwayml)",
    )
    .option('--no-trim-boundary-frame', 'keep every frame when stitching')
    .addOption(numberOption('--crossfade <seconds>', 'crossfade this long at each joint when stitching'))
    .option(
      '--review',
      'pause after each segment (once its file is archived) until `long-video approve ID`; `redo ID --from K` ' +
        'makes it again. The last segment waits too, before the final video is stitched',
    )
    .option(
      '--notify <url>',
      "POST the chain's state as JSON to this http(s) URL when it pauses, completes, fails or is cancelled " +
        "(default NOTIFY_URL). Kept in the chain's history: no credentials in it",
    )
    .option('--no-notify', 'send no notifications, even with NOTIFY_URL set')
    .option('--dry-run', 'print the estimated credits and start nothing')
    .option('--wait', 'follow the chain with live progress until it ends')
    .option('--json', 'with --wait: print only the final result as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 started (with --wait: completed), 1 failed, 2 bad usage or an id in use, ' +
        '3 cancelled, 5 paused.',
    )
    .action(act(start));

async function start(values: StartOptions): Promise<number> {
  const config = loadConfig();
  if (values.replace && values.id === undefined)
    throw new UsageError('--replace goes with --id: the id of the closed chain to replace');
  if (values.prompt && values.prompts) throw new UsageError('use --prompt or --prompts, not both');
  const { review: boardReview, ...board } = values.prompts
    ? await readStoryboard(values.prompts)
    : { prompts: values.prompt ?? [] };
  if (board.prompts.length === 0)
    throw new UsageError('no prompts: give --prompt TEXT (repeatable) or --prompts FILE');
  const defined = <T extends object>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const provider = values.provider ?? config.PROVIDER;
  let input;
  try {
    input = parseLongVideoInput({
      ...board,
      ...defined({
        duration: values.duration,
        quality: values.quality,
        aspectRatio: values.aspectRatio,
        imageUrl: values.imageUrl,
        waterMark: values.watermark,
        // Recorded only when not the default, so that reseller chains' inputs stay as they were.
        provider: provider === DEFAULT_PROVIDER ? undefined : provider,
      }),
      options: defined({
        maxTaskFailures: values.maxTaskFailures,
        pollIntervalMs: values.pollIntervalMs ?? config.POLL_INTERVAL_MS,
        callbackGraceMs: values.callbackGraceMs,
        ambiguousCreatePolicy: values.ambiguousCreate,
        maxCredits: values.maxCredits,
        // Image-to-video clips begin with their prompt image: the joint repeats a frame unless trimmed.
        trimBoundaryFrame: values.trimBoundaryFrame ?? (provider === 'runwayml' ? true : undefined),
        crossfadeSeconds: values.crossfade,
        review: values.review ?? boardReview,
        // Checked with the rest of the input: a bad URL is refused (exit 2) before anything starts.
        notifyUrl: values.notify === false ? undefined : (values.notify ?? config.NOTIFY_URL),
      }),
    });
  } catch (err) {
    if (err instanceof InvalidChainInput) throw new UsageError(err.message);
    throw err;
  }

  const estimate = estimateCredits(input);
  if (values.dryRun) {
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
  const display = values.json ? undefined : liveProgress(workflowId);
  const progress = await followChain(client, workflowId, { onProgress: display?.show });
  if (values.json) console.log(JSON.stringify(chainSummary(workflowId, progress), null, 2));
  else display?.close(outputLines(progress));
  return EXIT_FOR_STATE[progress.state];
}
