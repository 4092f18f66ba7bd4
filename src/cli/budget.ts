/** The credits a chain is expected to cost, from the price table it will run with. */
import { priceOf } from '../runway/pricing';
import type { ResolvedInput } from '../workflows/definitions';

export function estimateCredits(input: ResolvedInput): number {
  const prices = input.options.prices;
  const first = priceOf({ endpoint: 'generate', duration: input.duration, quality: input.quality }, prices);
  const extension = priceOf({ endpoint: 'extend', quality: input.quality }, prices);
  return first + (input.prompts.length - 1) * extension;
}

export function describePrices(input: ResolvedInput): string {
  const prices = input.options.prices;
  const first = priceOf({ endpoint: 'generate', duration: input.duration, quality: input.quality }, prices);
  const extension = priceOf({ endpoint: 'extend', quality: input.quality }, prices);
  return `generate ${first} + ${input.prompts.length - 1} × extend ${extension}; failed tasks that are resubmitted cost again`;
}
