/**
 * The chain's inputs at its edges: its own input, the prompts operators send in updates, and the provider
 * requests it makes from them. Pure functions, run inside the workflow.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { Prompt } from '../runway/schemas';
import { type ResolvedInput, parseLongVideoInput } from './definitions';

export function validate(rawInput: unknown): ResolvedInput {
  try {
    return parseLongVideoInput(rawInput);
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

export function checkPrompts(prompts: unknown): void {
  if (!Array.isArray(prompts) || prompts.length === 0) reject('give at least one prompt');
  if (prompts.length > 1000) reject('at most 1000 prompts at once');
  for (const p of prompts) {
    const parsed = Prompt.safeParse(p);
    if (!parsed.success) reject(parsed.error.issues[0]?.message ?? 'invalid prompt');
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
