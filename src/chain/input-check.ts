/**
 * The chain's input check as the workflow runs it: the same rules, defaults and messages as zod's
 * `LongVideoInput` (input.ts, which the client and the CLI use), without zod. The workflow bundle
 * evaluates its modules once per cached workflow: zod and its schemas held about 1 MB of every chain a
 * worker keeps. test/chain-input-check.test.ts holds the two to the same answers (accepted or not, the
 * same resolved input, the same first problem named).
 */
import { ASPECT_RATIOS, DURATIONS, MAX_PROMPT_LENGTH, QUALITIES } from './contract';
import type { ResolvedInput } from './input';
import { DEFAULT_PRICES } from './prices';
import { PROVIDER_NAMES, providerInputProblems } from './providers';
import { hasCredentials } from './redact';
import {
  type Issue,
  type Reader,
  aborted,
  bool,
  int,
  isObject,
  list,
  num,
  object,
  oneOf,
  optional,
  refined,
  str,
  withDefault,
} from './readers';

/** The most segments a chain may have: every run carries them all in its input. */
export const MAX_SEGMENTS = 1000;

export class InvalidChainInput extends Error {
  constructor(message: string) {
    super(`invalid long-video input: ${message}`);
    this.name = 'InvalidChainInput';
  }
}

const duration: Reader = (v, issues) =>
  (DURATIONS as readonly unknown[]).includes(v)
    ? v
    : void issues.push({ path: [], message: 'duration must be 5 or 10 (seconds)' });

/**
 * The readers of a chain's input, made for each check and dropped after it: kept at module level they would
 * stay in memory with every cached workflow (each one evaluates this module anew).
 */
function readers() {
  /** A prompt (the contract's `Prompt`): a string with something visible in it, not too long. */
  const prompt = refined(
    (v, issues) =>
      typeof v === 'string' ? v : void issues.push({ path: [], message: 'prompt must be a string' }),
    [
      // Whitespace, zero-width and direction marks, controls and lone surrogates alone are no prompt at all.
      [(p) => p.replace(/[\s\p{Cc}\p{Cf}\p{Cs}]/gu, '').length > 0, 'prompt must not be empty'],
      [(p) => p.length <= MAX_PROMPT_LENGTH, `prompt must be at most ${MAX_PROMPT_LENGTH} characters`],
    ],
  );

  /** An absolute http(s) URL (the contract's `HttpUrl`). */
  const isHttpUrl = (s: string) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
    } catch {
      return false;
    }
  };
  const httpUrlRule: [(s: string) => boolean, string] = [isHttpUrl, 'must be an absolute http(s) URL'];
  const httpUrl = refined(str(), [httpUrlRule]);
  /** Where notifications go (the contract's `NotifyUrl`): both rules run, as zod's refinements do. */
  const notifyUrl = refined(str(), [
    httpUrlRule,
    [
      (s) => !hasCredentials(s),
      "must not hold credentials (user:password@): it is kept in the chain's history",
    ],
  ]);

  const options = object(
    {
      maxTaskFailures: withDefault(int(0, 20), () => 2),
      maxUnreadableAnswers: withDefault(int(1, 100), () => 3),
      pollIntervalMs: withDefault(int(10, 600_000), () => 6_000),
      callbackGraceMs: withDefault(int(0, 3_600_000), () => 15 * 60_000),
      ambiguousCreatePolicy: withDefault(oneOf(['stop', 'resubmit']), () => 'stop'),
      providerCallTimeoutMs: withDefault(int(100, 600_000), () => 45_000),
      continueAsNewEvery: withDefault(int(1, 10_000), () => 100),
      maxCredits: optional(num({ min: 0 })),
      prices: withDefault(
        object(
          { '5s-720p': num({ min: 0 }), '10s-720p': num({ min: 0 }), '5s-1080p': num({ min: 0 }) },
          true,
        ),
        () => ({ ...DEFAULT_PRICES }),
      ),
      deliver: withDefault(bool, () => true),
      trimBoundaryFrame: withDefault(bool, () => false),
      crossfadeSeconds: withDefault(num({ min: 0, max: 2 }), () => 0),
      review: optional(bool),
      notifyUrl: optional(notifyUrl),
    },
    true,
  );

  const attemptRecord = object({
    attempt: int(0),
    taskId: optional(str()),
    kind: optional(str()),
    reason: str(),
    at: str(),
  });

  const segment = object({
    index: int(1),
    prompt,
    state: oneOf(['pending', 'submitting', 'generating', 'succeeded', 'failed']),
    taskId: optional(str()),
    videoUrl: optional(str()),
    imageUrl: optional(str()),
    attempts: int(0),
    failures: withDefault(int(0), () => 0),
    submittedAt: optional(str()),
    completedAt: optional(str()),
    completedBy: optional(oneOf(['callback', 'poll'])),
    lastError: optional(str()),
    pastAttempts: optional(list(attemptRecord)),
    adopted: optional(bool),
    firstFrameLost: optional(bool),
    firstFrameTaskId: optional(str()),
    archive: optional(
      object({
        video: str(),
        thumbnail: optional(str()),
        url: optional(str()),
        thumbnailUrl: optional(str()),
        sha256: str(),
        bytes: int(0),
        durationSeconds: num({ min: 0 }),
      }),
    ),
  });

  const carry = object({
    segments: list(segment, [1]),
    paused: optional(object({ reason: str(), at: str(), by: str() })),
    startedAt: str(),
    creditsSpent: withDefault(num({ min: 0 }), () => 0),
    runs: int(1),
  });

  const input = object(
    {
      prompts: list(prompt, [1, 'at least one prompt is needed'], MAX_SEGMENTS),
      duration: withDefault(duration, () => 5),
      quality: withDefault(oneOf(QUALITIES), () => '720p'),
      aspectRatio: optional(oneOf(ASPECT_RATIOS)),
      imageUrl: optional(httpUrl),
      waterMark: optional(str(200)),
      provider: optional(oneOf(PROVIDER_NAMES)),
      options: withDefault(options, () => options({}, [])),
      carry: optional(carry),
    },
    true,
  );

  return { input, prompt };
}

/** The contract's rules across fields of a generation (schemas.ts `checkGenerateRules`). */
function generateRules(v: ResolvedInput, issues: Issue[]): void {
  if (v.quality === '1080p' && v.duration === 10) {
    issues.push({
      path: ['quality'],
      message: '1080p is only available with a 5 s duration (10 s requires 720p)',
      continue: true,
    });
  }
  if (!v.imageUrl && !v.aspectRatio) {
    issues.push({
      path: ['aspectRatio'],
      message: 'aspectRatio is required for text-to-video (no imageUrl)',
      continue: true,
    });
  }
  for (const p of providerInputProblems(v)) issues.push({ ...p, continue: true });
}

/** Issues shown: a thousand bad prompts make a message nobody reads (as `describeZodError`). */
const MAX_ISSUES_SHOWN = 5;

/** A chain's input, checked and with its defaults: `parseLongVideoInput` without zod. */
export function checkLongVideoInput(raw: unknown): ResolvedInput {
  const issues: Issue[] = [];
  const resolved = readers().input(raw, issues) as ResolvedInput;
  if (isObject(raw) && !aborted(issues)) generateRules(resolved, issues);
  if (issues.length === 0) return resolved;
  const shown = issues
    .slice(0, MAX_ISSUES_SHOWN)
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message));
  const more = issues.length - shown.length;
  throw new InvalidChainInput([...shown, ...(more > 0 ? [`and ${more} more`] : [])].join('; '));
}

/** Why `value` is not a prompt (the first reason), or undefined when it is one. */
export function promptProblem(value: unknown): string | undefined {
  const issues: Issue[] = [];
  readers().prompt(value, issues);
  return issues[0]?.message;
}
