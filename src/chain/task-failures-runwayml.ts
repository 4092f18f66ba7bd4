/**
 * Why an official-API task ended FAILED, by its `failureCode` (docs/provider-runwayml.md has the table and
 * its sources). Unlike the reseller's one code for every cause, these codes are dotted classes, so the class
 * decides and the `failure` text is only shown. Pure: the workflow may run it.
 */
import type { TaskFailureKind } from './task-failures';

/** Prefixes in the order they are tried: the longest (most specific) first. */
const CODE_RULES: Array<[prefix: string, kind: TaskFailureKind]> = [
  // A problem running moderation, not a verdict on the input: may pass.
  ['INPUT_PREPROCESSING.INTERNAL', 'transient'],
  // Moderation refused the prompt text (or another input): the same request fails again.
  ['INPUT_PREPROCESSING.SAFETY', 'input'],
  ['SAFETY.INPUT', 'input'],
  // Moderation refused what the model made from this input. Runway says not to retry SAFETY failures
  // blindly: a person changes the prompt or the image.
  ['SAFETY.OUTPUT', 'input'],
  ['SAFETY', 'input'],
  // The input asset could not be used (format, size, dimensions).
  ['ASSET.INVALID', 'input'],
  ['ASSET', 'input'],
  // Rejected for quality or a system error: "may retry, not likely to succeed", so the failure budget caps it.
  ['INTERNAL.BAD_OUTPUT', 'transient'],
  ['INTERNAL', 'transient'],
];

function matches(code: string, prefix: string): boolean {
  return code === prefix || code.startsWith(`${prefix}.`);
}

/** The class of a FAILED task; a code we do not know (or none) is `unknown`: never paid again unasked. */
export function classifyRunwayMlFailure(failure: { failCode?: string; failMsg?: string }): TaskFailureKind {
  const code = failure.failCode?.trim().toUpperCase();
  if (!code) return 'unknown';
  for (const [prefix, kind] of CODE_RULES) if (matches(code, prefix)) return kind;
  return 'unknown';
}
