/**
 * The simulator's accounts: each API key's credit balance and the ledger of every charge. The ledger is
 * the truth the drills and tests check a chain's reported spend against.
 */
import { createHash } from 'node:crypto';

export interface LedgerEntry {
  taskId: string;
  /** `generate`/`extend`: the reseller API; `image_to_video`/`text_to_image`: the official API. */
  endpoint: 'generate' | 'extend' | 'image_to_video' | 'text_to_image';
  parentTaskId: string;
  callBackUrl: string;
  prompt: string;
  cost: number;
  /** Wall clock, ISO 8601, when the create arrived. */
  createdAt: string;
  /** A fingerprint of the paying key, never the key. */
  account: string;
  /** The body as received, keys the simulator ignored included. */
  body: Record<string, unknown>;
  /** Official API: the model asked for, and a clip's length in seconds. */
  model?: string;
  duration?: number;
  /**
   * Official API, image_to_video: the clip of this simulator whose exact last frame `promptImage` was
   * (the continuity check), or null when it was none of them.
   */
  startedFrom?: string | null;
  /** Official API: wall clock, ISO 8601, when a DELETE cancelled the task before it finished (not refunded). */
  cancelledAt?: string;
}

export const accountOf = (apiKey: string) => createHash('sha256').update(apiKey).digest('hex').slice(0, 12);

export class CreditLedger {
  private readonly entries: LedgerEntry[] = [];
  private readonly balances = new Map<string, number>();

  balanceOf(account: string): number {
    return this.balances.get(account) ?? 0;
  }

  setBalance(account: string, credits: number): void {
    this.balances.set(account, credits);
  }

  /** Take `entry.cost` from its account and write it down. */
  charge(entry: LedgerEntry): void {
    this.balances.set(entry.account, this.balanceOf(entry.account) - entry.cost);
    this.entries.push(entry);
  }

  /** Note a cancel on the task's entry; the charge stands (see `runwayml-provider.ts`). */
  markCancelled(taskId: string, at: string): void {
    const entry = this.entries.find((e) => e.taskId === taskId);
    if (entry) entry.cancelledAt = at;
  }

  list(): LedgerEntry[] {
    return this.entries;
  }

  total(): number {
    return this.entries.reduce((n, e) => n + e.cost, 0);
  }

  clear(): void {
    this.entries.length = 0;
  }
}
