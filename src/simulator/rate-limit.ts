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

  /** When creates were refused for a full window (epoch ms): shows whether 429s cluster or spread. */
  readonly rejectedAt: number[] = [];
  /** Injected 429 bursts: every create is refused until then. */
  private burstUntil = 0;

  /**
   * Wall ms a create from `account` must wait (an injected burst, `startBurst` when it is not in one yet,
   * or a full window); 0 when it may go now.
   */
  refusal(account: string, now: number, startBurst?: number): number {
    if (now >= this.burstUntil && startBurst) this.burstUntil = now + startBurst;
    if (now < this.burstUntil) return this.burstUntil - now;
    const waitMs = this.waitMs(account, now);
    if (waitMs > 0 && this.rejectedAt.length < 10_000) this.rejectedAt.push(now);
    return waitMs;
  }

  startBurst(ms: number, now = Date.now()): void {
    this.burstUntil = now + ms;
  }

  reset(): void {
    this.accepted.clear();
    this.maxInWindow = 0;
    this.rejectedAt.length = 0;
    this.burstUntil = 0;
  }

  private prune(account: string, now: number): number[] {
    const times = (this.accepted.get(account) ?? []).filter((t) => t > now - this.windowMs);
    this.accepted.set(account, times);
    return times;
  }
}
