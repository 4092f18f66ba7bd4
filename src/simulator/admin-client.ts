/** A typed client of the simulator's admin API, for tests, drills and benchmarks. */
import type { CallbackRecord } from './callback-delivery';
import type { FaultConfig } from './options';
import type { LedgerEntry } from './ledger';

export interface SimulatorStats {
  requests: Record<string, Record<string, number>>;
  rateLimited: number;
  rateLimit: { limit: number; windowMs: number; maxCreatesInWindow: number; rejectedAt: number[] };
  tasks: number;
  charged: number;
  /** Unknown create keys accepted and ignored since the last reset, by endpoint and key. */
  ignoredRequestKeys: { generate: Record<string, number>; extend: Record<string, number> };
}

export interface SimulatorTask {
  taskId: string;
  parentTaskId: string;
  state: string;
  /** The task's answer shape (`full`, `docs`, `nulls` or `strings`). */
  shape: string;
  finishedAt: string | null;
}

export class SimulatorAdmin {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  ledger = () => this.call<LedgerEntry[]>('GET', '/admin/ledger');
  stats = () => this.call<SimulatorStats>('GET', '/admin/stats');
  callbacks = () => this.call<CallbackRecord[]>('GET', '/admin/callbacks');
  tasks = () => this.call<SimulatorTask[]>('GET', '/admin/tasks');
  setFaults = (patch: Partial<FaultConfig> & { startBurst429Ms?: number }) =>
    this.call<FaultConfig>('POST', '/admin/faults', patch);
  setCredits = (credits: number, apiKey?: string) => this.call('POST', '/admin/credits', { credits, apiKey });
  clock = (change: { timeScale?: number; advanceMs?: number } = {}) =>
    this.call<{ now: string; timeScale: number }>('POST', '/admin/clock', change);
  reset = () => this.call('POST', '/admin/reset', {});

  private async call<T = unknown>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as T & { error?: string };
    if (!res.ok) throw new Error(`simulator admin ${method} ${path}: ${res.status} ${json.error ?? ''}`);
    return json;
  }
}
