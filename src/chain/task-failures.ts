/**
 * Why a task ended in `fail`, as far as the provider lets us tell: it decides whether paying for the same
 * segment again can help. The reference gives one `failCode`, 400, for causes of every kind (moderation,
 * a too-long prompt, a bad image, but also "Reached the limit for concurrent generations."), told apart
 * only by `failMsg`; some answers carry no code at all. Pure: the workflow runs it.
 */

/**
 * - `input`: the provider refused this segment's input (moderation, prompt, image): the same request would
 *   fail again, so it needs a new prompt;
 * - `plan`: the account's plan forbids it (e.g. HD trials used up): a person must act first;
 * - `transient`: a passing condition (load, network, an upstream time-out): the same request may succeed;
 * - `unknown`: nothing we recognise: never paid for again without a person deciding.
 */
export type TaskFailureKind = 'input' | 'plan' | 'transient' | 'unknown';

/** Messages of the reference's list (and close variants), by kind; checked in this order. */
const MESSAGE_RULES: Array<[TaskFailureKind, RegExp]> = [
  [
    'input',
    /moderat|inappropriate|nsfw|not allowed under our policy|cannot exceed|too long|unsupported width|unsupported .*(size|height)|image format|failed to fetch the image/i,
  ],
  ['plan', /free trials? complete|subscribe now/i],
  [
    'transient',
    /concurrent generations|network reasons|try again later|please try again|no result for over|timed? ?out|temporarily|internal error|server error/i,
  ],
];

/** Codes that mean the same whatever the message (the contract's table). */
const CODE_KINDS: Record<string, TaskFailureKind> = {
  '408': 'transient', // upstream produced no result for over 10 minutes
  '451': 'input', // the provider could not fetch the given image
  '500': 'transient',
  '501': 'transient', // generation failed
  '502': 'transient',
  '503': 'transient',
  '504': 'transient',
};

/** The message speaks first (400 covers every kind); a code with one meaning decides a message we do not know. */
export function classifyTaskFailure(failure: { failCode?: string; failMsg?: string }): TaskFailureKind {
  const message = failure.failMsg?.trim() ?? '';
  for (const [kind, pattern] of MESSAGE_RULES) if (message && pattern.test(message)) return kind;
  const code = failure.failCode?.trim();
  return (code && CODE_KINDS[code]) || 'unknown';
}
