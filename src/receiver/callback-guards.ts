/**
 * What keeps a captured callback URL from being turned against us: each URL is used once (a repeat is
 * acknowledged and does nothing), and the receiver's provider reads are spaced to the read budget.
 */

/** URLs remembered as used, at most: past this the oldest are forgotten (a repeat then reads once more). */
const REMEMBERED_URLS = 100_000;

/**
 * Callback URLs (one per chain, segment and attempt) taken for use. A URL is taken when its callback is
 * accepted and given back when nothing came of it (the task was unfinished, the read or the signal
 * failed), so that the provider's own retry still works.
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

/** At most `perSecond` calls a second, one after another (no burst): the workers' read queue's rate. */
export class ReadPacer {
  private nextAt = 0;

  constructor(private readonly perSecond?: number) {}

  /** Resolves when the next read may go. */
  async turn(): Promise<void> {
    if (!this.perSecond) return;
    const now = Date.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + 1000 / this.perSecond;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }
}
