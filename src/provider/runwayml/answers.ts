/**
 * What the official Runway API answers (docs/provider-runwayml.md), as zod schemas. Tolerant in what we
 * read: only a task's `id` and `status` are required; every other field may be absent, `null`, or typed
 * the other way (a number as text), and unknown fields are ignored. A status we do not know is kept, not
 * rejected: `task-status.ts` treats it as "keep polling".
 */
import { z } from 'zod';
import { optionalText } from '../answers';

/** The statuses the API documents; others may appear and are kept as they come. */
export const RUNWAYML_TASK_STATUSES = [
  'PENDING',
  'THROTTLED',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
] as const;

/** A finite number, or a number's text; anything else is absent. */
const optionalNumber = z
  .unknown()
  .transform((v): number | undefined => {
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
    return undefined;
  })
  .optional();

/** `{ credits }` (cost, estimatedCost): the number when there is one. */
const optionalCredits = z
  .unknown()
  .transform((v): number | undefined => {
    if (typeof v !== 'object' || v === null) return undefined;
    const parsed = z.object({ credits: optionalNumber }).safeParse(v);
    return parsed.success ? parsed.data.credits : undefined;
  })
  .optional();

/** An id: a non-empty string (a number is taken as its text). */
const RequiredId = z.union([z.string().trim().min(1), z.number().int().transform(String)]);

/** The answer to a create (image_to_video, text_to_image). */
export const RunwayMlCreated = z
  .object({ id: RequiredId, estimatedCost: optionalCredits })
  .transform(({ id, estimatedCost }) =>
    estimatedCost === undefined ? { id } : { id, estimatedCredits: estimatedCost },
  );
export type RunwayMlCreated = z.output<typeof RunwayMlCreated>;

/** GET /v1/tasks/{id}. */
export const RunwayMlTask = z
  .object({
    id: RequiredId,
    // Another case or stray spaces are still the status.
    status: z
      .string()
      .trim()
      .min(1)
      .transform((s) => s.toUpperCase()),
    createdAt: optionalText,
    progress: optionalNumber,
    // Absent, null or not an array: no output. In an array only strings count.
    output: z
      .unknown()
      .transform((v): string[] | undefined =>
        Array.isArray(v) ? v.filter((u): u is string => typeof u === 'string' && u.length > 0) : undefined,
      )
      .optional(),
    failure: optionalText,
    failureCode: optionalText,
    cost: optionalCredits,
    estimatedCost: optionalCredits,
  })
  .transform(({ cost, estimatedCost, ...task }) => ({
    ...task,
    /** Final credits when the task is done, the estimate before. */
    credits: cost ?? estimatedCost,
  }));
export type RunwayMlTask = z.output<typeof RunwayMlTask>;

/**
 * An error answer: `{ error: "…" }` is documented for 400; some carry `issues`. Read only to show the
 * reason; never required.
 */
export function errorMessageOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const text = [b.error, b.message].find((v): v is string => typeof v === 'string' && v.length > 0);
  const issues = Array.isArray(b.issues)
    ? b.issues
        .map((i) => {
          if (typeof i !== 'object' || i === null) return undefined;
          const { path, message } = i as { path?: unknown; message?: unknown };
          if (typeof message !== 'string') return undefined;
          return Array.isArray(path) && path.length ? `${path.join('.')}: ${message}` : message;
        })
        .filter((s): s is string => Boolean(s))
    : [];
  const all = [text, ...issues].filter(Boolean).join('; ');
  return all || undefined;
}
