/**
 * Credits per call. The contract gives no prices, so this table is configuration: the defaults below are
 * the provider's published Runway prices as we last knew them, and both the simulator and the budget
 * estimate read them from here (or from a table passed in), never from a copy.
 */
import { z } from 'zod';
import { EXTENSION_SECONDS, type Duration, type Quality } from './requests';

export const PriceTable = z
  .object({
    '5s-720p': z.number().nonnegative(),
    '10s-720p': z.number().nonnegative(),
    '5s-1080p': z.number().nonnegative(),
  })
  .strict();
export type PriceTable = z.infer<typeof PriceTable>;

export const DEFAULT_PRICES: PriceTable = { '5s-720p': 12, '10s-720p': 30, '5s-1080p': 30 };

type PricedCall =
  { endpoint: 'generate'; duration: Duration; quality: Quality } | { endpoint: 'extend'; quality: Quality };

/** Credits one create costs; an extension is priced as a clip of the provider's default length. */
export function priceOf(call: PricedCall, table: PriceTable = DEFAULT_PRICES): number {
  const seconds = call.endpoint === 'generate' ? call.duration : EXTENSION_SECONDS;
  const key = `${seconds}s-${call.quality}` as keyof PriceTable;
  const price = table[key];
  if (price === undefined) throw new Error(`no price for ${seconds} s at ${call.quality}`);
  return price;
}
