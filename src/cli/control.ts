/** `long-video pause | resume | redo | append`: steer a chain through its updates. */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { loadConfig } from '../config/config';
import { type ChainProgress, type SegmentState } from '../chain/progress';
import { type LongVideoInput, parseLongVideoInput } from '../chain/input';
import { WORKFLOW_TASK_QUEUE } from '../chain/queues';
import { appendUpdate, pauseUpdate, redoUpdate, resumeUpdate } from '../workflows/messages';
import { WorkflowNotFoundError, chainProgress, connectClient, renderProgress } from './chains';
import { readStoryboard } from './storyboard';
import { UsageError, decimalOption } from './usage';

export const PAUSE_USAGE = `long-video pause ID [--reason TEXT]

Stops new paid calls; the call in flight finishes and is kept. Resume with long-video resume ID.`;
export const RESUME_USAGE = `long-video resume ID [--max-credits N] [--adopt-task TASK_ID]

A paused chain goes on. A cancelled, failed or terminated chain starts a new run (same id) from its
finished segments and the task in flight, if any: nothing finished is paid again, what was spent and the
budget carry over, and a create whose answer never came is looked for (its callback) before any new one;
a chain the never-pay-twice guard had paused starts paused by it (follow its runbook).
--adopt-task: the chain paused because a create's answer was lost and you found that create's task on
the provider's dashboard: the chain awaits that task instead of paying for a new one (it checks the
task's prompt and parent first).`;
export const REDO_USAGE = `long-video redo ID --from K [--prompt TEXT]

Discards segments K..end and generates them again, continuing from segment K-1's task (K = 1 starts
over). With --prompt, segment K gets a new prompt. Waits for a call in flight on those segments.`;
export const APPEND_USAGE = `long-video append ID (--prompt TEXT ... | --prompts FILE)

Adds segments to the end of a running or paused chain.`;

const operator = () => `${os.userInfo().username}@${os.hostname()}`;

/** Run an update; a refusal by the workflow's validator is a usage error with its message. */
async function update<T>(id: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new UsageError(`${id}: ${err.cause?.message ?? err.message}`);
    if (err instanceof WorkflowNotFoundError) throw new UsageError(`no running chain with id ${id}`);
    throw err;
  }
}

function idAnd<T extends Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>>(
  argv: string[],
  options: T,
) {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options });
  if (positionals.length !== 1) throw new UsageError('give exactly one chain id');
  return { id: positionals[0]!, values };
}

export async function pauseCommand(argv: string[]): Promise<number> {
  const { id, values } = idAnd(argv, { reason: { type: 'string' } });
  const client = await connectClient(loadConfig());
  const handle = client.workflow.getHandle(id);
  const p = await update(id, () =>
    handle.executeUpdate(pauseUpdate, {
      args: [{ by: operator(), reason: values.reason as string | undefined }],
    }),
  );
  const inFlight = p.segments.find((s) => s.state === 'submitting' || s.state === 'generating');
  console.log(`paused ${id} at ${p.segmentsDone}/${p.segmentsTotal} segments (${p.paused?.reason})`);
  if (inFlight)
    console.log(`segment ${inFlight.index} is already paid for and finishes; nothing new is submitted`);
  return 0;
}

export async function resumeCommand(argv: string[]): Promise<number> {
  const { id, values } = idAnd(argv, {
    'max-credits': { type: 'string' },
    'adopt-task': { type: 'string' },
  });
  const adoptTaskId = values['adopt-task'] as string | undefined;
  const maxCredits = decimalOption(values['max-credits'] as string | undefined);
  if (maxCredits !== undefined && !(maxCredits >= 0))
    throw new UsageError('--max-credits must be a number of credits');
  const client = await connectClient(loadConfig());
  const handle = client.workflow.getHandle(id);
  let status: string;
  try {
    status = (await handle.describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new UsageError(`no chain with id ${id}`);
    throw err;
  }
  if (status === 'RUNNING') {
    const p = await update(id, () =>
      handle.executeUpdate(resumeUpdate, { args: [{ by: operator(), maxCredits, adoptTaskId }] }),
    );
    console.log(`resumed ${id} at ${p.segmentsDone}/${p.segmentsTotal} segments`);
    return 0;
  }
  if (adoptTaskId)
    throw new UsageError(`--adopt-task is for a paused chain; ${id} is ${status.toLowerCase()}`);
  if (status === 'COMPLETED') {
    console.log(`${id} has completed: nothing to resume`);
    return 0;
  }
  const progress = await resumeClosedChain(client, id);
  console.log(
    `started a new run of ${id} from ${progress.segmentsDone}/${progress.segmentsTotal} finished segments`,
  );
  console.log(renderProgress(id, progress));
  return 0;
}

/**
 * Start a new run of a closed chain, seeded with what its last run finished, what it spent and its budget;
 * answers that progress.
 */
export async function resumeClosedChain(client: Client, id: string): Promise<ChainProgress> {
  const handle = client.workflow.getHandle(id);
  const progress = await chainProgress(client, id);
  const history = await handle.fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const payload = started?.input?.payloads?.[0];
  if (!payload) throw new Error(`cannot read the input of ${id}'s last run`);
  const input = defaultPayloadConverter.fromPayload<LongVideoInput>(payload);
  const segments = progress.segments.map(keepWhatWasPaid);
  const guarded = progress.paused?.by === 'never-pay-twice guard' ? progress.paused : undefined;
  const next = {
    ...input,
    prompts: segments.map((s) => s.prompt),
    // The spend and the cap go on over the chain's whole life: the cap is the latest one in force
    // (`resume --max-credits` raises it inside a run), and what was spent counts against it.
    options: { ...input.options, maxCredits: progress.maxCredits ?? input.options?.maxCredits },
    carry: {
      segments,
      startedAt: progress.startedAt,
      creditsSpent: progress.creditsSpent,
      runs: progress.run,
      // A create the never-pay-twice guard paused for is still unresolved: the new run starts paused by
      // it, for its runbook (`resume --adopt-task`, or a plain resume once the dashboard shows nothing).
      ...(guarded ? { paused: guarded } : {}),
    },
  } satisfies LongVideoInput;
  try {
    parseLongVideoInput(next); // the new run would refuse it: say so here, and start nothing
  } catch (err) {
    throw new UsageError(`${id} cannot be resumed: ${(err as Error).message}`);
  }
  await client.workflow.start('longVideo', {
    taskQueue: started?.taskQueue?.name ?? WORKFLOW_TASK_QUEUE,
    workflowId: id,
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    args: [next],
  });
  return guarded
    ? { ...progress, segments, state: 'paused', reason: guarded.reason, paused: guarded }
    : { ...progress, segments, state: 'running', reason: undefined, paused: undefined };
}

/**
 * What a new run may reuse: finished segments, and a task that was created and is generating (it is
 * awaited, not paid again). A create whose answer never came (`submitting`) stays so: the new run treats
 * it as an ambiguous create (it waits for that create's callback, then the never-pay-twice guard).
 */
function keepWhatWasPaid(s: SegmentState): SegmentState {
  if (s.state === 'succeeded' || (s.state === 'generating' && s.taskId) || s.state === 'submitting')
    return { ...s, failures: 0 };
  const reset: SegmentState = {
    index: s.index,
    prompt: s.prompt,
    state: 'pending',
    attempts: s.attempts,
    failures: 0,
  };
  return {
    ...reset,
    ...(s.lastError ? { lastError: s.lastError } : {}),
    ...(s.pastAttempts ? { pastAttempts: s.pastAttempts } : {}),
  };
}

export async function redoCommand(argv: string[]): Promise<number> {
  const { id, values } = idAnd(argv, { from: { type: 'string' }, prompt: { type: 'string' } });
  const from = decimalOption(values.from as string | undefined) ?? NaN;
  if (!Number.isInteger(from) || from < 1)
    throw new UsageError('--from K: the first segment to generate again (1 or more)');
  const client = await connectClient(loadConfig());
  const handle = client.workflow.getHandle(id);
  const p = await update(id, () =>
    handle.executeUpdate(redoUpdate, {
      args: [{ by: operator(), from, prompt: values.prompt as string | undefined }],
    }),
  );
  const base = from > 1 ? `from segment ${from - 1}'s task` : 'from scratch';
  console.log(`${id}: segments ${from}..${p.segmentsTotal} will be generated again, ${base}`);
  if (values.prompt) console.log(`segment ${from} prompt: ${values.prompt}`);
  return 0;
}

export async function appendCommand(argv: string[]): Promise<number> {
  const { id, values } = idAnd(argv, {
    prompt: { type: 'string', multiple: true },
    prompts: { type: 'string' },
  });
  const given = values.prompt as string[] | undefined;
  if (given && values.prompts) throw new UsageError('use --prompt or --prompts, not both');
  const prompts = values.prompts ? (await readStoryboard(values.prompts as string)).prompts : (given ?? []);
  if (prompts.length === 0)
    throw new UsageError('no prompts: give --prompt TEXT (repeatable) or --prompts FILE');
  const client = await connectClient(loadConfig());
  const handle = client.workflow.getHandle(id);
  const p = await update(id, () =>
    handle.executeUpdate(appendUpdate, { args: [{ by: operator(), prompts }] }),
  );
  console.log(`${id}: appended ${prompts.length} segment(s); the chain now has ${p.segmentsTotal}`);
  return 0;
}
