/**
 * A chain's input: its prompts, the generation's settings and options, and what a new run carries. Checked
 * by zod, every problem at once, before any paid call: by the client when a chain starts and by the
 * workflow when a run begins.
 */
import { z } from 'zod';
import {
  AspectRatio,
  Duration,
  HttpUrl,
  NotifyUrl,
  Prompt,
  Quality,
  checkGenerateRules,
  describeZodError,
} from './requests';
import { DEFAULT_PRICES } from './prices';
import { InvalidChainInput, MAX_SEGMENTS } from './input-check';
import { PauseState, SegmentState } from './progress';
import { PROVIDER_NAMES, providerInputProblems } from './providers';

/** Credits per create, by clip length and quality (`prices.ts`). */
export const PriceTable = z
  .object({
    '5s-720p': z.number().nonnegative(),
    '10s-720p': z.number().nonnegative(),
    '5s-1080p': z.number().nonnegative(),
  })
  .strict();
export type PriceTable = z.infer<typeof PriceTable>;

export const ChainOptions = z
  .object({
    /** How many times one segment's task may end in `fail` and be resubmitted before the chain stops. */
    maxTaskFailures: z.number().int().min(0).max(20).default(2),
    /** Answers about one task that cannot be read, in a row, before the chain pauses (the task is kept). */
    maxUnreadableAnswers: z.number().int().min(1).max(100).default(3),
    /** Between two record-detail polls of a task still generating. */
    pollIntervalMs: z.number().int().min(10).max(600_000).default(6_000),
    /** How long to wait for the callback of a create whose answer was lost before applying the policy. */
    callbackGraceMs: z
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .default(15 * 60_000),
    /** What to do when a create may have made a task we cannot find: stop (never pay twice) or resubmit. */
    ambiguousCreatePolicy: z.enum(['stop', 'resubmit']).default('stop'),
    /** The longest one create or read call may take, from the activity's start. */
    providerCallTimeoutMs: z.number().int().min(100).max(600_000).default(45_000),
    /** Start a new run (continue-as-new) after this many segments, or sooner when Temporal suggests it. */
    continueAsNewEvery: z.number().int().min(1).max(10_000).default(100),
    /** Pause before a create would take the chain's spending over this many credits. */
    maxCredits: z.number().nonnegative().optional(),
    /** Credits per create (the provider publishes none in its contract: configuration). */
    prices: PriceTable.default(DEFAULT_PRICES),
    /** Download, stitch and report the segments; false leaves them at the provider (their URLs are in the
     * progress), for a back end that fetches them itself. */
    deliver: z.boolean().default(true),
    /** Stitching: drop each extension's first frame (a repeat of the previous last frame). */
    trimBoundaryFrame: z.boolean().default(false),
    /** Stitching: crossfade at each joint, in seconds (0: a cut). */
    crossfadeSeconds: z.number().min(0).max(2).default(0),
    /** Pause after each segment (archived) until an operator approves it or redoes it. */
    review: z.boolean().optional(),
    /** POST the chain's state here when it pauses, completes, fails or is cancelled. Kept in the
     * workflow input and history: no credentials in it (a signing secret is NOTIFY_SECRET, the worker's). */
    notifyUrl: NotifyUrl.optional(),
  })
  .strict();
export type ChainOptions = z.infer<typeof ChainOptions>;

/** What a new run of a chain starts from: a continue-as-new, or `long-video resume` of a closed chain. */
export const ChainCarry = z.object({
  segments: z.array(SegmentState).min(1),
  paused: PauseState.optional(),
  startedAt: z.string(),
  creditsSpent: z.number().nonnegative().default(0),
  /** Runs before this one, for `progress`. */
  runs: z.number().int().min(1),
});
export type ChainCarry = z.infer<typeof ChainCarry>;

export const LongVideoInput = z
  .object({
    prompts: z.array(Prompt).min(1, 'at least one prompt is needed').max(MAX_SEGMENTS),
    duration: Duration.default(5),
    quality: Quality.default('720p'),
    aspectRatio: AspectRatio.optional(),
    imageUrl: HttpUrl.optional(),
    waterMark: z.string().max(200).optional(),
    /** The provider the chain runs on (`providers.ts`); absent: kie-runway. Never changes in a chain. */
    provider: z.enum(PROVIDER_NAMES).optional(),
    options: ChainOptions.default(ChainOptions.parse({})),
    carry: ChainCarry.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    checkGenerateRules(v, ctx);
    for (const p of providerInputProblems(v)) ctx.addIssue({ code: 'custom', ...p });
  });
export type LongVideoInput = z.input<typeof LongVideoInput>;
export type ResolvedInput = z.output<typeof LongVideoInput>;

/** Parse a chain's input; the error says every problem at once. */
export function parseLongVideoInput(input: unknown): ResolvedInput {
  const parsed = LongVideoInput.safeParse(input);
  if (!parsed.success) throw new InvalidChainInput(describeZodError(parsed.error));
  return parsed.data;
}
