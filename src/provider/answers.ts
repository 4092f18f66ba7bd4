/**
 * What the provider answers (docs/provider-api.md), as zod schemas: the envelope, a task's detail, the
 * callback body and its signature headers. Used by the client, the simulator and the callback receiver.
 */
import { z } from 'zod';
import { HttpUrl } from '../chain/requests';

export const TASK_STATES = ['wait', 'queueing', 'generating', 'success', 'fail'] as const;
export const TaskState = z.enum(TASK_STATES);
export type TaskState = z.infer<typeof TaskState>;

/*
 * What we read. Strict in what we send, tolerant in what we read: the provider promises only the shapes of
 * its docs page's examples (see docs/provider-api.md), and third-party typings of the same API disagree on
 * nulls and types. So a reader requires only what the chain uses (a task's id and state, and on success a
 * video URL); every other field may be absent, `null`, or a number where a string is expected (and the
 * other way round), and unknown fields are ignored. `null` comes out as absent.
 */

/** An optional text field: a string (or a number, as text); anything else, `null` included, is absent. */
// (`.optional()` makes the key itself optional: a transform alone would demand it.)
export const optionalText = z
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
