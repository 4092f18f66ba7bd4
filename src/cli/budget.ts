/** The credits a chain is expected to cost, from the price table it will run with. */
import { priceOf } from '../chain/prices';
import type { ResolvedInput } from '../chain/input';

function pricesFor(input: ResolvedInput) {
  const prices = input.options.prices;
  return {
    first: priceOf({ endpoint: 'generate', duration: input.duration, quality: input.quality }, prices),
    extension: priceOf({ endpoint: 'extend', quality: input.quality }, prices),
  };
}

export function estimateCredits(input: ResolvedInput): number {
  const { first, extension } = pricesFor(input);
  return first + (input.prompts.length - 1) * extension;
}

export function describePrices(input: ResolvedInput): string {
  const { first, extension } = pricesFor(input);
  return `generate ${first} + ${input.prompts.length - 1} × extend ${extension}; failed tasks that are resubmitted cost again`;
}
