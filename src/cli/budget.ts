/** The credits a chain is expected to cost, from its provider's prices (the reseller's: its price table). */
import type { ResolvedInput } from '../chain/input';
import { providerOf, segmentCredits } from '../chain/providers';

function pricesFor(input: ResolvedInput) {
  const provider = providerOf(input);
  const call = {
    duration: input.duration,
    quality: input.quality,
    hasImage: Boolean(input.imageUrl),
    prices: input.options.prices,
  };
  return {
    first: segmentCredits(provider, { ...call, first: true }),
    extension: segmentCredits(provider, { ...call, first: false }),
  };
}

export function estimateCredits(input: ResolvedInput): number {
  const { first, extension } = pricesFor(input);
  return first + (input.prompts.length - 1) * extension;
}

export function describePrices(input: ResolvedInput): string {
  const { first, extension } = pricesFor(input);
  if (providerOf(input) === 'runwayml') {
    const frame = input.imageUrl ? '' : ' (its first frame included)';
    return `runwayml: first clip ${first}${frame} + ${input.prompts.length - 1} × clip ${extension}; failed tasks that are resubmitted cost again`;
  }
  return `generate ${first} + ${input.prompts.length - 1} × extend ${extension}; failed tasks that are resubmitted cost again`;
}
