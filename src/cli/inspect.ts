/** `long-video status | watch | list | cancel`: read and steer chains. */
import { loadConfig } from '../config/config';
import type { ChainState } from '../chain/progress';
import { CHAIN_STATES, cancelChain, chainProgress, connectClient, followChain, listChains } from '../client';
import { EXIT_CODES_HELP, EXIT_FOR_STATE } from './exit-codes';
import { chainSummary, printOutputs, progressDisplay, renderProgress, webUiLink } from './print';
import { forTerminal } from './terminal-text';
import { UsageError, act, choiceOption, newCommand, numberOption } from './usage';

export const statusCommand = () =>
  newCommand('status')
    .summary("show a chain's state and segments")
    .description("Shows a chain's state and segments.")
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
    .description('Follows a chain with live progress until it ends (exit codes as status).')
    .argument('<id>', 'the chain (workflow) id')
    .option('--json', 'print only the final state, as JSON')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .action(act(watch));

async function watch(id: string, { json }: { json?: boolean }): Promise<number> {
  const client = await connectClient(loadConfig());
  const progress = await followChain(client, id, { onProgress: json ? undefined : progressDisplay(id) });
  if (json) console.log(JSON.stringify(chainSummary(id, progress), null, 2));
  else printOutputs(progress);
  return EXIT_FOR_STATE[progress.state];
}

export const listCommand = () =>
  newCommand('list')
    .summary('list chains, newest first')
    .description('Lists chains, newest first, from the LongVideo* search attributes.')
    .addOption(choiceOption('--state <state>', 'only chains in this state', CHAIN_STATES))
    .addOption(numberOption('--limit <count>', 'at most this many chains (default 50)'))
    .option('--json', 'print the chains as JSON')
    .action(act(list));

async function list(values: { state?: ChainState; limit?: number; json?: boolean }): Promise<number> {
  const limit = values.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
  const client = await connectClient(loadConfig());
  const rows = await listChains(client, { state: values.state, limit });
  if (values.json) console.log(JSON.stringify(rows, null, 2));
  else if (rows.length === 0) console.log('no chains');
  else
    for (const r of rows)
      console.log(
        `${forTerminal(r.workflowId)}  ${forTerminal(r.state).padEnd(9)} ${r.segmentsDone}/${r.segmentsTotal}  ${r.startedAt}`,
      );
  return 0;
}

export const cancelCommand = () =>
  newCommand('cancel')
    .summary('cancel a chain')
    .description('Cancels a chain: no new paid calls; finished segments are kept in its progress.')
    .argument('<id>', 'the chain (workflow) id')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .action(act(cancel));

async function cancel(id: string): Promise<number> {
  const client = await connectClient(loadConfig());
  await cancelChain(client, id);
  console.log(`cancel requested for ${id}; finished segments stay in its progress`);
  return 0;
}
