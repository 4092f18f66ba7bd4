/**
 * The provider's contract (`shared/runway-api.md`) as zod schemas: the single source of every type that
 * crosses the wire, used by the client, the simulator and the callback receiver alike.
 */
import { z } from 'zod';

export const MAX_PROMPT_LENGTH = 1800;
export const DURATIONS = [5, 10] as const;
export const QUALITIES = ['720p', '1080p'] as const;
export const ASPECT_RATIOS = ['16:9', '4:3', '1:1', '3:4', '9:16'] as const;
export const TASK_STATES = ['wait', 'queueing', 'generating', 'success', 'fail'] as const;
/** Inferred by the contract, not documented: an extension is the provider's default clip length. */
export const EXTENSION_SECONDS = 5;

export const Duration = z.union([z.literal(5), z.literal(10)], {
  error: 'duration must be 5 or 10 (seconds)',
});
export type Duration = z.infer<typeof Duration>;
export const Quality = z.enum(QUALITIES);
export type Quality = z.infer<typeof Quality>;
export const AspectRatio = z.enum(ASPECT_RATIOS);
export type AspectRatio = z.infer<typeof AspectRatio>;
export const TaskState = z.enum(TASK_STATES);
export type TaskState = z.infer<typeof TaskState>;

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

/*
 * What we read. Strict in what we send, tolerant in what we read: the provider promises only the shapes of
 * its docs page's examples (see docs/provider-api.md), and third-party typings of the same API disagree on
 * nulls and types. So a reader requires only what the chain uses (a task's id and state, and on success a
 * video URL); every other field may be absent, `null`, or a number where a string is expected (and the
 * other way round), and unknown fields are ignored. `null` comes out as absent.
 */

/** An optional text field: a string (or a number, as text); anything else, `null` included, is absent. */
// (`.optional()` makes the key itself optional: a transform alone would demand it.)
const optionalText = z
  .unknown()
  .transform((v): string | undefined => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    return undefined;
  })
  .optional();
/** An optional field we only pass on: kept when it is a string, number or boolean, absent otherwise. */
const optionalScalar = z
  .unknown()
  .transform((v) =>
    typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))
      ? v
      : undefined,
  )
  .optional();
/** A nested object nobody must have: its fields are read leniently, a non-object is absent. */
function optionalObject<T extends z.ZodRawShape>(shape: T) {
  const object = z.object(shape);
  return z
    .unknown()
    .transform((v) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
      const parsed = object.safeParse(v);
      return parsed.success ? parsed.data : undefined;
    })
    .optional();
}
/** A required id: a non-empty string (a number is taken as its text). */
const RequiredId = z.union([z.string().min(1), z.number().int().transform(String)]);

/** Every response body: `{ code, msg, data }`; `msg` may be missing or `null`. */
export const Envelope = z.object({
  code: z.number().int(),
  msg: optionalText.transform((m) => m ?? ''),
  data: z.unknown().optional(),
});
export type Envelope = z.infer<typeof Envelope>;

export const CreateTaskData = z.object({ taskId: RequiredId });
export type CreateTaskData = z.infer<typeof CreateTaskData>;

export const VideoInfo = optionalObject({
  videoId: optionalText,
  taskId: optionalText,
  videoUrl: optionalText,
  imageUrl: optionalText,
});

/**
 * A task as record-detail describes it. Required: `taskId`, `state`, and `videoInfo.videoUrl` when the
 * state is `success`. The docs page's own success example has no `videoInfo.taskId`, `parentTaskId`,
 * `generateParam`, `failCode` or `failMsg`; other sources send them as `null`, `failCode` and
 * `expandPrompt` as strings.
 */
export const TaskDetail = z
  .object({
    taskId: RequiredId,
    // A state in another case is still the state.
    state: z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), TaskState),
    parentTaskId: optionalText,
    generateParam: optionalObject({
      prompt: optionalText,
      imageUrl: optionalText,
      expandPrompt: optionalScalar,
    }),
    generateTime: optionalText,
    videoInfo: VideoInfo,
    failCode: optionalText,
    failMsg: optionalText,
    expireFlag: optionalScalar,
  })
  .superRefine((detail, ctx) => {
    if (detail.state === 'success' && !detail.videoInfo?.videoUrl) {
      ctx.addIssue({
        code: 'custom',
        path: ['videoInfo', 'videoUrl'],
        message: 'a successful task must carry its video URL',
      });
    }
  });
export type TaskDetail = z.output<typeof TaskDetail>;

/** Remaining credits: a number (or a number's text). */
export const Credits = z.union([
  z.number().finite(),
  z
    .string()
    .regex(/^\s*-?\d+(\.\d+)?\s*$/)
    .transform(Number),
]);

export const DownloadUrlData = z.string().pipe(HttpUrl);

/**
 * The body the provider POSTs to `callBackUrl` when a task finishes (snake_case, unlike record-detail). Only
 * `code` is required: a failure callback may come with `data: null`, no `data`, or null fields, and the
 * per-attempt callback URL already says which segment it is about.
 */
export const CallbackPayload = z.object({
  code: z.number().int(),
  msg: optionalText,
  data: optionalObject({
    task_id: optionalText,
    video_id: optionalText,
    video_url: optionalText,
    image_url: optionalText,
  }),
});
export type CallbackPayload = z.output<typeof CallbackPayload>;

/** The signature headers of a signed callback (see the contract's webhook section). */
export const WEBHOOK_TIMESTAMP_HEADER = 'x-webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'x-webhook-signature';

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
