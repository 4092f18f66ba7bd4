/**
 * What we send the provider (docs/provider-api.md), as zod schemas: the fields of a generation and an
 * extension and the contract's rules across them. A chain's input is checked against the same rules, so
 * bad input fails before any paid call. Used by the chain's input, the client and the simulator.
 */
import { z } from 'zod';
import { ASPECT_RATIOS, MAX_PROMPT_LENGTH, QUALITIES } from './contract';
import { hasCredentials } from './redact';

export const Duration = z.union([z.literal(5), z.literal(10)], {
  error: 'duration must be 5 or 10 (seconds)',
});
export type Duration = z.infer<typeof Duration>;
export const Quality = z.enum(QUALITIES);
export type Quality = z.infer<typeof Quality>;
export const AspectRatio = z.enum(ASPECT_RATIOS);
export type AspectRatio = z.infer<typeof AspectRatio>;

export const Prompt = z
  .string({ error: 'prompt must be a string' })
  // Whitespace, zero-width and direction marks, controls and lone surrogates alone are no prompt at all.
  .refine((p) => p.replace(/[\s\p{Cc}\p{Cf}\p{Cs}]/gu, '').length > 0, 'prompt must not be empty')
  .refine((p) => p.length <= MAX_PROMPT_LENGTH, {
    message: `prompt must be at most ${MAX_PROMPT_LENGTH} characters`,
  });

/** An absolute http(s) URL; the provider fetches or posts to these, so nothing else makes sense. */
export const HttpUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
  } catch {
    return false;
  }
}, 'must be an absolute http(s) URL');

/** Where a chain's notifications go: an http(s) URL that holds no credentials (it is kept in history). */
export const NotifyUrl = HttpUrl.refine(
  (s) => !hasCredentials(s),
  "must not hold credentials (user:password@): it is kept in the chain's history",
);

/** The contract's rules across fields of a generation: shared by the request and a chain's input. */
export function checkGenerateRules(
  v: { duration?: number; quality?: string; aspectRatio?: string; imageUrl?: string },
  ctx: z.RefinementCtx,
): void {
  if (v.quality === '1080p' && v.duration === 10) {
    ctx.addIssue({
      code: 'custom',
      path: ['quality'],
      message: '1080p is only available with a 5 s duration (10 s requires 720p)',
    });
  }
  if (!v.imageUrl && !v.aspectRatio) {
    ctx.addIssue({
      code: 'custom',
      path: ['aspectRatio'],
      message: 'aspectRatio is required for text-to-video (no imageUrl)',
    });
  }
}

export const GenerateRequest = z
  .object({
    prompt: Prompt,
    duration: Duration,
    quality: Quality,
    aspectRatio: AspectRatio.optional(),
    imageUrl: HttpUrl.optional(),
    waterMark: z.string().max(200).optional(),
    callBackUrl: HttpUrl.optional(),
  })
  .strict()
  .superRefine(checkGenerateRules);
export type GenerateRequest = z.infer<typeof GenerateRequest>;

export const ExtendRequest = z
  .object({
    taskId: z.string().min(1, 'taskId is required').max(200),
    prompt: Prompt,
    quality: Quality,
    waterMark: z.string().max(200).optional(),
    callBackUrl: HttpUrl.optional(),
  })
  .strict();
export type ExtendRequest = z.infer<typeof ExtendRequest>;

export const DownloadUrlRequest = z.object({ url: HttpUrl }).strict();
export type DownloadUrlRequest = z.infer<typeof DownloadUrlRequest>;

/** Issues shown by `describeZodError`: a thousand bad prompts make a message nobody reads. */
const MAX_ISSUES_SHOWN = 5;

/** A zod error as one readable line: `quality: 1080p is only available ...; prompt: ...`. */
export function describeZodError(error: z.ZodError): string {
  const shown = error.issues
    .slice(0, MAX_ISSUES_SHOWN)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
  const more = error.issues.length - shown.length;
  return [...shown, ...(more > 0 ? [`and ${more} more`] : [])].join('; ');
}
