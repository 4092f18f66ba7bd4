/**
 * The official Runway API's create requests as the simulator reads them (API version 2024-11-06), and what
 * they cost. Sources: docs.dev.runwayml.com (API reference, "Pricing", "Task failures").
 */
import { z } from 'zod';
import { describeZodError } from '../chain/requests';

export const RUNWAY_API_VERSION = '2024-11-06';

/** Clip sizes per video model (`ratio` is `width:height` in pixels). */
const VIDEO_RATIOS: Record<string, readonly string[]> = {
  gen4_turbo: ['1280:720', '720:1280', '1104:832', '832:1104', '960:960', '1584:672'],
  'gen4.5': ['1280:720', '720:1280', '1104:832', '832:1104', '960:960', '1584:672'],
  gen3a_turbo: ['1280:768', '768:1280'],
};

/** Credits per second of video (1 credit = $0.01). */
export const VIDEO_CREDITS_PER_SECOND: Record<string, number> = {
  gen4_turbo: 5,
  'gen4.5': 12,
  gen3a_turbo: 5,
};

const IMAGE_RATIOS_1080P = [
  '1920:1080',
  '1080:1920',
  '1024:1024',
  '1360:768',
  '1080:1080',
  '1168:880',
  '1440:1080',
  '1080:1440',
  '1808:768',
  '2112:912',
];
const IMAGE_RATIOS_720P = ['1280:720', '720:1280', '720:720', '960:720', '720:960', '1680:720'];

/** Credits per image: gen4_image costs 5 at 720p sizes and 8 at 1080p sizes; gen4_image_turbo 2. */
export function imageCredits(model: string, ratio: string): number {
  if (model === 'gen4_image_turbo') return 2;
  return IMAGE_RATIOS_1080P.includes(ratio) ? 8 : 5;
}

/** A data URI (`data:image/...;base64,`) of at most 5 MB, or an http(s) URL. */
const ImageRef = z
  .string()
  .max(5 * 1024 * 1024, 'data URIs must be under 5 MB')
  .refine((s) => /^data:image\/[\w.+-]+;base64,/.test(s) || /^https?:\/\//.test(s), {
    message: 'must be an HTTPS URL or a data URI (data:image/...;base64,...)',
  });

const Seed = z.number().int().min(0).max(4_294_967_295);
const PromptText = z.string().min(1).max(1000);
const ContentModeration = z.object({ publicFigureThreshold: z.enum(['auto', 'low']).optional() }).strict();

export const ImageToVideoRequest = z
  .object({
    model: z.enum(Object.keys(VIDEO_RATIOS) as [string, ...string[]]),
    promptImage: z.union([
      ImageRef,
      z
        .array(z.object({ uri: ImageRef, position: z.enum(['first', 'last']) }).strict())
        .min(1)
        .max(2),
    ]),
    promptText: PromptText.optional(),
    ratio: z.string(),
    // Whole seconds, 2 to 10 (docs/provider-runwayml.md: the range the API documents for its video models).
    duration: z
      .number('must be a whole number of seconds from 2 to 10')
      .int('must be a whole number of seconds from 2 to 10')
      .min(2, 'must be a whole number of seconds from 2 to 10')
      .max(10, 'must be a whole number of seconds from 2 to 10')
      .default(10),
    seed: Seed.optional(),
    contentModeration: ContentModeration.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const ratios = VIDEO_RATIOS[r.model] ?? [];
    if (!ratios.includes(r.ratio))
      ctx.addIssue({ code: 'custom', path: ['ratio'], message: `must be one of ${ratios.join(', ')}` });
  });
export type ImageToVideoRequest = z.infer<typeof ImageToVideoRequest>;

export const TextToImageRequest = z
  .object({
    model: z.enum(['gen4_image', 'gen4_image_turbo']),
    promptText: PromptText,
    ratio: z.enum([...IMAGE_RATIOS_1080P, ...IMAGE_RATIOS_720P] as [string, ...string[]]),
    seed: Seed.optional(),
    referenceImages: z
      .array(z.object({ uri: ImageRef, tag: z.string().min(3).max(16).optional() }).strict())
      .max(3)
      .optional(),
    contentModeration: ContentModeration.optional(),
  })
  .strict();
export type TextToImageRequest = z.infer<typeof TextToImageRequest>;

/** A create as the simulator uses it: validated, priced, with the image a clip starts from. */
export interface CreateRequest {
  model: string;
  ratio: string;
  promptText: string;
  /** Seconds of video; 0 for an image. */
  seconds: number;
  cost: number;
  /** image_to_video: the `first` image of a list, or the only one. */
  promptImage?: string;
}

export function readCreate(
  endpoint: 'image_to_video' | 'text_to_image',
  body: unknown,
): { ok: true; request: CreateRequest } | { ok: false; error: string } {
  if (endpoint === 'text_to_image') {
    const parsed = TextToImageRequest.safeParse(body);
    if (!parsed.success) return { ok: false, error: describeZodError(parsed.error) };
    const { model, ratio, promptText } = parsed.data;
    return { ok: true, request: { model, ratio, promptText, seconds: 0, cost: imageCredits(model, ratio) } };
  }
  const parsed = ImageToVideoRequest.safeParse(body);
  if (!parsed.success) return { ok: false, error: describeZodError(parsed.error) };
  const { model, ratio, promptText = '', duration, promptImage } = parsed.data;
  const first =
    typeof promptImage === 'string'
      ? promptImage
      : (promptImage.find((i) => i.position === 'first') ?? promptImage[0]!).uri;
  const cost = VIDEO_CREDITS_PER_SECOND[model]! * duration;
  return { ok: true, request: { model, ratio, promptText, seconds: duration, cost, promptImage: first } };
}

/** `1280:720` → 1280 × 720. */
export function sizeOf(ratio: string): { width: number; height: number } {
  const [width, height] = ratio.split(':').map(Number) as [number, number];
  return { width, height };
}

/** The `failure` text sent with a `failureCode`, by the code's family. */
export function failureMessage(code: string): string {
  if (code.startsWith('SAFETY.')) return 'The task was rejected by content moderation.';
  if (code.startsWith('INPUT_PREPROCESSING.SAFETY'))
    return 'The prompt text was rejected by content moderation.';
  if (code.startsWith('INTERNAL.BAD_OUTPUT')) return 'The output was rejected for quality reasons.';
  if (code.startsWith('ASSET.')) return 'An input asset could not be used.';
  return 'An internal error occurred. Please try again.';
}

/** Keep a body for the ledger without megabytes of base64: data URIs are shortened to their header. */
export function ledgerBody(body: unknown): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(body, (_key, value: unknown) =>
      typeof value === 'string' && value.startsWith('data:')
        ? `${value.slice(0, value.indexOf(',') + 1)}…(${value.length} chars)`
        : value,
    ),
  ) as Record<string, unknown>;
}
