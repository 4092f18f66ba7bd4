/**
 * Provider time. It runs `1 / timeScale` times faster than the wall clock and can be jumped forward, so a
 * 60 s generation or a 14-day expiry can be seen in a test. Listeners hear about every change so that
 * timers can be rescheduled.
 */
export class SimClock {
  private wallBase = Date.now();
  private virtualBase = this.wallBase;
  private readonly listeners = new Set<() => void>();

  constructor(private scale: number) {}

  get timeScale(): number {
    return this.scale;
  }

  now(): number {
    return this.virtualBase + (Date.now() - this.wallBase) / this.scale;
  }

  /** Wall milliseconds until provider time `at`. */
  wallDelayUntil(at: number): number {
    return Math.max(0, (at - this.now()) * this.scale);
  }

  setTimeScale(scale: number): void {
    this.rebase();
    this.scale = scale;
    this.changed();
  }

  advance(ms: number): void {
    this.rebase();
    this.virtualBase += ms;
    this.changed();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private rebase(): void {
    this.virtualBase = this.now();
    this.wallBase = Date.now();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

/** A small seeded generator (mulberry32): the same seed and request order give the same faults. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
}
