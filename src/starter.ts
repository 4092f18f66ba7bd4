/** The `long-video` command line. */
import { simulatorCommand, SIMULATOR_USAGE } from './cli/simulator';
import { quickstartCommand, QUICKSTART_USAGE } from './cli/quickstart';
import { UsageError } from './cli/usage';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void>; usage: string }> = {
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
    await command.run(rest);
    return 0;
  } catch (err) {
    const e = err as Error & { code?: string };
    if (err instanceof UsageError || e.code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`long-video ${name}: ${e.message}`);
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
