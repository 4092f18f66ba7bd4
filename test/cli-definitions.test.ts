/**
 * The command line's definitions, in process: each command's --help, parser and options come from its one
 * definition; every numeric option refuses the same things the same way; the exit codes of bad usage.
 */
import { type Command } from 'commander';
import { buildProgram, main } from '../src/cli/main';
import { parseNumber } from '../src/cli/usage';

/** `main(argv)` with the console and standard output captured. */
async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((s) => !!out.push(String(s)));
  try {
    return { code: await main(argv), out: out.join('\n'), err };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

const commands = buildProgram().commands.filter((c) => c.name() !== 'help');
/** What a command needs besides the option under test: a chain id for those that take one. */
const operands = (c: Command) => c.registeredArguments.filter((a) => a.required).map(() => 'some-chain');

test('every command is defined, and `long-video --help` lists them all', async () => {
  expect(commands.map((c) => c.name()).sort()).toEqual(
    [
      'append',
      'approve',
      'cancel',
      'demo',
      'dev',
      'files',
      'list',
      'pause',
      'quickstart',
      'receiver',
      'redo',
      'resume',
      'simulator',
      'start',
      'status',
      'watch',
      'worker',
    ].sort(),
  );
  const { code, out } = await run(['--help']);
  expect(code).toBe(0);
  for (const c of commands) expect(out).toMatch(new RegExp(`^ {2}${c.name()} `, 'm'));
});

test.each(commands.map((c) => [c.name(), c] as const))(
  '`%s --help` lists every option its parser takes, and the parser takes every option it lists',
  async (name, definition) => {
    const { code, out, err } = await run([name, '--help']);
    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(out).toMatch(new RegExp(`^Usage: long-video ${name} `, 'm'));
    for (const option of definition.options) expect(out).toContain(option.flags);
    // Each `--flag` in the help is one the parser knows (a fresh definition: nothing parsed before).
    const listed = [...out.matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]!);
    const known = new Set([...definition.options.map((o) => o.long), '--help']);
    expect(listed.filter((f) => !known.has(f))).toEqual([]);
    expect(listed.length).toBe(definition.options.length + 1);
  },
);

/** The exit codes a command can return, beyond 0, 1 and 2 (every command: ok, failure, bad usage). */
const MORE_EXIT_CODES: Record<string, number[]> = {
  start: [3, 5], // --wait: the chain's state
  status: [3, 4, 5],
  watch: [3, 4, 5],
  cancel: [3, 4], // 3: already cancelled
  pause: [4],
  resume: [4],
  redo: [4],
  append: [4],
  demo: [3, 5],
};

test.each(commands.map((c) => [c.name(), c] as const))(
  '`%s --help` lists every exit code the command can return',
  async (name, definition) => {
    const { out } = await run([name, '--help']);
    const table = out.slice(out.indexOf('Exit codes:'));
    expect(table).toMatch(/^Exit codes: /);
    const listed = [...table.matchAll(/(?:^|[:,] )(\d) /g)].map((m) => Number(m[1]));
    const expected = [0, 1, 2, ...(MORE_EXIT_CODES[name] ?? [])];
    expect(expected.filter((code) => !listed.includes(code))).toEqual([]);
    // A command that takes a chain id can be given one that does not exist.
    if (definition.registeredArguments.some((a) => a.name() === 'id')) expect(listed).toContain(4);
  },
);

const numeric = commands.flatMap((c) =>
  c.options.filter((o) => o.parseArg === parseNumber).map((o) => [c.name(), o.long!, operands(c)] as const),
);

test('the numeric options are the expected ones, all with the one parser', () => {
  const names = numeric.map(([c, o]) => `${c} ${o}`);
  for (const expected of [
    'start --duration',
    'start --max-credits',
    'start --crossfade',
    'list --limit',
    'resume --max-credits',
    'redo --from',
    'approve --segment',
    'dev --port',
    'simulator --time-scale',
    'quickstart --poll-ms',
  ])
    expect(names).toContain(expected);
});

test.each(numeric.flatMap(([c, o, ids]) => ['1e3', '-1', 'abc'].map((bad) => [c, o, bad, ids] as const)))(
  '%s %s %s is refused at parse time (exit 2, one line, the same words)',
  async (name, option, bad, ids) => {
    const { code, out, err } = await run([name, ...ids, option, bad]);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toEqual([
      expect.stringMatching(
        new RegExp(
          `^long-video ${name}: option '${option} <[\\w-]+>' argument '${bad}' is invalid\\. expected a plain decimal number such as 5 or 0\\.5$`,
        ),
      ),
    ]);
  },
);

test('the number parser takes plain decimals only', () => {
  expect(['0', '5', '0.5', '.5', '10.', '007'].map(parseNumber)).toEqual([0, 5, 0.5, 0.5, 10, 7]);
  for (const bad of [
    '',
    ' ',
    '1e3',
    '-1',
    '+1',
    '0x5',
    'abc',
    'NaN',
    'Infinity',
    '5 ',
    '1_000',
    '٥',
    '9'.repeat(400),
  ])
    expect(() => parseNumber(bad)).toThrow(/plain decimal number/);
});

test('no command prints the usage and exits 2; an unknown command exits 2', async () => {
  const none = await run([]);
  expect(none.code).toBe(2);
  expect(none.out).toMatch(/^Usage: long-video <command>/);
  expect(none.out).toContain('4 no such chain');
  const unknown = await run(['bogus']);
  expect(unknown.code).toBe(2);
  expect(unknown.err[0]).toMatch(/^long-video: unknown command 'bogus'/);
});

test('usage errors are one line, with control characters escaped', async () => {
  const r = await run(['status', 'a', 'b\u001b[31m']);
  expect(r.code).toBe(2);
  expect(r.err).toEqual([
    `long-video status: too many arguments for 'status'. Expected 1 argument but got 2.`,
  ]);
  const opt = await run(['start', '--bogus\u0007']);
  expect(opt.err).toEqual([`long-video start: unknown option '--bogus\\u0007'`]);
  const missing = await run(['status']);
  expect(missing).toMatchObject({ code: 2, err: [`long-video status: missing required argument 'id'`] });
});
