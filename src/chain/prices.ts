/**
 * Credits per call. The contract gives no prices, so this table is configuration: the defaults below are
 * the provider's published Runway prices as we last knew them, and both the simulator and the budget
 * estimate read them from here (or from a table passed in), never from a copy.
 */
import { EXTENSION_SECONDS } from './contract';
// Types only: the workflow prices its creates with this module, and must not load zod (see input-check.ts).
import type { PriceTable } from './input';
import type { Duration, Quality } from './requests';

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
