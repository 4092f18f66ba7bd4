/** Starting a chain: the one place that builds a chain's start options, for a new chain and a new run. */
import { randomBytes } from 'node:crypto';
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { mdText } from '../chain/markdown';
import type { ResolvedInput } from '../chain/input';
import { WORKFLOW_TASK_QUEUE } from '../chain/queues';
import { LongVideoSegmentsDone, LongVideoSegmentsTotal, LongVideoState } from '../chain/search-attributes';
import { longVideo } from '../workflows';
import { ChainRequestRefused } from './errors';

/** `long-video-<time>-<random>`. */
export function newChainId(): string {
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  return `long-video-${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * How a run of a chain starts: its input, its Web UI summary and details (Markdown: prompts are escaped
 * with `mdText`, never markup) and its search attributes as of that input (a new run of a closed chain
 * starts from the segments it carries, paused when it carries a pause).
 */
export function chainStartOptions(
  input: ResolvedInput,
  workflowId: string,
): WorkflowStartOptions<typeof longVideo> {
  const first = input.prompts[0]!;
  const source = input.imageUrl ? 'from an image' : input.aspectRatio;
  const carried = input.carry;
  return {
    taskQueue: WORKFLOW_TASK_QUEUE,
    workflowId,
    args: [input],
    staticSummary: `${input.prompts.length} segments · ${input.quality} · "${mdText(first, 80)}"`,
    staticDetails: [
      `**long-video chain** of ${input.prompts.length} segments (${input.duration} s first clip, ${input.quality}, ${source})`,
      '',
      ...input.prompts.map((p, i) => `${i + 1}. ${mdText(p, 200)}`),
    ].join('\n'),
    typedSearchAttributes: [
      { key: LongVideoState, value: carried?.paused ? 'paused' : 'running' },
      {
        key: LongVideoSegmentsDone,
        value: carried?.segments.filter((s) => s.state === 'succeeded').length ?? 0,
      },
      { key: LongVideoSegmentsTotal, value: input.prompts.length },
    ],
  };
}

/**
 * Start a chain (its input already validated); answers the workflow id. An id whose chain Temporal still
 * keeps (running or closed) is refused: the new chain would write its deliverables into that chain's
 * folder. `replace` starts it over a closed chain all the same (the old chain's history stays, its
 * final.mp4, manifest.json and index.html are replaced); a running chain is never replaced.
 */
export async function startChain(
  client: Client,
  input: ResolvedInput,
  workflowId?: string,
  { replace = false } = {},
): Promise<string> {
  const id = workflowId ?? newChainId();
  try {
    await client.workflow.start(longVideo, {
      ...chainStartOptions(input, id),
      // Temporal checks this atomically: no window between looking for the id and starting.
      workflowIdReusePolicy: replace ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw await idTaken(client, id, replace);
    throw err;
  }
  return id;
}

/** Why a chain id cannot be used, and what to do instead. */
async function idTaken(client: Client, id: string, replace: boolean): Promise<ChainRequestRefused> {
  const status = await client.workflow
    .getHandle(id)
    .describe()
    .then(
      (d) => d.status.name.toLowerCase(),
      () => undefined,
    );
  if (status === 'running' || replace)
    return new ChainRequestRefused(
      `chain ${id} is still open (running or paused): a chain with that id cannot start until it ends (\`long-video cancel ${id}\` ` +
        `first, or choose another --id)`,
    );
  const resume = status && status !== 'completed' ? `, \`long-video resume ${id}\` to go on with it` : '';
  return new ChainRequestRefused(
    `chain ${id} already exists (${status ?? 'closed'}) and a new chain with that id would overwrite its ` +
      `deliverables (final.mp4, manifest.json, index.html): choose another --id${resume}, or give --replace ` +
      `to start a new chain that replaces them`,
  );
}
