/**
 * The chain's inputs at its edges: its own input, the prompts operators send in updates, and the provider
 * requests it makes from them. Pure functions, run inside the workflow: checked without zod
 * (chain/input-check.ts), which would cost about 1 MB in every cached workflow.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { ChainCarry, LongVideoInput, ResolvedInput } from '../chain/input';
import { MAX_SEGMENTS, checkLongVideoInput, promptProblem } from '../chain/input-check';
import { type ProviderName, providerPromptProblem } from '../chain/providers';

export function validate(rawInput: unknown): ResolvedInput {
  try {
    return checkLongVideoInput(rawInput);
  } catch (err) {
    throw ApplicationFailure.create({
      type: 'InvalidChainInput',
      nonRetryable: true,
      message: (err as Error).message,
    });
  }
}

/** Update validators reject by throwing; the caller sees the message and nothing changes. */
export function reject(message: string): never {
  throw new Error(message);
}

/** An operator's prompts, held to the chain's rules and to its provider's (the official API's are shorter). */
export function checkPrompts(prompts: unknown, provider: ProviderName): void {
  if (!Array.isArray(prompts) || prompts.length === 0) reject('give at least one prompt');
  if (prompts.length > 1000) reject('at most 1000 prompts at once');
  for (const p of prompts) {
    const problem = promptProblem(p) ?? providerPromptProblem(provider, p as string);
    if (problem) reject(problem);
  }
}

/** An append's prompts, and room for them: the chain never grows past what a next run can carry. */
export function checkAppend(segments: number, prompts: unknown, provider: ProviderName): void {
  checkPrompts(prompts, provider);
  const adding = (prompts as unknown[]).length;
  if (segments + adding > MAX_SEGMENTS) {
    reject(
      `a chain has at most ${MAX_SEGMENTS} segments: this one has ${segments}, so at most ` +
        `${MAX_SEGMENTS - segments} more can be appended (not ${adding}); start another chain for the rest`,
    );
  }
}

/**
 * The input of the run that continues this one (continue-as-new), and why it would not be accepted, if it
 * would not: a next run that fails its own input check would end the chain.
 */
export function nextRunInput(
  input: ResolvedInput,
  carry: ChainCarry,
  maxCredits: number | undefined,
): { next: LongVideoInput; problem?: string } {
  const next: LongVideoInput = {
    ...input,
    prompts: carry.segments.map((s) => s.prompt),
    carry,
    options: { ...input.options, maxCredits },
  };
  try {
    checkLongVideoInput(next);
    return { next };
  } catch (err) {
    return { next, problem: (err as Error).message };
  }
}

export function generateRequest(input: ResolvedInput, prompt: string) {
  return {
    prompt,
    duration: input.duration,
    quality: input.quality,
    ...(input.imageUrl ? { imageUrl: input.imageUrl } : { aspectRatio: input.aspectRatio }),
    ...(input.waterMark ? { waterMark: input.waterMark } : {}),
  };
}

export function extendRequest(input: ResolvedInput, prompt: string, taskId: string) {
  return {
    taskId,
    prompt,
    quality: input.quality,
    ...(input.waterMark ? { waterMark: input.waterMark } : {}),
  };
}

/** The ApplicationFailure behind an activity's failure, if that is what it is. */
export function applicationFailure(err: unknown): ApplicationFailure | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? cause : undefined;
}
