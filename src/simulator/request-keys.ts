/**
 * Leniency about what a create sends. The reference's own examples send keys beyond the documented ones
 * (`model` on generate; `imageUrl`, `expandPrompt` on extend) and real clients send `callBackUrl: ""`:
 * the provider accepts those, so the simulator drops them before its strict validation, and counts what
 * it dropped so that tests can see it.
 */
import { ExtendRequest, GenerateRequest } from '../chain/requests';

type Endpoint = 'generate' | 'extend';

const KNOWN: Record<Endpoint, ReadonlySet<string>> = {
  generate: new Set(Object.keys(GenerateRequest.shape)),
  extend: new Set(Object.keys(ExtendRequest.shape)),
};

/** Bounds on what hostile bodies can make the counters hold. */
const MAX_NAMES = 100;
const MAX_NAME_LENGTH = 100;
const OTHER = '(other)';

export class IgnoredRequestKeys {
  private readonly counts: Record<Endpoint, Map<string, number>> = { generate: new Map(), extend: new Map() };

  /**
   * The body with only the documented keys, and without an empty or null `callBackUrl` (no callback).
   * Anything but a JSON object is returned as is, for the schema to refuse.
   */
  documentedPart(endpoint: Endpoint, body: unknown): unknown {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
    const kept: Array<[string, unknown]> = [];
    for (const [key, value] of Object.entries(body)) {
      if (!KNOWN[endpoint].has(key)) this.count(endpoint, key);
      else if (!(key === 'callBackUrl' && (value === '' || value === null))) kept.push([key, value]);
    }
    // fromEntries defines own properties: a `__proto__` key cannot reach a prototype.
    return Object.fromEntries(kept);
  }

  snapshot(): Record<Endpoint, Record<string, number>> {
    return {
      generate: Object.fromEntries(this.counts.generate),
      extend: Object.fromEntries(this.counts.extend),
    };
  }

  reset(): void {
    this.counts.generate.clear();
    this.counts.extend.clear();
  }

  private count(endpoint: Endpoint, key: string): void {
    const counts = this.counts[endpoint];
    let name = key.length > MAX_NAME_LENGTH ? `${key.slice(0, MAX_NAME_LENGTH)}…` : key;
    if (!counts.has(name) && counts.size >= MAX_NAMES) name = OTHER;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
}
