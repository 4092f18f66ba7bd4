/**
 * What a new task will turn out to be, decided at create time from the seeded generator: success or a
 * failure with a code and a message like the real ones, and the shape its answers take.
 */
import type { SeededRandom } from './clock';
import type { FaultConfig, ResolvedSimulatorOptions } from './options';
import { ANSWER_SHAPES, type AnswerShape, type SimTask } from './task';

/**
 * The reference's `failCode` 400 messages that reject the input (moderation, NSFW, inappropriate content,
 * prompt too long, unsupported size, bad image format), verbatim from its list (shared/provider-examples.json).
 * Its other 400 messages are transient conditions or plan limits: inject those with the `failMessages` fault.
 */
export const INPUT_REJECTION_400_MESSAGES = [
  'Detected inappropriate content, please try replacing the video.',
  'Inappropriate content detected. Please replace the image or video.',
  'Unsupported width or height. Please adjust the size and try again.',
  'Your prompt was caught by our AI moderator.',
  'Your prompt has triggered our AI moderator, please re-enter your prompt',
  'Your prompt/negative prompt cannot exceed 2048 characters. Please check if your input is too long.',
  "Your video creation prompt contains NSFW content, which isn't allowed under our policy. Kindly revise your prompt and generate again.",
  'Incorrect image format',
] as const;

/** What a prompt holding one of the `moderatedWords` fails with. */
export const MODERATOR_MESSAGE = 'Your prompt was caught by our AI moderator.';

/** The other codes' messages (the reference gives none for them; these follow the codes table). */
export const FAIL_MESSAGES: Record<number, string> = {
  408: 'Upstream produced no result for over 10 minutes',
  451: 'Failed to fetch the image',
  500: 'Internal error during generation',
  501: 'Generation failed, please try again',
};

export type TaskDecision = Pick<SimTask, 'outcome' | 'answerShape' | 'nullCallbackData'>;

/**
 * Draws only what the configuration needs (no draw for a zero probability, a fixed shape or a non-400
 * code), so that adding an option does not shift the seeded sequence of runs that do not use it.
 */
export function decideTask(
  random: SeededRandom,
  faults: FaultConfig,
  shapes: ResolvedSimulatorOptions['shapes'],
  prompt: string,
): TaskDecision {
  const failCode = random.chance(faults.taskFailProbability) ? random.pick(faults.taskFailCodes) : undefined;
  let outcome: SimTask['outcome'] = { state: 'success' };
  // Real moderation fails a task it already accepted (and charged), whatever else happens.
  if (isModerated(prompt, faults.moderatedWords)) {
    outcome = { state: 'fail', failCode: 400, failMsg: MODERATOR_MESSAGE };
  } else if (failCode === 400) {
    const messages = faults.failMessages.length ? faults.failMessages : INPUT_REJECTION_400_MESSAGES;
    outcome = { state: 'fail', failCode, failMsg: random.pick(messages) };
  } else if (failCode !== undefined) {
    outcome = { state: 'fail', failCode, failMsg: FAIL_MESSAGES[failCode] ?? 'Generation failed' };
  }
  const answerShape: AnswerShape = shapes === 'mixed' ? random.pick(ANSWER_SHAPES) : shapes;
  return {
    outcome,
    answerShape,
    // Drawn for every `nulls` task: a render failure can still turn its success into a failure later.
    ...(answerShape === 'nulls' ? { nullCallbackData: random.chance(0.5) } : {}),
  };
}

export function isModerated(prompt: string, words: string[]): boolean {
  const text = prompt.toLowerCase();
  return words.some((w) => text.includes(w.toLowerCase()));
}
