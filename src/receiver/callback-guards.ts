/**
 * What keeps a captured callback URL from being turned against us: each URL is used once (a repeat is
 * acknowledged and does nothing). The receiver makes no provider reads: the chain confirms each hint.
 */

/** URLs remembered as used, at most: past this the oldest are forgotten (a repeat then signals once more). */
const REMEMBERED_URLS = 100_000;

/**
 * Callback URLs (one per chain, segment and attempt) taken for use. A URL is taken when its callback is
 * accepted and given back when its signal could not be delivered, so that the provider's own retry
 * still works.
 */
export class UsedCallbackUrls {
  private readonly used = new Set<string>();

  /** True the first time; false while the URL is taken. */
  take(key: string): boolean {
    if (this.used.has(key)) return false;
    this.used.add(key);
    if (this.used.size > REMEMBERED_URLS) this.used.delete(this.used.values().next().value!);
    return true;
  }

  giveBack(key: string): void {
    this.used.delete(key);
  }
}
