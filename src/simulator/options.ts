/**
 * Everything the simulator can be told at start (CLI flags map 1:1 onto this) and at run time (faults,
 * clock). Durations are in provider time: the time scale turns them into wall time.
 */
import { z } from 'zod';
import { PriceTable } from '../chain/input';
import { DEFAULT_PRICES } from '../chain/prices';

export const FailCode = z.union([
  z.literal(400),
  z.literal(408),
  z.literal(451),
  z.literal(500),
  z.literal(501),
]);

export const FaultConfig = z
  .object({
    /** Share of creates answered 500 before any task exists (nothing charged). */
    createFailBefore: z.number().min(0).max(1).default(0),
    /** Share of creates answered 500 after the task was created and charged: the ambiguous case. */
    createFailAfter: z.number().min(0).max(1).default(0),
    /** Share of reads (record-detail, credit, download-url) answered 500. */
    readFail: z.number().min(0).max(1).default(0),
    /** Share of answers delayed by `slowMs` wall ms (a create is delayed after the task exists). */
    slowProbability: z.number().min(0).max(1).default(0),
    slowMs: z.number().int().nonnegative().default(0),
    /** Share of requests never answered (a create's task exists); the socket is dropped after `hangMs`. */
    hangProbability: z.number().min(0).max(1).default(0),
    hangMs: z.number().int().positive().default(120_000),
    /** Chance that a create starts a burst of 429s lasting `burst429Ms` wall ms. */
    burst429Probability: z.number().min(0).max(1).default(0),
    burst429Ms: z.number().int().nonnegative().default(2_000),
    /** Share of tasks that end in `fail`, with a code drawn from `taskFailCodes`. */
    taskFailProbability: z.number().min(0).max(1).default(0),
    taskFailCodes: z.array(FailCode).min(1).default([501, 408, 400]),
    /**
     * A create whose prompt holds one of these (case-insensitive) makes a charged task that fails with 400
     * "Your prompt was caught by our AI moderator.", whatever `taskFailProbability` says.
     */
    moderatedWords: z.array(z.string().min(1).max(200)).max(1000).default([]),
    /**
     * Messages of the 400 task failures drawn by `taskFailProbability`, instead of the reference's input
     * rejections: e.g. "Reached the limit for concurrent generations." to test a transient 400.
     */
    failMessages: z.array(z.string().min(1).max(1000)).max(100).default([]),
    /** Official API: share of tasks that sit THROTTLED for `throttleMs` (provider time) before RUNNING. */
    throttleProbability: z.number().min(0).max(1).default(0),
    throttleMs: z.number().int().nonnegative().default(20_000),
    /** Official API: the `failureCode`s of tasks failed by `taskFailProbability` (drawn at random). */
    failureCodes: z
      .array(z.string().regex(/^[A-Z_]+(\.[A-Z0-9_]+)*$/))
      .min(1)
      .default(['INTERNAL.BAD_OUTPUT.CODE01', 'SAFETY.INPUT.IMAGE', 'INPUT_PREPROCESSING.INTERNAL']),
    callbackDropProbability: z.number().min(0).max(1).default(0),
    callbackDuplicateProbability: z.number().min(0).max(1).default(0),
    callbackDelayProbability: z.number().min(0).max(1).default(0),
    callbackDelayMs: z.number().int().nonnegative().default(0),
    /** Every provider endpoint answers 455. */
    maintenance: z.boolean().default(false),
  })
  .strict();
export type FaultConfig = z.infer<typeof FaultConfig>;

export const ErrorStyle = z.enum(['envelope', 'http', 'mixed']);
export type ErrorStyle = z.infer<typeof ErrorStyle>;

/** Which API the simulator speaks: the reseller's (kie.ai Runway endpoints) or Runway's own developer API. */
export const SimulatorProvider = z.enum(['kie-runway', 'runwayml']);
export type SimulatorProvider = z.infer<typeof SimulatorProvider>;

export const SimulatorOptions = z
  .object({
    provider: SimulatorProvider.default('kie-runway'),
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(0),
    /** The base URL clients and the files' links use; defaults to the listening address. */
    publicUrl: z.string().url().optional(),
    apiKeys: z.array(z.string().min(1)).min(1).default(['sim-api-key']),
    adminToken: z.string().min(1).default('sim-admin-token'),
    /** Wall seconds per provider second: 1 is real time, 0.01 makes a 60 s generation take 0.6 s. */
    timeScale: z.number().positive().max(1000).default(1),
    /** Starting balance of every key. */
    credits: z.number().nonnegative().default(100_000),
    prices: PriceTable.default(DEFAULT_PRICES),
    /** Accepted creates per key per 10 wall seconds; 0 disables the limit. */
    rateLimit: z.number().int().nonnegative().default(20),
    webhookHmacKey: z.string().min(1).optional(),
    seed: z.number().int().default(1),
    /** How errors are answered: HTTP 200 with the envelope's code (as the docs show), the HTTP status, or both at random. */
    errorStyle: ErrorStyle.default('envelope'),
    /**
     * How record-detail and callbacks look (chosen per task at create time): every reference field
     * (`full`), only the docs page's example keys (`docs`), optional fields `null` (`nulls`), `full` with
     * `failCode`/`expandPrompt` as strings (`strings`), or one of those four per task, seeded (`mixed`).
     */
    shapes: z.enum(['full', 'docs', 'nulls', 'strings', 'mixed']).default('full'),
    /** Provider-time durations of the task states, for a 5 s clip (a 10 s clip generates twice as long). */
    waitMs: z.number().int().nonnegative().default(2_000),
    queueMs: z.number().int().nonnegative().default(8_000),
    generateMs: z.number().int().nonnegative().default(50_000),
    /** Random spread of the generating time, as a share of it (0.2 = ±20 %), from the seeded generator. */
    jitter: z.number().min(0).max(1).default(0),
    /** Files are deleted this long (provider time) after generation (`runwayml`: 24 h unless given). */
    fileTtlMs: z
      .number()
      .int()
      .positive()
      .default(14 * 24 * 3600 * 1000),
    /** `full`: one rendered clip per task; `shared`: one clip per size, reused (for load tests). */
    media: z.enum(['full', 'shared']).default('full'),
    /** What an extension's video holds: the new part only (the contract's inference) or the whole video so far. */
    extensionMedia: z.enum(['new-part', 'whole']).default('new-part'),
    /** Where rendered files live; a temp folder (removed on close) by default. */
    dataDir: z.string().optional(),
    renderConcurrency: z.number().int().positive().default(2),
    faults: FaultConfig.default(FaultConfig.parse({})),
    /** One line per request; `false` for none. */
    log: z.boolean().default(true),
  })
  .strict();
export type SimulatorOptions = z.input<typeof SimulatorOptions>;
export type ResolvedSimulatorOptions = z.output<typeof SimulatorOptions>;
