/**
 * What we send the official Runway API (docs/provider-runwayml.md), as zod schemas. Strict: a request that
 * breaks a documented rule fails here, before any paid call, with a message that says which rule.
 */
import { z } from 'zod';
import {
  RUNWAYML_IMAGE_MEDIA_TYPES,
  RUNWAYML_IMAGE_RATIOS,
  RUNWAYML_MAX_DATA_URI_BYTES,
  RUNWAYML_MAX_DURATION,
  RUNWAYML_MAX_PROMPT_TEXT,
  RUNWAYML_MAX_REFERENCE_IMAGES,
  RUNWAYML_MAX_SEED,
  RUNWAYML_MAX_URL_LENGTH,
  RUNWAYML_MIN_DURATION,
  RUNWAYML_VIDEO_RATIOS,
} from './contract-runwayml';

/** Whether a URL's host is an IP literal (the API fetches from domain names only). */
function isIpHost(hostname: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) || hostname.startsWith('[');
}

/** An https URL on a domain name, as the API fetches inputs. */
function checkHttpsUrl(value: string): string | undefined {
  if (value.length > RUNWAYML_MAX_URL_LENGTH)
    return `a URL must be at most ${RUNWAYML_MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:') return 'an image URL must be https';
  if (!url.hostname || isIpHost(url.hostname)) return 'an image URL must name a domain, not an IP address';
  return undefined;
}

const DATA_URI = /^data:([a-z]+\/[a-z0-9.+-]+);base64,([A-Za-z0-9+/]*={0,2})$/;

/** A base64 data URI of an accepted image type, under the API's size limit (counted whole). */
function checkImageDataUri(value: string): string | undefined {
  if (value.length >= RUNWAYML_MAX_DATA_URI_BYTES) {
    return `a data URI must be under ${RUNWAYML_MAX_DATA_URI_BYTES} bytes (this one has ${value.length})`;
  }
  const m = DATA_URI.exec(value);
  if (!m) return 'not a base64 data URI (data:image/…;base64,…)';
  if (!(RUNWAYML_IMAGE_MEDIA_TYPES as readonly string[]).includes(m[1]!)) {
    return `image type ${m[1]} is not accepted (${RUNWAYML_IMAGE_MEDIA_TYPES.join(', ')})`;
  }
  if (m[2]!.length === 0 || m[2]!.length % 4 !== 0) return 'the base64 payload is empty or malformed';
  return undefined;
}

/** An input image: an https URL on a domain, or a base64 data URI of a PNG, JPEG or WebP image. */
export const RunwayMlImageInput = z.string({ error: 'an image must be a string' }).superRefine((v, ctx) => {
  const problem = v.startsWith('data:') ? checkImageDataUri(v) : checkHttpsUrl(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const RunwayMlPromptText = z
  .string({ error: 'promptText must be a string' })
  .refine((p) => p.replace(/[\s\p{Cc}\p{Cf}\p{Cs}]/gu, '').length > 0, 'promptText must not be empty')
  .refine((p) => p.length <= RUNWAYML_MAX_PROMPT_TEXT, {
    message: `promptText must be at most ${RUNWAYML_MAX_PROMPT_TEXT} characters (UTF-16 code units)`,
  });

export const RunwayMlDuration = z
  .number()
  .int('duration must be whole seconds')
  .min(RUNWAYML_MIN_DURATION, `duration must be ${RUNWAYML_MIN_DURATION} to ${RUNWAYML_MAX_DURATION} seconds`)
  .max(
    RUNWAYML_MAX_DURATION,
    `duration must be ${RUNWAYML_MIN_DURATION} to ${RUNWAYML_MAX_DURATION} seconds`,
  );

export const RunwayMlSeed = z
  .number()
  .int('seed must be an integer')
  .min(0, `seed must be 0 to ${RUNWAYML_MAX_SEED}`)
  .max(RUNWAYML_MAX_SEED, `seed must be 0 to ${RUNWAYML_MAX_SEED}`);

const VideoRatio = z.enum(RUNWAYML_VIDEO_RATIOS, {
  error: `ratio must be one of ${RUNWAYML_VIDEO_RATIOS.join(', ')}`,
});
const ImageRatio = z.enum(RUNWAYML_IMAGE_RATIOS, {
  error: `ratio must be one of ${RUNWAYML_IMAGE_RATIOS.join(', ')}`,
});

/** gen4_turbo: the image is required; text and duration are optional (the API picks a default length). */
const Gen4TurboRequest = z
  .object({
    model: z.literal('gen4_turbo'),
    promptImage: RunwayMlImageInput,
    ratio: VideoRatio,
    promptText: RunwayMlPromptText.optional(),
    duration: RunwayMlDuration.optional(),
    seed: RunwayMlSeed.optional(),
  })
  .strict();

/** gen4.5 takes the same fields, but text and duration are required. */
const Gen45Request = z
  .object({
    model: z.literal('gen4.5'),
    promptImage: RunwayMlImageInput,
    ratio: VideoRatio,
    promptText: RunwayMlPromptText,
    duration: RunwayMlDuration,
    seed: RunwayMlSeed.optional(),
  })
  .strict();

export const ImageToVideoRequest = z.discriminatedUnion('model', [Gen4TurboRequest, Gen45Request], {
  error: 'model must be gen4_turbo or gen4.5',
});
export type ImageToVideoRequest = z.infer<typeof ImageToVideoRequest>;

const ReferenceImage = z
  .object({
    uri: RunwayMlImageInput,
    tag: z
      .string()
      .regex(
        /^[A-Za-z][A-Za-z0-9_]{2,15}$/,
        'a tag is 3-16 letters, digits or underscores, starting with a letter',
      )
      .optional(),
  })
  .strict();

const textToImageFields = {
  promptText: RunwayMlPromptText,
  ratio: ImageRatio,
  seed: RunwayMlSeed.optional(),
};

export const TextToImageRequest = z.discriminatedUnion(
  'model',
  [
    z
      .object({
        model: z.literal('gen4_image'),
        ...textToImageFields,
        referenceImages: z
          .array(ReferenceImage)
          .max(RUNWAYML_MAX_REFERENCE_IMAGES, `at most ${RUNWAYML_MAX_REFERENCE_IMAGES} reference images`)
          .optional(),
      })
      .strict(),
    z
      .object({
        model: z.literal('gen4_image_turbo'),
        ...textToImageFields,
        referenceImages: z
          .array(ReferenceImage)
          .min(1, 'gen4_image_turbo needs at least one reference image')
          .max(RUNWAYML_MAX_REFERENCE_IMAGES, `at most ${RUNWAYML_MAX_REFERENCE_IMAGES} reference images`),
      })
      .strict(),
  ],
  { error: 'model must be gen4_image or gen4_image_turbo' },
);
export type TextToImageRequest = z.infer<typeof TextToImageRequest>;

/** A task id as it goes into a URL path: the API's ids are UUIDs; nothing that could change the path. */
export const RunwayMlTaskId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,200}$/, 'a task id is 1-200 letters, digits, dashes or underscores');
