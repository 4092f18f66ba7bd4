/** The `long-video` command line: every command's one definition, and the errors and exit codes of all. */
import { type Command, CommanderError } from 'commander';
import { ChainNotFound, ChainRequestRefused } from '../client';
import { appendCommand, approveCommand, pauseCommand, redoCommand, resumeCommand } from './control';
import { demoCommand } from './demo';
import { devCommand } from './dev';
import { filesCommand } from './files';
import { EXIT, EXIT_CODES_HELP, RUN_EXIT_CODES_HELP } from './exit-codes';
import { cancelCommand, listCommand, statusCommand, watchCommand } from './inspect';
import { quickstartCommand } from './quickstart';
import { receiverCommand } from './receiver';
import { simulatorCommand } from './simulator';
import { startCommand } from './start';
import { UsageError, act, exitCodeOf, newCommand } from './usage';
import { workerCommand } from './worker';

const workerDefinition = () =>
  newCommand('worker')
    .summary('the Temporal workers (and the callback receiver)')
    .description(
      'Runs the chain workflows and the provider activities against TEMPORAL_ADDRESS. With CALLBACK_PUBLIC_URL\n' +
        'set it also serves the callback receiver on CALLBACK_HOST:CALLBACK_PORT (unless --no-receiver).\n' +
        'It serves OUTPUT_DIR on OUTPUT_HOST:OUTPUT_PORT (default 127.0.0.1:8788; unless --no-files): the\n' +
        "deliverables' links point there, or to OUTPUT_PUBLIC_URL when set. Stops gracefully on SIGINT/SIGTERM.",
    )
    .option('--no-receiver', 'do not serve callbacks here (a `long-video receiver` does)')
    .option('--no-files', 'do not serve OUTPUT_DIR here (a `long-video files` or your proxy does)')
    .addHelpText('after', `\n${RUN_EXIT_CODES_HELP}`)
    .action(act((options: { receiver?: boolean; files?: boolean }) => workerCommand(options)));

const receiverDefinition = () =>
  newCommand('receiver')
    .summary('the callback receiver on its own')
    .description(
      "Serves the provider's callbacks on CALLBACK_HOST:CALLBACK_PORT without running a worker: checks each\n" +
        "callback URL's token (and the provider's signature when RUNWAY_WEBHOOK_HMAC_KEY is set) and signals the\n" +
        'chain on TEMPORAL_ADDRESS, which confirms the task with its own read: no provider key, no provider call.\n' +
        'Needs CALLBACK_PUBLIC_URL and CALLBACK_SECRET; run the workers with --no-receiver beside it. Prints\n' +
        '`listening on URL` when ready and stops gracefully on SIGINT/SIGTERM.',
    )
    .addHelpText('after', `\n${RUN_EXIT_CODES_HELP}`)
    .action(act(() => receiverCommand()));

/** Every command, in the order `long-video --help` lists them. */
export const COMMANDS: ReadonlyArray<() => Command> = [
  startCommand,
  statusCommand,
  watchCommand,
  listCommand,
  cancelCommand,
  pauseCommand,
  resumeCommand,
  redoCommand,
  appendCommand,
  approveCommand,
  workerDefinition,
  receiverDefinition,
  filesCommand,
  devCommand,
  demoCommand,
  simulatorCommand,
  quickstartCommand,
];

const FOOTER = `long-video <command> --help shows a command's options.\n${EXIT_CODES_HELP}`;
/** `long-video --help`, for where commander does not print it itself. */
const usage = (program: Command) => `${program.helpInformation().trimEnd()}\n\n${FOOTER}`;

/** The whole command line; a new one each time (commander keeps what it parsed). */
export function buildProgram(): Command {
  const program = newCommand('long-video')
    .usage('<command> [options]')
    .description('Chains a Runway-style video API (generate, then extend) into one long video, on Temporal.')
    .helpCommand('help [command]', "show a command's options")
    .addHelpText('after', `\n${FOOTER}`);
  for (const definition of COMMANDS) program.addCommand(definition());
  return program;
}

/** One line: node's and commander's messages may span several, and control characters typed are escaped. */
const oneLine = (message: string) =>
  message
    .replace(/^error: /, '')
    .replace(/\s*\n\s*/g, ' ')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => JSON.stringify(c).slice(1, -1));

/** Run the command line `argv` (without node and the script); answers the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length === 0) {
    console.log(usage(program));
    return EXIT.usage;
  }
  const name = argv[0]!;
  const command = program.commands.find((c) => c.name() === name);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return (command && exitCodeOf(command)) ?? EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') return EXIT.ok;
      if (err.code === 'commander.unknownCommand' || !command) {
        console.error(`long-video: ${oneLine(err.message)}\n\n${usage(program)}`);
        return EXIT.usage;
      }
      console.error(`long-video ${name}: ${oneLine(err.message)}`);
      return EXIT.usage;
    }
    const e = err as Error;
    if (err instanceof ChainNotFound) {
      console.error(`long-video ${name}: ${oneLine(e.message)}`);
      return EXIT.notFound;
    }
    if (err instanceof UsageError || err instanceof ChainRequestRefused) {
      console.error(`long-video ${name}: ${oneLine(e.message)}`);
      return EXIT.usage;
    }
    console.error(`long-video ${name}: ${e.message}`);
    return EXIT.failure;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    if (code !== 0) process.exit(code);
  });
}
