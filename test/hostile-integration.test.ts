/**
 * Hostile input against the real stack (issue 6): `long-video start` arguments through `main(argv)` with
 * the provider simulator over HTTP, malformed chain inputs started straight on a Temporal dev server with a
 * real worker process, and forged, broken or replayed callbacks posted to the real receiver. Every case
 * ends in a clear error; nothing is paid, no workflow task keeps failing, no forged callback signals.
 */
import os from 'node:os';
import fc from 'fast-check';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { type RunningReceiver, startCallbackReceiver } from '../src/receiver/server';
import { callbackUrl } from '../src/provider/callback-tokens';
import { callbackSignatureHeaders, parseCallback, signCallback } from '../src/provider/callbacks';
import { MAX_PROMPT_LENGTH } from '../src/chain/contract';
import { main } from '../src/cli/main';
import { freePort } from '../src/temporal/dev-server';
import { type TaskFinishedSignal } from '../src/workflows/messages';
import { WORKFLOW_TASK_QUEUE } from '../src/chain/queues';
import { eventually, waitForState } from './support/simulator';
import { CALLBACK_SECRET, type Stack, useStackWithWorker } from './support/stack';

jest.setTimeout(90_000);

const counted: Record<string, number> = {};
const count = (group: string, n: number) => (counted[group] = (counted[group] ?? 0) + n);

// The simulator is not reset between tests: the callback group's task is made in its `beforeAll`.
const stackWithWorker = useStackWithWorker({ freshSimulator: false });
let stack: Stack;
beforeAll(() => (stack = stackWithWorker()));
afterAll(() => {
  const total = Object.values(counted).reduce((a, b) => a + b, 0);
  console.log(`hostile-integration cases: ${JSON.stringify(counted)} = ${total}`);
});

describe('2. `long-video start` arguments, in process', () => {
  const saved: Record<string, string | undefined> = {};
  const ENV = ['TEMPORAL_ADDRESS', 'RUNWAY_BASE_URL', 'RUNWAY_API_KEY', 'POLL_INTERVAL_MS'];
  beforeAll(async () => {
    for (const k of ENV) saved[k] = process.env[k];
    // Nothing listens there: a chain that got as far as starting would fail to connect, not run.
    process.env.TEMPORAL_ADDRESS = `127.0.0.1:${await freePort()}`;
    process.env.RUNWAY_BASE_URL = stack.sim.sim.url;
    process.env.RUNWAY_API_KEY = stack.sim.sim.options.apiKeys[0];
    delete process.env.POLL_INTERVAL_MS;
  });
  afterAll(() => {
    for (const k of ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  /** `main(argv)` with the console captured: its exit code and what it printed. */
  async function run(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
    const error = jest.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
    try {
      return { code: await main(argv), out, err };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }

  const NUMERIC = [
    'duration',
    'max-credits',
    'max-task-failures',
    'poll-interval-ms',
    'callback-grace-ms',
    'crossfade',
  ];
  /** Never a valid number for any numeric flag (negative, NaN, infinite, not ASCII digits, empty). */
  const badNumber = fc.oneof(
    fc.constantFrom(
      'NaN',
      '-1',
      '-0.5',
      'Infinity',
      '-Infinity',
      '1e309',
      '9'.repeat(400),
      '',
      ' ',
      '５',
      '٥',
    ),
    fc.constantFrom('5s', '5,0', '0x', 'ten', '<b>5</b>', '5\u200B', '1_000', '--'),
    fc.double({ max: -0.001, noNaN: true }).map(String),
    fc.string({ maxLength: 12 }).filter((s) => Number.isNaN(Number(s))),
  );
  const notIn = (allowed: string[]) =>
    fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => !allowed.includes(s));
  const flag = (name: string, value: fc.Arbitrary<string>) =>
    fc.tuple(fc.boolean(), value).map(([inline, v]) => (inline ? [`--${name}=${v}`] : [`--${name}`, v]));
  /** One argument (set) that `start` must refuse, whatever else is on the line. */
  const hostile = fc.oneof(
    fc.constantFrom(...NUMERIC).chain((name) => flag(name, badNumber)),
    flag('quality', fc.oneof(notIn(['720p', '1080p']), fc.constantFrom('1080P', '720', '720p\u200B', '4k'))),
    flag(
      'aspect-ratio',
      fc.oneof(notIn(['16:9', '4:3', '1:1', '3:4', '9:16']), fc.constantFrom('16/9', '16:9 ')),
    ),
    flag('ambiguous-create', notIn(['stop', 'resubmit'])),
    flag(
      'image-url',
      fc.oneof(
        fc.constantFrom('javascript:alert(1)', 'file:///etc/passwd', 'ftp://x/y.png', 'http://', '//x/y.png'),
        fc.string({ maxLength: 30 }).filter((s) => !/^https?:\/\/[^/]/i.test(s)),
      ),
    ),
    flag(
      'prompt',
      fc.oneof(
        fc.constantFrom('', '   ', '\u200B\u200D', '\u202E', '\t\n'),
        fc.integer({ min: MAX_PROMPT_LENGTH + 1, max: 4 * MAX_PROMPT_LENGTH }).map((n) => '<p>'.repeat(n)),
      ),
    ),
    flag(
      'watermark',
      fc.integer({ min: 201, max: 5000 }).map((n) => 'w'.repeat(n)),
    ),
    fc.constant<string[]>(['--duration', '10', '--quality', '1080p']),
    fc.constantFrom<string[]>(
      ['--prompts', '/nonexistent/prompts.txt'],
      ['--prompts', os.tmpdir()],
      ['--prompts', 'x.txt', '--prompt', 'y'],
    ),
    fc
      .stringMatching(/^[a-z][a-z0-9-]{0,20}$/)
      .filter((s) => !START_FLAGS.has(s))
      .map((s) => [`--${s}`]),
    fc.constantFrom<string[]>(['-x'], ['-Z'], ['stray-positional'], ['--dry-run=yes'], ['--wait=1'], ['---']),
  );
  const START_FLAGS = new Set([
    ...NUMERIC,
    'prompt',
    'prompts',
    'quality',
    'aspect-ratio',
    'image-url',
    'watermark',
    'id',
    'ambiguous-create',
    'trim-boundary-frame',
    'dry-run',
    'wait',
    'json',
    'help',
  ]);
  /** Good arguments, so that the hostile one is what gets refused. */
  const fine = fc.subarray([
    ['--duration', '5'],
    ['--quality', '720p'],
    ['--max-credits', '100'],
    ['--watermark', 'mine'],
    ['--crossfade', '0.5'],
    ['--dry-run'],
    ['--json'],
  ]);
  /** A flag at the very end whose value is missing. */
  const missingValue = fc
    .constantFrom(...NUMERIC, 'quality', 'aspect-ratio', 'prompt', 'prompts', 'id')
    .map((f) => [`--${f}`]);

  test('hostile arguments: exit 2, one message, no stack, nothing started or paid (property)', async () => {
    const numRuns = 120;
    const argSets = fc.oneof(
      fc.tuple(fine, hostile, fc.nat()).map(([ok, bad, at]) => {
        // parseArgs keeps the last of a repeated flag: no good twin may override the hostile one.
        const name = (arg: string) => arg.split('=')[0];
        const named = new Set(bad.map(name).filter((a) => a !== '--prompt'));
        const parts = [['--prompt', 'a paper boat'], ['--aspect-ratio', '16:9'], ...ok].filter(
          ([first]) => !named.has(name(first!)),
        );
        parts.splice(at % (parts.length + 1), 0, bad);
        return parts.flat();
      }),
      fc
        .tuple(fine, missingValue)
        .map(([ok, last]) => ['--prompt', 'p', '--aspect-ratio', '1:1', ...ok.flat(), ...last]),
    );
    await fc.assert(
      fc.asyncProperty(argSets, async (args) => {
        const { code, out, err } = await run(['start', ...args]);
        expect({ args, code, out }).toEqual({ args, code: 2, out: [] });
        expect(err).toHaveLength(1);
        expect(err[0]).toMatch(/^long-video start: \S/);
        expect(err[0]).not.toMatch(/\n\s+at /);
      }),
      { seed: 6002, numRuns },
    );
    count('CLI arguments', numRuns);
    expect((await stack.sim.admin.stats()).tasks).toBe(0);
    expect(await stack.sim.admin.ledger()).toEqual([]);
  });

  test.each([
    ['--max-credits', ''],
    ['--max-task-failures', ' '],
    ['--crossfade', ''],
    ['--callback-grace-ms', '\t'],
    ['--max-credits', '1e400'],
    ['--duration', '0x5'],
  ])('%s %j is refused, not read as a number', async (name, value) => {
    const { code, err } = await run([
      'start',
      '--prompt',
      'p',
      '--aspect-ratio',
      '1:1',
      name,
      value,
      '--dry-run',
    ]);
    expect(code).toBe(2);
    // The one number parser of every numeric option refuses it before the input is even built.
    expect(err).toEqual([
      expect.stringMatching(
        /^long-video start: option '--[\w-]+ <\w+>' argument '.*' is invalid\. expected a plain decimal number/,
      ),
    ]);
    count('CLI arguments', 1);
  });

  test('good arguments with no Temporal server: exit 1 and one line saying so, nothing paid', async () => {
    const { code, out, err } = await run([
      'start',
      '--prompt',
      '<b>hi</b> \u202Eevil',
      '--aspect-ratio',
      '16:9',
    ]);
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^long-video start: cannot reach Temporal at 127\.0\.0\.1:\d+ .*\n?$/);
    expect(err[0]!.trim().split('\n')).toHaveLength(1);
    expect(await stack.sim.admin.ledger()).toEqual([]);
    count('CLI arguments', 1);
  });
});

describe('3. malformed chain inputs started directly on the server, with a real worker', () => {
  const INPUTS: Array<[string, unknown[], RegExp]> = [
    ['an empty object', [{}], /prompts: .*expected array/],
    ['no input at all', [], /expected object, received undefined/],
    ['a string', ['make me a film'], /expected object, received string/],
    [
      '1080p with 10 s',
      [{ prompts: ['a'], duration: 10, quality: '1080p', aspectRatio: '16:9' }],
      /1080p is only/,
    ],
    ['1001 prompts', [{ prompts: Array<string>(1001).fill('p'), aspectRatio: '1:1' }], /prompts: Too big/],
    [
      'invisible prompt, NaN duration (null on the wire), negative budget',
      [{ prompts: ['\u200B\u202E'], aspectRatio: '16:9', duration: Number.NaN, options: { maxCredits: -1 } }],
      /prompts\.0: prompt must not be empty; duration: duration must be 5 or 10.*options\.maxCredits/,
    ],
    [
      'a smuggled key',
      [{ prompts: ['<script>x()</script>'], aspectRatio: '16:9', apiKey: 'sk-x' }],
      /Unrecognized key/,
    ],
  ];

  test('each fails at once, non-retryable, with the reason; no workflow task failed; nothing paid', async () => {
    await stack.sim.admin.reset();
    const runs = INPUTS.map(async ([name, args, reason], i) => {
      const handle = await stack.client.workflow.start('longVideo', {
        taskQueue: WORKFLOW_TASK_QUEUE,
        workflowId: `hostile-input-${i}`,
        args,
      });
      const err = await handle.result().catch((e: unknown) => e);
      expect([name, err]).toEqual([name, expect.any(WorkflowFailedError)]);
      const failure = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ type: 'InvalidChainInput', nonRetryable: true });
      expect([name, failure.message]).toEqual([name, expect.stringMatching(reason)]);
      const events = (await handle.fetchHistory()).events ?? [];
      expect([name, events.filter((e) => e.workflowTaskFailedEventAttributes).length]).toEqual([name, 0]);
      expect([name, events.filter((e) => e.activityTaskScheduledEventAttributes).length]).toEqual([name, 0]);
    });
    await Promise.all(runs);
    expect(await stack.sim.admin.ledger()).toEqual([]);
    count('workflow inputs', INPUTS.length);
  });
});

describe('4. callbacks: forged, broken and replayed, over HTTP to the real receiver', () => {
  const HMAC = 'hostile-webhook-hmac-key';
  const CHAIN = 'hostile-callbacks';
  const OTHER = 'hostile-callbacks-other';
  let receiver: RunningReceiver;
  let taskId: string;
  const logs: string[] = [];
  beforeAll(async () => {
    receiver = await startCallbackReceiver({
      host: '127.0.0.1',
      port: 0,
      secret: CALLBACK_SECRET,
      webhookHmacKey: HMAC,
      workflows: stack.client.workflow,
      log: (l) => logs.push(l),
    });
    // Chains on a queue no worker polls: their histories record every signal and nothing else.
    for (const id of [CHAIN, OTHER]) {
      await stack.client.workflow.start('longVideo', {
        taskQueue: 'no-worker-here',
        workflowId: id,
        args: [{}],
      });
    }
    taskId = await stack.sim.client.generate({
      prompt: 'a bell',
      duration: 5,
      quality: '720p',
      aspectRatio: '1:1',
    });
    await waitForState(stack.sim.client, taskId);
  });
  afterAll(() => receiver?.close());

  async function signals(id: string): Promise<TaskFinishedSignal[]> {
    const history = await stack.client.workflow.getHandle(id).fetchHistory();
    return (history.events ?? []).flatMap((e) => {
      const payload = e.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0]?.data;
      return payload ? [JSON.parse(Buffer.from(payload).toString()) as TaskFinishedSignal] : [];
    });
  }
  const url = (workflowId: string, segment = 2, attempt = 1, secret = CALLBACK_SECRET) =>
    callbackUrl(receiver.url, secret, { workflowId, segment, attempt });
  const goodBody = () => ({
    code: 200,
    msg: 'ok',
    data: { task_id: taskId, video_id: 'v', video_url: 'u', image_url: '' },
  });
  function post(target: string, body: string | undefined, headers: Record<string, string>, method = 'POST') {
    const signal = AbortSignal.timeout(5_000); // a receiver that hangs fails the case instead of the suite
    return fetch(target, {
      method,
      headers,
      signal,
      body: body === undefined ? undefined : Buffer.from(body),
    });
  }
  const withToken = (path: string, tokenOf: string) => path.replace(/[^/]{43}$/, tokenOf.slice(-43));

  /** Each part of a callback, right or hostile; a request with at least one hostile part must be refused. */
  const part = <T>(good: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>) =>
    fc.oneof(
      { arbitrary: good.map((v) => ({ v, bad: false })), weight: 2 },
      hostile.map((v) => ({ v, bad: true })),
    );
  const target = part(
    fc.constant(() => url(CHAIN)),
    fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9_-]{43}$/).map((t) => () => withToken(url(CHAIN), t)),
      fc.constantFrom(
        () => withToken(url(CHAIN), url(CHAIN, 3, 1)),
        () => withToken(url(CHAIN), url(CHAIN, 2, 2)),
        () => withToken(url(CHAIN), url(OTHER)),
        () => url(CHAIN, 2, 1, 'someone-elses-secret-0123456789'),
        () => url(CHAIN).replace(/\/[^/]{43}$/, ''),
        () => url(CHAIN).replace(`/${CHAIN}/`, '/%E0%A4%A/'),
        () => url(CHAIN).replace('/2/1/', '/9999999/1/'),
        () => url('x'.repeat(2000)),
        () => `${receiver.url}/callbacks/../admin`,
        () => `${receiver.url}//host:not-a-port/callbacks`, // used to be an unhandled rejection (a crash)
      ),
      fc.webPath().map((p) => () => `${receiver.url}/${p.replace(/^\//, '')}`),
    ),
  );
  const method = part(fc.constant('POST'), fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH'));
  const contentType = part(
    fc.constantFrom<string | undefined>('application/json', 'application/json; charset=utf-8', undefined),
    fc.constantFrom(
      'text/plain',
      'text/html',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonp',
    ),
  );
  const body = part(
    fc.constant(() => JSON.stringify(goodBody())),
    fc.oneof(
      fc.nat().map((n) => () => {
        const whole = JSON.stringify(goodBody());
        return whole.slice(0, n % whole.length);
      }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => () => JSON.stringify(v)),
      fc.string({ unit: 'binary', maxLength: 100 }).map((s) => () => s),
      fc.constantFrom(
        () => JSON.stringify({ ...goodBody(), data: { ...goodBody().data, task_id: 42 } }),
        () => JSON.stringify({ ...goodBody(), data: { ...goodBody().data, task_id: '' } }),
        () => JSON.stringify({ ...goodBody(), data: { ...goodBody().data, task_id: 't'.repeat(201) } }),
        () => JSON.stringify({ ...goodBody(), code: '200' }),
        () => JSON.stringify({ ...goodBody(), data: [taskId] }),
        () => JSON.stringify({ code: 200, msg: 'ok' }),
        () => JSON.stringify({ code: 500, msg: 'Generation failed', data: null }),
        () => JSON.stringify({ ...goodBody(), pad: 'x'.repeat(20_000) }),
        () => `\uFEFF${JSON.stringify(goodBody())}`,
        () => '<html><body>200 OK</body></html>',
        () => '',
      ),
    ),
  );
  const signature = part(
    fc.constant(() => callbackSignatureHeaders(HMAC, taskId)),
    fc.oneof(
      fc.integer({ min: 301, max: 10_000_000 }).chain((skew) =>
        fc.constantFrom(
          () => callbackSignatureHeaders(HMAC, taskId, Date.now() - skew * 1000),
          () => callbackSignatureHeaders(HMAC, taskId, Date.now() + skew * 1000),
        ),
      ),
      fc.string({ minLength: 1, maxLength: 60 }).map((sig) => () => ({
        ...callbackSignatureHeaders(HMAC, taskId),
        'x-webhook-signature': sig.replace(/[^\x20-\x7e]/g, '?'),
      })),
      fc.constantFrom(
        (): Record<string, string> => ({}),
        () => callbackSignatureHeaders(HMAC, 'another-task'),
        () => callbackSignatureHeaders('another-key', taskId),
        () => ({ 'x-webhook-timestamp': 'yesterday', 'x-webhook-signature': signCallback(HMAC, taskId, 0) }),
        () => ({ 'x-webhook-signature': callbackSignatureHeaders(HMAC, taskId)['x-webhook-signature']! }),
      ),
    ),
  );

  test('a callback with any hostile part: 4xx with a reason, and no signal (property)', async () => {
    const numRuns = 120;
    const requests = fc
      .record({ target, method, contentType, body, signature })
      .filter((r) => Object.values(r).some((p) => p.bad));
    await fc.assert(
      fc.asyncProperty(requests, async (r) => {
        const headers = {
          ...r.signature.v(),
          ...(r.contentType.v ? { 'content-type': r.contentType.v } : {}),
        };
        const res = await post(
          r.target.v(),
          r.method.v === 'POST' ? r.body.v() : undefined,
          headers,
          r.method.v,
        );
        if (res.status === 200 && r.method.v === 'POST') {
          // Tolerant in what we read: a failure callback with no task id (no `data`, `data: null`) is a
          // shape the provider may send; it is acknowledged and left to the poll, signalling nothing.
          expect([r.target.bad, r.method.bad, r.contentType.bad]).toEqual([false, false, false]);
          const parsed = parseCallback(r.body.v());
          expect(parsed.code).not.toBe(200);
          expect(parsed.data?.task_id || undefined).toBeUndefined();
          expect((await res.json()) as unknown).toEqual({ received: true });
          return;
        }
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect((await res.json()) as unknown).toEqual({ error: expect.stringMatching(/\w/) });
      }),
      { seed: 6004, numRuns },
    );
    await receiver.idle();
    expect((await fetch(`${receiver.url}/healthz`)).status).toBe(200);
    expect(await signals(CHAIN)).toEqual([]);
    expect(await signals(OTHER)).toEqual([]);
    count('callbacks', numRuns);
  });

  test('the valid callback signals once; the same delivery again, or replays elsewhere or later, signal nothing', async () => {
    const headers = { 'content-type': 'application/json', ...callbackSignatureHeaders(HMAC, taskId) };
    const sent = JSON.stringify(goodBody());
    expect((await post(url(CHAIN), sent, headers)).status).toBe(200);
    const [first] = await eventually(async () => {
      const s = await signals(CHAIN);
      return s.length ? s : undefined;
    });
    expect(first).toEqual({ segment: 2, attempt: 1, taskId, state: 'success' }); // a hint: the chain reads
    // The same delivery again: acknowledged, and nothing more (a callback URL is single-use).
    expect((await post(url(CHAIN), sent, headers)).status).toBe(200);
    // Replayed to another attempt, segment or chain, or ten minutes later: refused.
    const stale = {
      'content-type': 'application/json',
      ...callbackSignatureHeaders(HMAC, taskId, Date.now() - 600_000),
    };
    const replays = [
      await post(withToken(url(CHAIN), url(CHAIN, 2, 2)), sent, headers),
      await post(withToken(url(CHAIN, 3, 1), url(CHAIN)), sent, headers),
      await post(withToken(url(OTHER), url(CHAIN)), sent, headers),
      await post(url(CHAIN), sent, stale),
    ];
    expect(replays.map((r) => r.status)).toEqual([401, 401, 401, 401]);
    await receiver.idle();
    expect(await signals(CHAIN)).toHaveLength(1);
    expect(await signals(OTHER)).toEqual([]);
    expect(logs.filter((l) => l.includes('rejected')).length).toBeGreaterThanOrEqual(4);
    count('callbacks', 6);
  });
});
