/** `long-video pause | resume | redo | append | approve`: steer a chain through its updates. */
import os from 'node:os';
import { loadConfig } from '../config/config';
import { appendChain, approveChain, connectClient, pauseChain, redoChain, resumeChain } from '../client';
import { EXIT_CODES_HELP } from './exit-codes';
import { renderProgress } from './print';
import { readStoryboard } from './storyboard';
import { UsageError, act, newCommand, numberOption, repeatableOption } from './usage';

const operator = () => `${os.userInfo().username}@${os.hostname()}`;
const connect = () => connectClient(loadConfig());

export const pauseCommand = () =>
  newCommand('pause')
    .summary('stop new paid calls')
    .description(
      'Stops new paid calls; the call in flight finishes and is kept. Resume with long-video resume ID.',
    )
    .argument('<id>', 'the chain (workflow) id')
    .option('--reason <text>', 'why, shown in the progress and the Web UI')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .action(act(pause));

async function pause(id: string, { reason }: { reason?: string }): Promise<number> {
  const p = await pauseChain(await connect(), id, { by: operator(), reason });
  const inFlight = p.segments.find((s) => s.state === 'submitting' || s.state === 'generating');
  console.log(`paused ${id} at ${p.segmentsDone}/${p.segmentsTotal} segments (${p.paused?.reason})`);
  if (inFlight)
    console.log(`segment ${inFlight.index} is already paid for and finishes; nothing new is submitted`);
  return 0;
}

export const resumeCommand = () =>
  newCommand('resume')
    .summary('resume a paused chain, or start a new run of a closed one')
    .description(
      'A paused chain goes on. A cancelled, failed or terminated chain starts a new run (same id) from its\n' +
        'finished segments and the task in flight, if any: nothing finished is paid again, what was spent and\n' +
        'the budget carry over, and a create whose answer never came is looked for (its callback) before any\n' +
        'new one; a chain the never-pay-twice guard had paused starts paused by it (follow its runbook).',
    )
    .argument('<id>', 'the chain (workflow) id')
    .addOption(numberOption('--max-credits <credits>', "raise (or set) the chain's budget"))
    .option(
      '--adopt-task <task-id>',
      "the chain paused because a create's answer was lost and you found that create's task on the " +
        "provider's dashboard: the chain awaits that task instead of paying for a new one (it checks the " +
        "task's prompt and parent first); on runwayml, when the pause says segment 1's first frame was lost, " +
        'the text_to_image task (the clip is then made from that image)',
    )
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .action(act(resume));

async function resume(id: string, values: { maxCredits?: number; adoptTask?: string }): Promise<number> {
  const outcome = await resumeChain(await connect(), id, {
    by: operator(),
    maxCredits: values.maxCredits,
    adoptTaskId: values.adoptTask,
  });
  if (outcome.kind === 'completed') console.log(`${id} has completed: nothing to resume`);
  else if (outcome.kind === 'resumed') {
    const p = outcome.progress;
    console.log(`resumed ${id} at ${p.segmentsDone}/${p.segmentsTotal} segments`);
  } else {
    const p = outcome.progress;
    console.log(`started a new run of ${id} from ${p.segmentsDone}/${p.segmentsTotal} finished segments`);
    console.log(renderProgress(id, p));
  }
  return 0;
}

export const redoCommand = () =>
  newCommand('redo')
    .summary('generate segments K..end again')
    .description(
      "Discards segments K..end and generates them again, continuing from segment K-1's task (K = 1 starts\n" +
        'over). With --prompt, segment K gets a new prompt. Waits for a call in flight on those segments.\n' +
        'A completed, cancelled or failed chain starts a new run (same id) that keeps segments 1..K-1 as they\n' +
        'are and pays only for K..end; its new final.mp4 replaces the old one once it is made.',
    )
    .argument('<id>', 'the chain (workflow) id')
    .addOption(numberOption('--from <k>', 'the first segment to generate again (1 or more)'))
    .option('--prompt <text>', 'a new prompt for segment K')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .action(act(redo));

async function redo(id: string, values: { from?: number; prompt?: string }): Promise<number> {
  const from = values.from ?? NaN;
  if (!Number.isInteger(from) || from < 1)
    throw new UsageError('--from K: the first segment to generate again (1 or more)');
  const { kind, progress: p } = await redoChain(await connect(), id, {
    by: operator(),
    from,
    prompt: values.prompt,
  });
  const base = from > 1 ? `from segment ${from - 1}'s task` : 'from scratch';
  const where = kind === 'new-run' ? ' in a new run' : '';
  console.log(`${id}: segments ${from}..${p.segmentsTotal} will be generated again${where}, ${base}`);
  if (values.prompt) console.log(`segment ${from} prompt: ${values.prompt}`);
  if (kind === 'new-run') console.log(renderProgress(id, p));
  return 0;
}

export const appendCommand = () =>
  newCommand('append')
    .summary('add segments to the end of a chain')
    .description(
      'Adds segments to the end of a chain (--prompt TEXT ... or --prompts FILE). A completed, cancelled or\n' +
        'failed chain starts a new run (same id) that continues from its last segment and pays only for the\n' +
        'new ones; its new final.mp4 replaces the old one once it is made.',
    )
    .argument('<id>', 'the chain (workflow) id')
    .addOption(repeatableOption('--prompt <text>', 'a prompt; repeat for each new segment, in order'))
    .option('--prompts <file>', 'one prompt per line, or a JSON/YAML storyboard (- for standard input)')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .action(act(append));

async function append(id: string, values: { prompt?: string[]; prompts?: string }): Promise<number> {
  if (values.prompt && values.prompts) throw new UsageError('use --prompt or --prompts, not both');
  const prompts = values.prompts ? (await readStoryboard(values.prompts)).prompts : (values.prompt ?? []);
  if (prompts.length === 0)
    throw new UsageError('no prompts: give --prompt TEXT (repeatable) or --prompts FILE');
  const { kind, progress: p } = await appendChain(await connect(), id, { by: operator(), prompts });
  const where = kind === 'new-run' ? ' in a new run' : '';
  console.log(`${id}: appended ${prompts.length} segment(s)${where}; the chain now has ${p.segmentsTotal}`);
  if (kind === 'new-run') console.log(renderProgress(id, p));
  return 0;
}

export const approveCommand = () =>
  newCommand('approve')
    .summary('approve the segment a review chain awaits')
    .description(
      'A chain started with --review pauses after each segment, once its file is\n' +
        'archived, until it is approved: it then pays for the next segment, or, after\n' +
        'the last one, stitches the final video. To make the segment again instead:\n' +
        'long-video redo ID --from K --prompt TEXT (the review comes again).',
    )
    .argument('<id>', 'the chain (workflow) id')
    .addOption(numberOption('--segment <k>', 'the segment you approve: refused if the chain awaits another'))
    .addHelpText(
      'after',
      '\nExit codes: 0 approved, 1 failure (Temporal unreachable...), 2 the chain awaits no review (or another\n' +
        'segment), 4 no running chain with that id.',
    )
    .action(act(approve));

async function approve(id: string, values: { segment?: number }): Promise<number> {
  if (values.segment !== undefined && (!Number.isInteger(values.segment) || values.segment < 1))
    throw new UsageError('--segment K: the number of the segment under review (1 or more)');
  const reviewed = values.segment;
  const p = await approveChain(await connect(), id, { by: operator(), segment: reviewed });
  const next = p.segments.find((s) => s.state !== 'succeeded');
  console.log(
    next
      ? `approved ${id} at ${p.segmentsDone}/${p.segmentsTotal} segments: segment ${next.index} is next`
      : `approved ${id}: all ${p.segmentsTotal} segments, the final video is being stitched`,
  );
  return 0;
}
