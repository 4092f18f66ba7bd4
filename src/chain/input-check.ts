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

/** The most segments a chain may have: every run carries them all in its input. */
export const MAX_SEGMENTS = 1000;

export class InvalidChainInput extends Error {
  constructor(message: string) {
    super(`invalid long-video input: ${message}`);
    this.name = 'InvalidChainInput';
  }
}

/** One problem, as zod reports it; `continue: true` lets the checks after it run (zod's abort rules). */
interface Issue {
  path: PropertyKey[];
  message: string;
  continue?: boolean;
}
/** Reads one value: its result (defaults applied, unknown keys dropped) and its problems, pushed. */
type Reader = (value: unknown, issues: Issue[]) => unknown;
/** An object's field: `optional` ones may be absent (and then stay absent from the result). */
type Field = Reader & { optional?: true };

const aborted = (issues: Issue[]) => issues.some((i) => i.continue !== true);

function typeName(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : String(value); // NaN, Infinity
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') {
    const proto: unknown = Object.getPrototypeOf(value);
    const ctor =
      'constructor' in value ? (value as { constructor?: { name?: string } }).constructor : undefined;
    if (proto !== Object.prototype && ctor) return String(ctor.name);
  }
  return typeof value;
}
const wrongType = (expected: string, value: unknown): Issue => ({
  path: [],
  message: `Invalid input: expected ${expected}, received ${typeName(value)}`,
});
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function num(rules: { int?: boolean; min?: number; max?: number } = {}): Reader {
  return (v, issues) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return void issues.push(wrongType('number', v));
    if (rules.int && !Number.isInteger(v)) {
      return void issues.push({ ...wrongType('int', v), continue: false });
    }
    if (rules.int && !Number.isSafeInteger(v)) {
      const [rel, bound] = v > 0 ? ['big', '<=9007199254740991'] : ['small', '>=-9007199254740991'];
      issues.push({ path: [], message: `Too ${rel}: expected int to be ${bound}`, continue: true });
    }
    if (rules.min !== undefined && v < rules.min) {
      issues.push({ path: [], message: `Too small: expected number to be >=${rules.min}`, continue: true });
    }
    if (rules.max !== undefined && v > rules.max) {
      issues.push({ path: [], message: `Too big: expected number to be <=${rules.max}`, continue: true });
    }
    return v;
  };
}
const int = (min?: number, max?: number) => num({ int: true, min, max });

/**
 * zod's length rules: checked on anything that has a length (even a string given for a list), a string's
 * length counted in code points, a custom message for a list's minimum.
 */
function lengthRules(v: unknown, issues: Issue[], min?: [number, string?], max?: number): void {
  if (v === undefined || v === null || (v as { length?: unknown }).length === undefined) return;
  if (issues.some((i) => i.continue === false)) return;
  const origin = Array.isArray(v) ? 'array' : typeof v === 'string' ? 'string' : 'unknown';
  const length = typeof v === 'string' ? [...v].length : (v as { length: unknown }).length;
  const has = origin === 'unknown' ? 'to be ' : 'to have ';
  const unit = origin === 'array' ? ' items' : origin === 'string' ? ' characters' : '';
  if (min && !((length as number) >= min[0])) {
    const message = min[1] ?? `Too small: expected ${origin} ${has}>=${min[0]}${unit}`;
    issues.push({ path: [], message, continue: true });
  }
  if (max !== undefined && !((length as number) <= max)) {
    issues.push({ path: [], message: `Too big: expected ${origin} ${has}<=${max}${unit}`, continue: true });
  }
}

function str(max?: number): Reader {
  return (v, issues) => {
    if (typeof v !== 'string') issues.push(wrongType('string', v));
    lengthRules(v, issues, undefined, max);
    return v;
  };
}
const bool: Reader = (v, issues) => (typeof v === 'boolean' ? v : void issues.push(wrongType('boolean', v)));

function oneOf(values: readonly unknown[]): Reader {
  const message = `Invalid option: expected one of ${values.map((x) => `"${String(x)}"`).join('|')}`;
  return (v, issues) => (values.includes(v) ? v : void issues.push({ path: [], message }));
}

function refined(base: Reader, rules: Array<[(v: string) => boolean, string]>): Reader {
  return (v, issues) => {
    const start = issues.length;
    base(v, issues);
    if (issues.length > start) return undefined;
    for (const [ok, message] of rules)
      if (!ok(v as string)) issues.push({ path: [], message, continue: true });
    return v;
  };
}

const duration: Reader = (v, issues) =>
  (DURATIONS as readonly unknown[]).includes(v)
    ? v
    : void issues.push({ path: [], message: 'duration must be 5 or 10 (seconds)' });

function prefixed(key: PropertyKey, from: Issue[], to: Issue[]): void {
  for (const issue of from) to.push({ ...issue, path: [key, ...issue.path] });
}

function list(element: Reader, min?: [number, string?], max?: number): Reader {
  return (v, issues) => {
    if (!Array.isArray(v)) {
      issues.push(wrongType('array', v));
      return void lengthRules(v, issues, min, max);
    }
    // An oversized list fails on its size alone, before any element is read.
    if (max !== undefined && v.length > max) {
      return void issues.push({
        path: [],
        message: `Too big: expected array to have <=${max} items`,
        continue: false,
      });
    }
    const out: unknown[] = [];
    v.forEach((item, i) => {
      const own: Issue[] = [];
      out[i] = element(item, own);
      prefixed(i, own, issues);
    });
    lengthRules(v, issues, min, max);
    return out;
  };
}

const optional = (read: Reader): Field =>
  Object.assign((v: unknown, i: Issue[]) => (v === undefined ? undefined : read(v, i)), {
    optional: true as const,
  });
const withDefault =
  (read: Reader, fallback: () => unknown): Reader =>
  (v, issues) =>
    v === undefined ? fallback() : read(v, issues);

/** An object of known fields, in their order; `strict` refuses other keys, else they are dropped. */
function object(shape: Record<string, Field>, strict = false): Reader {
  return (v, issues) => {
    if (!isObject(v)) return void issues.push(wrongType('object', v));
    const out: Record<string, unknown> = {};
    for (const [key, read] of Object.entries(shape)) {
      const present = key in v;
      if (!present && read.optional) continue;
      const own: Issue[] = [];
      const value = read(v[key], own);
      prefixed(key, own, issues);
      if (value !== undefined || present) out[key] = value;
    }
    if (strict) {
      const unknown: string[] = [];
      for (const key in v) if (!Object.prototype.hasOwnProperty.call(shape, key)) unknown.push(key);
      if (unknown.length > 0) {
        const keys = unknown.map((k) => `"${k}"`).join(', ');
        issues.push({
          path: [],
          message: `Unrecognized key${unknown.length > 1 ? 's' : ''}: ${keys}`,
          continue: true,
        });
      }
    }
    return out;
  };
}

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
  const httpUrl = refined(str(), [
    [
      (s) => {
        try {
          const u = new URL(s);
          return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
        } catch {
          return false;
        }
      },
      'must be an absolute http(s) URL',
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
    archive: optional(
      object({
        video: str(),
        thumbnail: optional(str()),
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
