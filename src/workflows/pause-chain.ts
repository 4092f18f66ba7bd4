import { type ApplicationFailure, patched, workflowInfo } from '@temporalio/workflow';
import { FailureTypes } from '../chain/failure-types';
import { PROVIDER_KEY_SETTING, providerOf } from '../chain/providers';
import type { ChainRun } from './chain-run';
import { PAUSE_WHEN_NOT_CONFIGURED } from './patches';

/** Why a segment could not go on: thrown inside the chain, caught by its loop, which pauses and says so. */
export class PauseChain extends Error {
  constructor(
    readonly reason: string,
    readonly by: string,
    /** The segment's task is paid for and still ours: a resume awaits it again rather than resubmitting. */
    readonly keepTask = false,
    /** With `keepTask`: the kind of the attempt recorded for the stalled task. */
    readonly stalledKind = 'unreadable',
  ) {
    super(reason);
  }
}

/** Who pauses a chain on a create that may have made a task we cannot find. */
export const GUARD = 'never-pay-twice guard';

/** Provider text in a reason: one line, no control characters, not endless. */
export const quote = (text: string | undefined) =>
  `"${(text ?? '')
    .replace(/[\p{Cc}\p{Cf}]+/gu, ' ')
    .trim()
    .slice(0, 300)}"`;

/**
 * The pause for a worker without the chain's provider's key: nothing was sent, so nothing is lost; the
 * operator sets the key on the workers and resumes. Undefined for any other failure, and for histories from
 * before this pause (the chain failed then). `keepTask`: a read's, whose task is paid and stays the segment's.
 */
export function notConfiguredPause(
  run: ChainRun,
  segment: { index: number },
  failure: ApplicationFailure | undefined,
  keepTask = false,
): PauseChain | undefined {
  if (failure?.type !== FailureTypes.ProviderNotConfigured || !patched(PAUSE_WHEN_NOT_CONFIGURED)) return;
  const provider = providerOf(run.input);
  const kept = keepTask ? `; its task ${run.chain.segments[segment.index - 1]?.taskId ?? ''} is kept` : '';
  return new PauseChain(
    `segment ${segment.index}: a worker has no key for provider ${provider}: set ` +
      `${PROVIDER_KEY_SETTING[provider]} on the workers (and restart them), then ` +
      `\`long-video resume ${workflowInfo().workflowId}\`. Nothing was sent to the provider${kept}`,
    'worker configuration',
    keepTask,
    'configuration',
  );
}
