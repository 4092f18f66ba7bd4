/** Sliding-window limit on accepted creates per account, in wall time (rate limits do not scale). */
export class RateLimiter {
  private readonly accepted = new Map<string, number[]>();
  /** The most creates any account had inside one window: a run's proof that the limit held. */
  maxInWindow = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Wall ms until `account` may create again; 0 when it may now. */
  waitMs(account: string, now: number): number {
    if (this.limit <= 0) return 0;
    const times = this.prune(account, now);
    if (times.length < this.limit) return 0;
    return (times[times.length - this.limit] as number) + this.windowMs - now;
  }

  record(account: string, now: number): void {
    const times = this.prune(account, now);
    times.push(now);
    this.maxInWindow = Math.max(this.maxInWindow, times.length);
  }

  reset(): void {
    this.accepted.clear();
    this.maxInWindow = 0;
  }

  private prune(account: string, now: number): number[] {
    const times = (this.accepted.get(account) ?? []).filter((t) => t > now - this.windowMs);
    this.accepted.set(account, times);
    return times;
  }
}
