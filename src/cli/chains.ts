/**
 * What the CLI's chain commands share: the Temporal client, a chain's state however it ended, the
 * script-friendly result shape, and the live progress display.
 */
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/config';
import { mdText } from '../chain/markdown';
import { forTerminal } from './terminal-text';
import { UsageError } from './usage';
import { describeTemporalConnection, temporalConnectionOptions } from '../config/connection';
import { LongVideoSegmentsDone, LongVideoSegmentsTotal, LongVideoState } from '../chain/search-attributes';
import { type ChainProgress, type ChainState } from '../chain/progress';
import { type ResolvedInput } from '../chain/input';
import { WORKFLOW_TASK_QUEUE } from '../chain/queues';
import { progressQuery } from '../workflows/messages';

export async function connectClient(config: Config): Promise<Client> {
  const options = await temporalConnectionOptions(config);
  const connection = await Connection.connect({ ...options, connectTimeout: '5s' }).catch((err: Error) => {
    throw new Error(
      `cannot reach Temporal at ${describeTemporalConnection(config)} (${err.message}); is \`long-video dev\` running?`,
    );
  });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}

/**
 * Start a chain (its input already validated) with its Web UI summary; answers the workflow id. An id
 * whose chain Temporal still keeps (running or closed) is refused: the new chain would write its
 * deliverables into that chain's folder. `replace` starts it over a closed chain all the same (the old
 * chain's history stays, its final.mp4, manifest.json and index.html are replaced); a running chain is
 * never replaced.
 */
export async function startChain(
  client: Client,
  input: ResolvedInput,
  workflowId?: string,
  { replace = false } = {},
): Promise<string> {
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const id = workflowId ?? `long-video-${stamp}-${randomBytes(3).toString('hex')}`;
  // Summary and details are Markdown in the Web UI: prompts are escaped (`mdText`), never markup.
  const first = input.prompts[0]!;
  const source = input.imageUrl ? 'from an image' : input.aspectRatio;
  const start = client.workflow.start('longVideo', {
    taskQueue: WORKFLOW_TASK_QUEUE,
    workflowId: id,
    // Temporal checks this atomically: no window between looking for the id and starting.
    workflowIdReusePolicy: replace ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
    args: [input],
    staticSummary: `${input.prompts.length} segments · ${input.quality} · "${mdText(first, 80)}"`,
    staticDetails: [
      `**long-video chain** of ${input.prompts.length} segments (${input.duration} s first clip, ${input.quality}, ${source})`,
      '',
      ...input.prompts.map((p, i) => `${i + 1}. ${mdText(p, 200)}`),
    ].join('\n'),
    typedSearchAttributes: [
      { key: LongVideoState, value: 'running' },
      { key: LongVideoSegmentsDone, value: 0 },
      { key: LongVideoSegmentsTotal, value: input.prompts.length },
    ],
  });
  try {
    await start;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw await idTaken(client, id, replace);
    throw err;
  }
  return id;
}

/** Why a chain id cannot be used: a usage error (exit 2) that says what to do instead. */
async function idTaken(client: Client, id: string, replace: boolean): Promise<UsageError> {
  const status = await client.workflow
    .getHandle(id)
    .describe()
    .then(
      (d) => d.status.name.toLowerCase(),
      () => undefined,
    );
  if (status === 'running' || replace)
    return new UsageError(
      `chain ${id} is still open (running or paused): a chain with that id cannot start until it ends (\`long-video cancel ${id}\` ` +
        `first, or choose another --id)`,
    );
  const resume = status && status !== 'completed' ? `, \`long-video resume ${id}\` to go on with it` : '';
  return new UsageError(
    `chain ${id} already exists (${status ?? 'closed'}) and a new chain with that id would overwrite its ` +
      `deliverables (final.mp4, manifest.json, index.html): choose another --id${resume}, or give --replace ` +
      `to start a new chain that replaces them`,
  );
}

export function webUiLink(config: Config, workflowId: string): string | undefined {
  if (!config.TEMPORAL_UI_URL) return undefined;
  const base = config.TEMPORAL_UI_URL.replace(/\/$/, '');
  return `${base}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** The chain's progress, whether it is running or closed (completed, failed or cancelled). */
export async function chainProgress(client: Client, workflowId: string): Promise<ChainProgress> {
  const handle = client.workflow.getHandle(workflowId);
  const { status } = await handle.describe();
  if (status.name === 'COMPLETED') return (await handle.result()) as ChainProgress;
  if (status.name === 'FAILED') {
    const failure = await handle.result().catch((e: unknown) => e);
    const details =
      failure instanceof WorkflowFailedError && failure.cause instanceof ApplicationFailure
        ? failure.cause.details
        : undefined;
    if (details?.[0]) return details[0] as ChainProgress;
    // Failed before it had any state (e.g. invalid input): the failure is all there is.
    const reason =
      failure instanceof WorkflowFailedError ? (failure.cause?.message ?? failure.message) : String(failure);
    const now = new Date().toISOString();
    return {
      state: 'failed',
      reason,
      run: 1,
      creditsSpent: 0,
      segmentsDone: 0,
      segmentsTotal: 0,
      segments: [],
      startedAt: now,
      updatedAt: now,
    };
  }
  const progress = await handle.query(progressQuery);
  // A terminated chain never got to say so itself.
  if (status.name === 'TERMINATED' || status.name === 'TIMED_OUT')
    return { ...progress, state: 'failed', reason: status.name.toLowerCase() };
  return progress;
}

export { WorkflowNotFoundError };

/** The JSON that `start --wait --json` and `status --json` print. */
export function chainSummary(workflowId: string, progress: ChainProgress) {
  return {
    workflowId,
    state: progress.state,
    ...(progress.reason ? { reason: progress.reason } : {}),
    segmentsDone: progress.segmentsDone,
    segmentsTotal: progress.segmentsTotal,
    creditsSpent: progress.creditsSpent,
    maxCredits: progress.maxCredits ?? null,
    outputs: {
      video: progress.outputs?.video ?? null,
      manifest: progress.outputs?.manifest ?? null,
      report: progress.outputs?.report ?? null,
    },
    segments: progress.segments.map((s) => ({
      index: s.index,
      prompt: s.prompt,
      taskId: s.taskId ?? null,
      state: s.state,
      videoUrl: s.videoUrl ?? null,
      attempts: s.attempts,
      // Why each earlier create of this segment did not give it its video, oldest first.
      pastAttempts: s.pastAttempts ?? [],
    })),
  };
}

/** Where the deliverables are, for a person at the end of `start --wait` or `watch`. */
export function printOutputs(progress: ChainProgress): void {
  const o = progress.outputs;
  if (o?.video) console.log(`video:    ${forTerminal(o.video)}`);
  if (o?.report) console.log(`report:   ${forTerminal(o.report)}`);
  if (o?.manifest) console.log(`manifest: ${forTerminal(o.manifest)}`);
  if (!o?.video && o?.preview) console.log(`preview so far: ${forTerminal(o.preview)}`);
}

/** Exit codes scripts can rely on. */
export const EXIT: Record<ChainState, number> = {
  completed: 0,
  running: 0,
  paused: 5,
  failed: 1,
  cancelled: 3,
};

const SYMBOL: Record<string, string> = {
  pending: '·',
  submitting: '↑',
  generating: '…',
  succeeded: '✓',
  failed: '✗',
};

/** One line per segment and a total bar, as plain text. */
export function renderProgress(workflowId: string, p: ChainProgress): string {
  const width = 30;
  const filled = Math.round((p.segmentsDone / Math.max(1, p.segmentsTotal)) * width);
  const lines = [
    `${forTerminal(workflowId)}  [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.segmentsDone}/${p.segmentsTotal}  ${p.state}${p.reason ? `: ${forTerminal(p.reason)}` : ''}`,
  ];
  // Prompts, reasons and ids come from users and the provider: nothing in them reaches the terminal as control.
  for (const s of p.segments) {
    const extra = s.lastError && s.state !== 'succeeded' ? `  (${forTerminal(s.lastError)})` : '';
    const tries = s.attempts > 1 ? ` ×${s.attempts}` : '';
    lines.push(
      `  ${SYMBOL[s.state] ?? '?'} ${String(s.index).padStart(3)} ${s.state.padEnd(10)}${tries} ${forTerminal(s.prompt).slice(0, 50)}${extra}`,
    );
  }
  return lines.join('\n');
}

/** Follow a chain until it closes, redrawing in place on a terminal and printing changes otherwise. */
export async function followChain(
  client: Client,
  workflowId: string,
  out: { write: (s: string) => void; isTTY?: boolean } = process.stdout,
  intervalMs = 500,
): Promise<ChainProgress> {
  let shownLines = 0;
  let last = '';
  for (;;) {
    let progress: ChainProgress;
    try {
      progress = await chainProgress(client, workflowId);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw err;
      await new Promise((r) => setTimeout(r, intervalMs)); // e.g. no worker yet to answer the query
      continue;
    }
    const text = renderProgress(workflowId, progress);
    if (text !== last) {
      if (out.isTTY && shownLines) out.write(`\x1b[${shownLines}A\x1b[0J`);
      out.write(`${text}\n`);
      shownLines = text.split('\n').length;
      last = text;
    }
    if (progress.state !== 'running') return progress;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
