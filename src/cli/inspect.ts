/** `long-video status | watch | list | cancel`: read and steer chains. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config';
import {
  EXIT,
  WorkflowNotFoundError,
  chainProgress,
  chainSummary,
  connectClient,
  followChain,
  printOutputs,
  renderProgress,
  webUiLink,
} from './chains';
import { forTerminal } from './terminal-text';
import { UsageError } from './usage';
import { LongVideoSegmentsDone, LongVideoSegmentsTotal, LongVideoState } from '../chain/search-attributes';

export const STATUS_USAGE = `long-video status ID [--json]

Shows a chain's state and segments. Exit codes: 0 running or completed, 1 failed, 3 cancelled, 4 not found,
5 paused.`;
export const WATCH_USAGE = `long-video watch ID [--json]

Follows a chain with live progress until it ends (exit codes as status).`;
export const LIST_USAGE = `long-video list [--state running|paused|completed|cancelled|failed] [--limit N] [--json]

Lists chains, newest first, from the LongVideo* search attributes.`;
export const CANCEL_USAGE = `long-video cancel ID

Cancels a chain: no new paid calls; finished segments are kept in its progress.`;

const NOT_FOUND = 4;

function oneId(argv: string[], extra: Record<string, { type: 'boolean' | 'string' }> = {}) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, ...extra },
  });
  if (positionals.length !== 1) throw new UsageError('give exactly one chain id');
  return { id: positionals[0]!, json: Boolean(values.json) };
}

async function withChain(id: string, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      console.error(`no chain with id ${id}`);
      return NOT_FOUND;
    }
    throw err;
  }
}

export async function statusCommand(argv: string[]): Promise<number> {
  const { id, json } = oneId(argv);
  const config = loadConfig();
  const client = await connectClient(config);
  return withChain(id, async () => {
    const progress = await chainProgress(client, id);
    if (json) console.log(JSON.stringify(chainSummary(id, progress), null, 2));
    else {
      console.log(renderProgress(id, progress));
      printOutputs(progress);
      const link = webUiLink(config, id);
      if (link) console.log(`Web UI: ${link}`);
    }
    return EXIT[progress.state];
  });
}

export async function watchCommand(argv: string[]): Promise<number> {
  const { id, json } = oneId(argv);
  const client = await connectClient(loadConfig());
  return withChain(id, async () => {
    const progress = await followChain(client, id, json ? { write: () => undefined } : process.stdout);
    if (json) console.log(JSON.stringify(chainSummary(id, progress), null, 2));
    else printOutputs(progress);
    return EXIT[progress.state];
  });
}

export async function listCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { state: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
  });
  const states = ['running', 'paused', 'completed', 'cancelled', 'failed'];
  if (values.state && !states.includes(values.state))
    throw new UsageError(`--state must be one of ${states.join(', ')}`);
  const limit = Number(values.limit ?? 50);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
  const client = await connectClient(loadConfig());
  const query = `WorkflowType = 'longVideo'${values.state ? ` AND LongVideoState = '${values.state}'` : ''}`;
  const rows = [];
  for await (const wf of client.workflow.list({ query })) {
    const sa = wf.typedSearchAttributes;
    rows.push({
      workflowId: wf.workflowId,
      state: sa.get(LongVideoState) ?? wf.status.name.toLowerCase(),
      segmentsDone: sa.get(LongVideoSegmentsDone) ?? 0,
      segmentsTotal: sa.get(LongVideoSegmentsTotal) ?? 0,
      startedAt: wf.startTime.toISOString(),
    });
    if (rows.length >= limit) break;
  }
  if (values.json) console.log(JSON.stringify(rows, null, 2));
  else if (rows.length === 0) console.log('no chains');
  else
    for (const r of rows)
      console.log(
        `${forTerminal(r.workflowId)}  ${forTerminal(r.state).padEnd(9)} ${r.segmentsDone}/${r.segmentsTotal}  ${r.startedAt}`,
      );
  return 0;
}

export async function cancelCommand(argv: string[]): Promise<number> {
  const { id } = oneId(argv);
  const client = await connectClient(loadConfig());
  return withChain(id, async () => {
    await client.workflow.getHandle(id).cancel();
    console.log(`cancel requested for ${id}; finished segments stay in its progress`);
    return 0;
  });
}
