/** The `long-video` command line. */
import {
  CANCEL_USAGE,
  LIST_USAGE,
  STATUS_USAGE,
  WATCH_USAGE,
  cancelCommand,
  listCommand,
  statusCommand,
  watchCommand,
} from './cli/inspect';
import {
  APPEND_USAGE,
  PAUSE_USAGE,
  REDO_USAGE,
  RESUME_USAGE,
  appendCommand,
  pauseCommand,
  redoCommand,
  resumeCommand,
} from './cli/control';
import { DEMO_USAGE, demoCommand } from './cli/demo';
import { DEV_USAGE, devCommand } from './cli/dev';
import { QUICKSTART_USAGE, quickstartCommand } from './cli/quickstart';
import { RECEIVER_USAGE, receiverCommand } from './cli/receiver';
import { SIMULATOR_USAGE, simulatorCommand } from './cli/simulator';
import { START_USAGE, startCommand } from './cli/start';
import { UsageError } from './cli/usage';
import { WORKER_USAGE, workerCommand } from './cli/worker';

/** Each command answers its exit code (void: 0); it may keep running servers after it returns. */
export const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number | void>; usage: string }> = {
  start: { run: startCommand, usage: START_USAGE },
  status: { run: statusCommand, usage: STATUS_USAGE },
  watch: { run: watchCommand, usage: WATCH_USAGE },
  list: { run: listCommand, usage: LIST_USAGE },
  cancel: { run: cancelCommand, usage: CANCEL_USAGE },
  pause: { run: pauseCommand, usage: PAUSE_USAGE },
  resume: { run: resumeCommand, usage: RESUME_USAGE },
  redo: { run: redoCommand, usage: REDO_USAGE },
  append: { run: appendCommand, usage: APPEND_USAGE },
  worker: { run: workerCommand, usage: WORKER_USAGE },
  receiver: { run: receiverCommand, usage: RECEIVER_USAGE },
  dev: { run: devCommand, usage: DEV_USAGE },
  demo: { run: demoCommand, usage: DEMO_USAGE },
  simulator: { run: simulatorCommand, usage: SIMULATOR_USAGE },
  quickstart: { run: quickstartCommand, usage: QUICKSTART_USAGE },
};

const USAGE = `usage: long-video <command> [options]

commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.usage.split('\n')[0]}`)
  .join('\n')}

long-video <command> --help shows a command's options.`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`long-video: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return (await command.run(rest)) ?? 0;
  } catch (err) {
    const e = err as Error & { code?: string };
    if (err instanceof UsageError || e.code?.startsWith('ERR_PARSE_ARGS')) {
      // One line (node's parser explains over several), and control characters the user typed escaped.
      const said = e.message
        .replace(/\s*\n\s*/g, ' ')
        // eslint-disable-next-line no-control-regex
        .replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => JSON.stringify(c).slice(1, -1));
      console.error(`long-video ${name}: ${said}`);
      return 2;
    }
    console.error(`long-video ${name}: ${e.message}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    if (code !== 0) process.exit(code);
  });
}
