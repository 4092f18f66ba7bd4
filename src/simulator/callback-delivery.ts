/**
 * The simulator's side of callbacks: POST the contract's payload to a task's `callBackUrl`, signed when a
 * webhook HMAC key is set, retried a few times on failure, and dropped, delayed or duplicated on purpose
 * when faults say so. Every attempt is recorded for the admin API.
 */
import { callbackSignatureHeaders } from '../provider/callbacks';
import type { SeededRandom } from './clock';
import type { FaultConfig } from './options';
import type { CallbackWire } from './task';

export interface CallbackRecord {
  taskId: string;
  url: string;
  attempt: number;
  /** `dropped` (on purpose), an HTTP status, or a network error. */
  outcome: 'dropped' | number | string;
  duplicate: boolean;
  at: string;
}

const ATTEMPTS = 3;
const TIMEOUT_MS = 5_000;

export class CallbackDelivery {
  readonly records: CallbackRecord[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();
  private closed = false;

  constructor(
    private readonly opts: {
      random: SeededRandom;
      faults: () => FaultConfig;
      /** Wall ms between retries of a failed delivery (doubles each time). */
      retryBaseMs: () => number;
      hmacKey?: string;
      log: (line: string) => void;
    },
  ) {}

  /** `taskId` apart from the payload: some shapes send no `data`, yet the signature covers the task id. */
  deliver(url: string, taskId: string, payload: CallbackWire): void {
    const faults = this.opts.faults();
    if (this.opts.random.chance(faults.callbackDropProbability)) {
      this.record({ taskId, url, attempt: 1, outcome: 'dropped', duplicate: false });
      return;
    }
    const delay = this.opts.random.chance(faults.callbackDelayProbability) ? faults.callbackDelayMs : 0;
    this.later(delay, () => this.attempt(url, taskId, payload, 1, false));
    if (this.opts.random.chance(faults.callbackDuplicateProbability)) {
      this.later(delay + 20, () => this.attempt(url, taskId, payload, 1, true));
    }
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    for (const c of this.inFlight) c.abort();
  }

  private later(ms: number, fn: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private async attempt(
    url: string,
    taskId: string,
    payload: CallbackWire,
    attempt: number,
    duplicate: boolean,
  ): Promise<void> {
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(), TIMEOUT_MS);
    this.inFlight.add(controller);
    let outcome: number | string;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.opts.hmacKey ? callbackSignatureHeaders(this.opts.hmacKey, taskId) : {}),
        },
        body: JSON.stringify(payload),
        signal: controller.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      outcome = res.status;
    } catch (err) {
      outcome = (err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    } finally {
      clearTimeout(timeout);
      this.inFlight.delete(controller);
    }
    if (this.closed) return;
    this.record({ taskId, url, attempt, outcome, duplicate });
    const ok = typeof outcome === 'number' && outcome >= 200 && outcome < 300;
    if (!ok && attempt < ATTEMPTS) {
      this.later(this.opts.retryBaseMs() * 2 ** (attempt - 1), () =>
        this.attempt(url, taskId, payload, attempt + 1, duplicate),
      );
    }
  }

  private record(r: Omit<CallbackRecord, 'at'>): void {
    this.records.push({ ...r, at: new Date().toISOString() });
    this.opts.log(
      `callback ${r.taskId} attempt ${r.attempt}${r.duplicate ? ' (duplicate)' : ''}: ${r.outcome}`,
    );
  }
}
