/**
 * What every command definition shares: a mistake in how a command was called (`UsageError`), the one
 * number parser of every numeric option, and a command with the settings all commands use.
 */
import { Command, InvalidArgumentError, Option } from 'commander';

/** A mistake in how a command was called: printed without a stack, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The parser of every numeric option: a plain decimal, digits with an optional fraction (`5`, `0.5`). No
 * sign, exponent, hex, blank or other digits (`Number('')` is 0, `Number('0x5')` is 5, `1e3` is 1000): none
 * should become a budget, a length or a segment number. Ranges are the command's (or the input's) to check.
 */
export function parseNumber(value: string): number {
  const n = /^(\d+\.?\d*|\.\d+)$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new InvalidArgumentError('expected a plain decimal number such as 5 or 0.5');
  return n;
}

/** A numeric option, parsed by `parseNumber`. */
export function numberOption(flags: string, description: string): Option {
  return new Option(flags, description).argParser(parseNumber);
}

/** An option that may be given several times; its values in order. */
export function repeatableOption(flags: string, description: string): Option {
  return new Option(flags, description).argParser((v: string, previous?: string[]) => [
    ...(previous ?? []),
    v,
  ]);
}

/** An option whose value is one of `choices`. */
export function choiceOption(flags: string, description: string, choices: readonly string[]): Option {
  return new Option(flags, description).choices(choices);
}

const exitCodes = new WeakMap<Command, number>();

/**
 * A command with the settings every command shares: errors thrown (not printed, not exiting) for `main`
 * to report on one line, no stray arguments, help on standard output.
 */
export function newCommand(name: string): Command {
  return new Command(name)
    .exitOverride()
    .allowExcessArguments(false)
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: () => undefined,
      outputError: () => undefined,
    });
}

/** A command's action: answers its exit code (void: 0), which `exitCodeOf` then tells. */
export function act<A extends unknown[]>(fn: (...args: A) => Promise<number | void>) {
  return async function (this: Command, ...args: A): Promise<void> {
    exitCodes.set(this, (await fn(...args)) ?? 0);
  };
}

export function exitCodeOf(command: Command): number | undefined {
  return exitCodes.get(command);
}
