/** A mistake in how a command was called: printed without a stack, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * A numeric option's value: decimal only, NaN otherwise (`Number('')` is 0 and `Number('0x5')` is 5, and
 * neither should become a budget, a length or a segment number). Undefined stays undefined.
 */
export function decimalOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(value) ? Number(value) : NaN;
}
