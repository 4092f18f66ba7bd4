/**
 * A few readers shaped like zod's, for the workflow's own checks (input-check.ts): each reads one value,
 * gives back the result with its defaults, and reports problems with zod's messages and abort rules.
 * No zod: the workflow bundle would evaluate it again in every cached workflow.
 */

/** One problem, as zod reports it; `continue: true` lets the checks after it run (zod's abort rules). */
export interface Issue {
  path: PropertyKey[];
  message: string;
  continue?: boolean;
}
/** Reads one value: its result (defaults applied, unknown keys dropped) and its problems, pushed. */
export type Reader = (value: unknown, issues: Issue[]) => unknown;
/** An object's field: `optional` ones may be absent (and then stay absent from the result). */
export type Field = Reader & { optional?: true };

export const aborted = (issues: Issue[]) => issues.some((i) => i.continue !== true);

export function typeName(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : String(value); // NaN, Infinity
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') {
    const proto: unknown = Object.getPrototypeOf(value);
    const ctor =
      'constructor' in value ? (value as { constructor?: { name?: string } }).constructor : undefined;
    if (proto !== Object.prototype && ctor) return String(ctor.name);
  }
  return typeof value;
}
export const wrongType = (expected: string, value: unknown): Issue => ({
  path: [],
  message: `Invalid input: expected ${expected}, received ${typeName(value)}`,
});
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function num(rules: { int?: boolean; min?: number; max?: number } = {}): Reader {
  return (v, issues) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return void issues.push(wrongType('number', v));
    if (rules.int && !Number.isInteger(v)) {
      return void issues.push({ ...wrongType('int', v), continue: false });
    }
    if (rules.int && !Number.isSafeInteger(v)) {
      const [rel, bound] = v > 0 ? ['big', '<=9007199254740991'] : ['small', '>=-9007199254740991'];
      issues.push({ path: [], message: `Too ${rel}: expected int to be ${bound}`, continue: true });
    }
    if (rules.min !== undefined && v < rules.min) {
      issues.push({ path: [], message: `Too small: expected number to be >=${rules.min}`, continue: true });
    }
    if (rules.max !== undefined && v > rules.max) {
      issues.push({ path: [], message: `Too big: expected number to be <=${rules.max}`, continue: true });
    }
    return v;
  };
}
export const int = (min?: number, max?: number) => num({ int: true, min, max });

/**
 * zod's length rules: checked on anything that has a length (even a string given for a list), a string's
 * length counted in code points, a custom message for a list's minimum.
 */
export function lengthRules(v: unknown, issues: Issue[], min?: [number, string?], max?: number): void {
  if (v === undefined || v === null || (v as { length?: unknown }).length === undefined) return;
  if (issues.some((i) => i.continue === false)) return;
  const origin = Array.isArray(v) ? 'array' : typeof v === 'string' ? 'string' : 'unknown';
  const length = typeof v === 'string' ? [...v].length : (v as { length: unknown }).length;
  const has = origin === 'unknown' ? 'to be ' : 'to have ';
  const unit = origin === 'array' ? ' items' : origin === 'string' ? ' characters' : '';
  if (min && !((length as number) >= min[0])) {
    const message = min[1] ?? `Too small: expected ${origin} ${has}>=${min[0]}${unit}`;
    issues.push({ path: [], message, continue: true });
  }
  if (max !== undefined && !((length as number) <= max)) {
    issues.push({ path: [], message: `Too big: expected ${origin} ${has}<=${max}${unit}`, continue: true });
  }
}

export function str(max?: number): Reader {
  return (v, issues) => {
    if (typeof v !== 'string') issues.push(wrongType('string', v));
    lengthRules(v, issues, undefined, max);
    return v;
  };
}
export const bool: Reader = (v, issues) =>
  typeof v === 'boolean' ? v : void issues.push(wrongType('boolean', v));

export function oneOf(values: readonly unknown[]): Reader {
  const message = `Invalid option: expected one of ${values.map((x) => `"${String(x)}"`).join('|')}`;
  return (v, issues) => (values.includes(v) ? v : void issues.push({ path: [], message }));
}

export function refined(base: Reader, rules: Array<[(v: string) => boolean, string]>): Reader {
  return (v, issues) => {
    const start = issues.length;
    base(v, issues);
    if (issues.length > start) return undefined;
    for (const [ok, message] of rules)
      if (!ok(v as string)) issues.push({ path: [], message, continue: true });
    return v;
  };
}

export function prefixed(key: PropertyKey, from: Issue[], to: Issue[]): void {
  for (const issue of from) to.push({ ...issue, path: [key, ...issue.path] });
}

export function list(element: Reader, min?: [number, string?], max?: number): Reader {
  return (v, issues) => {
    if (!Array.isArray(v)) {
      issues.push(wrongType('array', v));
      return void lengthRules(v, issues, min, max);
    }
    // An oversized list fails on its size alone, before any element is read.
    if (max !== undefined && v.length > max) {
      return void issues.push({
        path: [],
        message: `Too big: expected array to have <=${max} items`,
        continue: false,
      });
    }
    const out: unknown[] = [];
    v.forEach((item, i) => {
      const own: Issue[] = [];
      out[i] = element(item, own);
      prefixed(i, own, issues);
    });
    lengthRules(v, issues, min, max);
    return out;
  };
}

export const optional = (read: Reader): Field =>
  Object.assign((v: unknown, i: Issue[]) => (v === undefined ? undefined : read(v, i)), {
    optional: true as const,
  });
export const withDefault =
  (read: Reader, fallback: () => unknown): Reader =>
  (v, issues) =>
    v === undefined ? fallback() : read(v, issues);

/** An object of known fields, in their order; `strict` refuses other keys, else they are dropped. */
export function object(shape: Record<string, Field>, strict = false): Reader {
  return (v, issues) => {
    if (!isObject(v)) return void issues.push(wrongType('object', v));
    const out: Record<string, unknown> = {};
    for (const [key, read] of Object.entries(shape)) {
      const present = key in v;
      if (!present && read.optional) continue;
      const own: Issue[] = [];
      const value = read(v[key], own);
      prefixed(key, own, issues);
      if (value !== undefined || present) out[key] = value;
    }
    if (strict) {
      const unknown: string[] = [];
      for (const key in v) if (!Object.prototype.hasOwnProperty.call(shape, key)) unknown.push(key);
      if (unknown.length > 0) {
        const keys = unknown.map((k) => `"${k}"`).join(', ');
        issues.push({
          path: [],
          message: `Unrecognized key${unknown.length > 1 ? 's' : ''}: ${keys}`,
          continue: true,
        });
      }
    }
    return out;
  };
}
