/**
 * The workflow checks its input without zod (chain-input-check.ts, to keep zod out of every cached
 * workflow); the client and the CLI check it with zod (`parseLongVideoInput`). Both must give the same
 * answer, or a chain the CLI accepts could fail in its workflow (or a continue-as-new go another way):
 * accepted or not, the same resolved input (defaults, key order, unknown keys dropped) and the same message.
 */
import fc from 'fast-check';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ASPECT_RATIOS, MAX_PROMPT_LENGTH } from '../src/chain/contract';
import { checkLongVideoInput, promptProblem } from '../src/chain/input-check';
import { checkPrompts } from '../src/workflows/chain-inputs';
import { parseLongVideoInput } from '../src/chain/input';
import { Prompt } from '../src/chain/requests';

type Outcome = { ok: string } | { error: string };

/** JSON that keeps key order and tells an absent key from one set to undefined. */
const exact = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (x === undefined ? '<undefined>' : x));

function outcome(check: (input: unknown) => unknown, input: unknown): Outcome {
  try {
    return { ok: exact(check(input)) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Inputs accepted so far: the property must exercise acceptance as much as refusal. */
let accepted = 0;
function expectSame(input: unknown): void {
  const expected = outcome(parseLongVideoInput, input);
  expect(outcome(checkLongVideoInput, input)).toEqual(expected);
  if ('ok' in expected) accepted++;
}

const text = fc.oneof(
  fc.constantFrom('a paper boat', '', ' \t', '\u200B\u202E', 'x'.repeat(MAX_PROMPT_LENGTH + 1), '\uD800'),
  fc.string({ maxLength: 20 }),
);
const anything = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    true,
    0,
    -0,
    1.5,
    -1,
    Number.NaN,
    Infinity,
    -Infinity,
    1e21,
    '',
    '5',
    [],
    {},
  ),
  fc.integer(),
  fc.string({ maxLength: 5 }),
);
const number = (...good: number[]) => fc.oneof(fc.constantFrom(...good), anything);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, anything);

const options = fc.record(
  {
    maxTaskFailures: number(0, 2, 20, 21),
    maxUnreadableAnswers: number(1, 100, 101),
    pollIntervalMs: number(10, 9, 6000, 600_001),
    callbackGraceMs: number(0, 3_600_000, 3_600_001),
    ambiguousCreatePolicy: maybe(fc.constantFrom('stop', 'resubmit', 'pay twice')),
    providerCallTimeoutMs: number(100, 99, 45_000),
    continueAsNewEvery: number(1, 2, 10_000, 10_001),
    maxCredits: number(0, 10, 12.5, -0.001),
    prices: maybe(
      fc.record(
        { '5s-720p': number(0, 12), '10s-720p': number(30), '5s-1080p': number(30, -1), extra: number(1) },
        { requiredKeys: ['5s-720p', '10s-720p', '5s-1080p'] },
      ),
    ),
    deliver: maybe(fc.boolean()),
    trimBoundaryFrame: maybe(fc.boolean()),
    crossfadeSeconds: number(0, 0.5, 2, 2.5),
    review: maybe(fc.boolean()),
    notifyUrl: maybe(
      fc.constantFrom(
        'https://hooks.example/chain',
        'http://127.0.0.1:9/x',
        'ftp://h/x',
        'https://u:p@h/x',
        'ftp://u@h',
      ),
    ),
    unknownOption: anything,
  },
  { requiredKeys: [] },
);

const attempt = fc.record(
  { attempt: number(0, 1, -1), taskId: maybe(text), kind: maybe(text), reason: maybe(text), at: maybe(text) },
  { requiredKeys: ['attempt', 'reason', 'at'] },
);
const segment = (index: number) =>
  fc.record(
    {
      index: number(index, 0),
      prompt: maybe(text),
      state: maybe(fc.constantFrom('pending', 'submitting', 'generating', 'succeeded', 'failed', 'done')),
      taskId: maybe(text),
      videoUrl: maybe(text),
      imageUrl: maybe(text),
      attempts: number(0, 3, -1),
      failures: number(0, 1, 0.5),
      submittedAt: maybe(text),
      completedAt: maybe(text),
      completedBy: maybe(fc.constantFrom('callback', 'poll', 'mail')),
      lastError: maybe(text),
      pastAttempts: maybe(fc.array(attempt, { maxLength: 3 })),
      adopted: maybe(fc.boolean()),
      archive: maybe(
        fc.record(
          {
            video: maybe(text),
            thumbnail: maybe(text),
            sha256: maybe(text),
            bytes: number(0, 10),
            durationSeconds: number(0, 5.2),
          },
          { requiredKeys: ['video', 'sha256', 'bytes', 'durationSeconds'] },
        ),
      ),
      stray: anything,
    },
    { requiredKeys: ['index', 'prompt', 'state', 'attempts'] },
  );
const carry = fc.record(
  {
    segments: fc.oneof(fc.array(segment(1), { maxLength: 3 }), anything),
    paused: maybe(fc.record({ reason: maybe(text), at: maybe(text), by: maybe(text), note: anything })),
    startedAt: maybe(text),
    creditsSpent: number(0, 12, -1),
    runs: number(1, 2, 0),
    stray: anything,
  },
  { requiredKeys: ['segments', 'startedAt', 'runs'] },
);

const input = fc.record(
  {
    prompts: fc.oneof(
      fc.array(text, { minLength: 1, maxLength: 4 }),
      fc.array(fc.constant('p'), { minLength: 999, maxLength: 1002 }),
      anything,
    ),
    duration: number(5, 10, 7),
    quality: maybe(fc.constantFrom('720p', '1080p', '4k')),
    aspectRatio: maybe(fc.constantFrom(...ASPECT_RATIOS, '2:1')),
    imageUrl: maybe(
      fc.constantFrom('https://example.com/a.png', 'http://', 'ftp://x/y', 'javascript:alert(1)'),
    ),
    waterMark: maybe(fc.constantFrom('', 'studio', 'w'.repeat(200), 'w'.repeat(201))),
    options: fc.oneof(options, anything),
    carry: fc.oneof(carry, anything),
    apiKey: anything,
  },
  { requiredKeys: ['prompts'] },
);

/** Mostly valid: a few fields set, each to a good value, so that acceptance is tested as much as refusal. */
const validInput = fc.record(
  {
    prompts: fc.array(fc.constantFrom('a paper boat', 'the boat sinks'), { minLength: 1, maxLength: 3 }),
    duration: fc.constantFrom(5, 10),
    quality: fc.constant('720p'),
    aspectRatio: fc.constantFrom(...ASPECT_RATIOS),
    imageUrl: fc.constant('https://example.com/a.png'),
    waterMark: fc.constant('studio'),
    options: fc.record(
      {
        maxTaskFailures: fc.integer({ min: 0, max: 20 }),
        pollIntervalMs: fc.integer({ min: 10, max: 600_000 }),
        maxCredits: fc.oneof(fc.nat(), fc.constant(undefined)),
        ambiguousCreatePolicy: fc.constantFrom('stop', 'resubmit'),
        prices: fc.constant({ '5s-720p': 1, '10s-720p': 2, '5s-1080p': 3 }),
        deliver: fc.boolean(),
        crossfadeSeconds: fc.double({ min: 0, max: 2, noNaN: true }),
      },
      { requiredKeys: [] },
    ),
    carry: fc.record({
      segments: fc.array(
        fc.record(
          {
            index: fc.constant(1),
            prompt: fc.constant('a paper boat'),
            state: fc.constantFrom('pending', 'succeeded'),
            attempts: fc.nat(3),
            taskId: fc.constant('task-1'),
            pastAttempts: fc.constant([{ attempt: 1, reason: 'r', at: 't', kind: 'transient' }]),
            archive: fc.constant({ video: 'v.mp4', sha256: 'ab', bytes: 3, durationSeconds: 5 }),
          },
          { requiredKeys: ['index', 'prompt', 'state', 'attempts'] },
        ),
        { minLength: 1, maxLength: 2 },
      ),
      startedAt: fc.constant('2025-01-01T00:00:00.000Z'),
      runs: fc.integer({ min: 1, max: 5 }),
    }),
  },
  { requiredKeys: ['prompts'] },
);

describe('the workflow input check agrees with zod', () => {
  test('named cases', () => {
    const VALID = { prompts: ['a paper boat'], aspectRatio: '16:9' };
    const cases: unknown[] = [
      VALID,
      undefined,
      null,
      'make me a film',
      [],
      {},
      new Date(0),
      { ...VALID, duration: 10, quality: '1080p' },
      { prompts: ['a'], duration: 10, quality: '1080p', apiKey: 1 },
      { prompts: ['\u200B\u202E'], aspectRatio: '16:9', duration: Number.NaN, options: { maxCredits: -1 } },
      { ...VALID, prompts: Array<string>(1000).fill('') },
      { ...VALID, prompts: Array<string>(1001).fill('p') },
      { ...VALID, options: null },
      { ...VALID, options: undefined, aspectRatio: undefined, imageUrl: 'https://x.example/i.png' },
      { ...VALID, options: { maxTaskFailures: 1e21, prices: { '5s-720p': 1 }, x: 1 } },
      { ...VALID, carry: { segments: [] } },
      {
        ...VALID,
        carry: {
          segments: [{ index: 1, prompt: 'p', state: 'pending', attempts: 0, zz: 1 }],
          startedAt: 's',
          runs: 1,
          x: 1,
        },
      },
      JSON.parse('{"prompts":["a"],"aspectRatio":"16:9","__proto__":{"polluted":true}}'),
      Object.assign(Object.create({ inherited: 1 }) as object, VALID),
      // A string's length limit counts code points (zod), a prompt's counts UTF-16 units (the contract).
      { ...VALID, waterMark: '\u{1F600}'.repeat(150) },
      { ...VALID, waterMark: '\u{1F600}'.repeat(201) },
      { ...VALID, prompts: ['\u{1F600}'.repeat(901)] },
      {
        ...VALID,
        options: { maxCredits: undefined },
        aspectRatio: undefined,
        imageUrl: 'https://x.example/i',
      },
    ];
    for (const c of cases) expectSame(c);
  });

  test('generated inputs, valid and not (property)', () => {
    accepted = 0;
    const numRuns = 3000;
    fc.assert(fc.property(fc.oneof(input, validInput), expectSame), { seed: 1207, numRuns });
    expect(accepted).toBeGreaterThan(numRuns / 4);
  });

  test('a prompt: the same verdict and first reason as the contract', () => {
    fc.assert(
      fc.property(fc.oneof(text, anything), (p) => {
        const parsed = Prompt.safeParse(p);
        expect(promptProblem(p)).toEqual(parsed.success ? undefined : parsed.error.issues[0]?.message);
        if (parsed.success) expect(() => checkPrompts([p], 'kie-runway')).not.toThrow();
      }),
      { seed: 1207, numRuns: 500 },
    );
  });
});

describe('the workflow bundle', () => {
  test('carries no schema library: each cached workflow evaluates every module in it anew', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../src/workflows'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    });
    const modules = [...code.matchAll(/^\/\*\*\*\/ "([^"]+)"$/gm)].map((m) => m[1]!);
    expect(modules.length).toBeGreaterThan(10);
    expect(modules.filter((m) => /node_modules\/zod\/|chain\/(input|requests|progress)\.ts/.test(m))).toEqual(
      [],
    );
  }, 120_000);
});
