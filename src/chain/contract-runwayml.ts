/**
 * The official Runway API's plain values (docs/provider-runwayml.md), no zod: `requests-runwayml.ts` builds
 * its schemas from them, and workflow code (a price, a failure's class) may read them from here without
 * loading a schema library.
 */

/** Image-to-video models we drive; both take one image as the first frame. */
export const RUNWAYML_VIDEO_MODELS = ['gen4_turbo', 'gen4.5'] as const;
export type RunwayMlVideoModel = (typeof RUNWAYML_VIDEO_MODELS)[number];

/** Text-to-image models, for a first frame when the user gives none (turbo needs a reference image). */
export const RUNWAYML_IMAGE_MODELS = ['gen4_image', 'gen4_image_turbo'] as const;
export type RunwayMlImageModel = (typeof RUNWAYML_IMAGE_MODELS)[number];

/** Output sizes (width:height) of image_to_video, the same for gen4_turbo and gen4.5. */
export const RUNWAYML_VIDEO_RATIOS = [
  '1280:720',
  '720:1280',
  '1104:832',
  '832:1104',
  '960:960',
  '1584:672',
] as const;
export type RunwayMlVideoRatio = (typeof RUNWAYML_VIDEO_RATIOS)[number];

/** Output sizes of text_to_image for gen4_image and gen4_image_turbo. */
export const RUNWAYML_IMAGE_RATIOS = [
  '1024:1024',
  '1080:1080',
  '1168:880',
  '1360:768',
  '1440:1080',
  '1080:1440',
  '1808:768',
  '1920:1080',
  '1080:1920',
  '2112:912',
  '1280:720',
  '720:1280',
  '720:720',
  '960:720',
  '720:960',
  '1680:720',
] as const;
export type RunwayMlImageRatio = (typeof RUNWAYML_IMAGE_RATIOS)[number];

/** `promptText` limit, counted in UTF-16 code units (what a JS string's length counts). */
export const RUNWAYML_MAX_PROMPT_TEXT = 1000;
/** Whole seconds of output; gen4_turbo defaults when absent, gen4.5 requires it. */
export const RUNWAYML_MIN_DURATION = 2;
export const RUNWAYML_MAX_DURATION = 10;
export const RUNWAYML_MAX_SEED = 4_294_967_295;
/** An input image URL: https, on a domain name (not an IP address), at most this long. */
export const RUNWAYML_MAX_URL_LENGTH = 2048;
/** A data URI, counted whole (`data:…;base64,` included), must stay under 5 MiB. */
export const RUNWAYML_MAX_DATA_URI_BYTES = 5 * 1024 * 1024;
/** Image types the API accepts (no GIF); `image/jpg` is seen in its own docs' examples. */
export const RUNWAYML_IMAGE_MEDIA_TYPES = ['image/png', 'image/jpeg', 'image/jpg', 'image/webp'] as const;
/** At most this many reference images in a text_to_image request. */
export const RUNWAYML_MAX_REFERENCE_IMAGES = 3;

/** 1 credit = $0.01. Published prices as we last read them; configuration, not contract. */
export const RUNWAYML_CREDIT_USD = 0.01;
export const RUNWAYML_VIDEO_CREDITS_PER_SECOND: Record<RunwayMlVideoModel, number> = {
  gen4_turbo: 5,
  'gen4.5': 12,
};
export const RUNWAYML_IMAGE_CREDITS: Record<RunwayMlImageModel, { '720p': number; '1080p': number }> = {
  gen4_image: { '720p': 5, '1080p': 8 },
  gen4_image_turbo: { '720p': 2, '1080p': 2 },
};

/** Credits one image_to_video task costs at the published per-second price. */
export function runwayMlVideoCredits(model: RunwayMlVideoModel, seconds: number): number {
  return RUNWAYML_VIDEO_CREDITS_PER_SECOND[model] * seconds;
}
