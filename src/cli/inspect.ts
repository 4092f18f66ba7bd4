/** `long-video status | watch | list | cancel`: read chains, and cancel one. */
import { loadConfig } from '../config/config';
import type { ChainState } from '../chain/progress';
import {
  CHAIN_STATES,
  type ChainListing,
  cancelChain,
  chainProgress,
  connectClient,
  followChain,
  listChains,
} from '../client';
import { EXIT_CODES_HELP, EXIT_FOR_STATE, RUN_EXIT_CODES_HELP } from './exit-codes';
import { liveProgress } from './live-progress';
import { chainSummary, outputLines, printOutputs, renderProgress, webUiLink } from './print';
import { forTerminal } from './terminal-text';
import { UsageError, act, choiceOption, newCommand, numberOption } from './usage';

export const statusCommand = () =>
  newCommand('status')
    .summary("show a chain's state, credits and segments")
    .description("Shows a chain's state, progress (done/total), credits (spent/cap) and segments.")
    .argument('<id>', 'the chain (workflow) id')
    .option('--json', 'print the state as JSON')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .action(act(status));

async function status(id: string, { json }: { json?: boolean }): Promise<number> {
  const config = loadConfig();
  const client = await connectClient(config);
  const progress = await chainProgress(client, id);
  if (json) console.log(JSON.stringify(chainSummary(id, progress), null, 2));
  else {
    console.log(renderProgress(id, progress));
    printOutputs(progress);
    const link = webUiLink(config, id);
    if (link) console.log(`Web UI: ${link}`);
  }
  return EXIT_FOR_STATE[progress.state];
}

export const watchCommand = () =>
  newCommand('watch')
    .summary('follow a chain with live progress until it ends')
    .description(
      'Follows a chain live until it completes, is cancelled or fails: on a terminal, the bar, credits and\n' +
        'the segments around the active one, fitted to the window; otherwise one line per change. A pause\n' +
        'is shown with its reason and the command that goes on, and followed through (--until-pause stops there).',
    )
    .argument('<id>', 'the chain (workflow) id')
    .option('--until-pause', 'stop when the chain pauses (exit 5), as scripts may want')
    .option('--json', 'print only the final state, as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 completed, 1 failed, 2 bad usage, 3 cancelled, 4 no such chain, 5 paused (with --until-pause).',
    )
    .action(act(watch));

async function watch(
  id: string,
  { json, untilPause }: { json?: boolean; untilPause?: boolean },
): Promise<number> {
  const client = await connectClient(loadConfig());
  const display = json ? undefined : liveProgress(id);
  const progress = await followChain(client, id, {
    onProgress: display?.show,
    until: untilPause ? 'not-running' : 'closed',
  });
  if (json) console.log(JSON.stringify(chainSummary(id, progress), null, 2));
  else display?.close(outputLines(progress));
  return EXIT_FOR_STATE[progress.state];
}

export const listCommand = () =>
  newCommand('list')
    .summary('list chains, newest first')
    .description(
      'Lists chains, newest first, from the LongVideo* search attributes: id, state, segments done/total,\n' +
        "credits spent/cap (from each chain's progress; ? when it cannot be read) and when it started.",
    )
    .addOption(choiceOption('--state <state>', 'only chains in this state', CHAIN_STATES))
    .addOption(numberOption('--limit <count>', 'at most this many chains (default 50)'))
    .option('--json', 'print the chains as JSON')
    .addHelpText('after', `\n${RUN_EXIT_CODES_HELP}`)
    .action(act(list));

async function list(values: { state?: ChainState; limit?: number; json?: boolean }): Promise<number> {
  const limit = values.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
  const client = await connectClient(loadConfig());
  const rows = await listChains(client, { state: values.state, limit });
  if (values.json) console.log(JSON.stringify(rows, null, 2));
  else if (rows.length === 0) console.log('no chains');
  else console.log(listTable(rows));
  return 0;
}

/** The chains as aligned columns, a header first. */
export function listTable(rows: readonly ChainListing[]): string {
  const table = [
    ['ID', 'STATE', 'SEGMENTS', 'CREDITS', 'STARTED'],
    ...rows.map((r) => [
      forTerminal(r.workflowId),
      forTerminal(r.state),
      `${r.segmentsDone}/${r.segmentsTotal}`,
      `${r.creditsSpent ?? '?'}/${r.maxCredits ?? (r.creditsSpent === null ? '?' : 'no cap')}`,
      r.startedAt,
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => Array.from(row[i]!).length)));
  return table
    .map((row) => row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]!) : cell)).join('  '))
    .join('\n');
}

export const cancelCommand = () =>
  newCommand('cancel')
    .summary('cancel a chain')
    .description(
      'Cancels a chain: no new paid calls; finished segments are kept in its progress. A chain already\n' +
        'closed is left as it is, and the command says so with its state as the exit code.',
    )
    .argument('<id>', 'the chain (workflow) id')
    .addHelpText(
      'after',
      '\nExit codes: 0 cancel requested (or the chain had already completed), 1 failure (or the chain had\n' +
        'already failed), 2 bad usage, 3 the chain was already cancelled, 4 no such chain.',
    )
    .action(act(cancel));

async function cancel(id: string): Promise<number> {
  const client = await connectClient(loadConfig());
  const outcome = await cancelChain(client, id);
  if (outcome.kind === 'requested') {
    console.log(`cancel requested for ${forTerminal(id)}; finished segments stay in its progress`);
    return 0;
  }
  const already = {
    cancelled: 'already cancelled',
    completed: 'already completed',
    failed: 'already failed',
  };
  const state = outcome.state as keyof typeof already;
  console.log(`${forTerminal(id)} is ${already[state] ?? outcome.state}: nothing to cancel`);
  return EXIT_FOR_STATE[outcome.state];
}
