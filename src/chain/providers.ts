/**
 * The providers a chain can run on, what each one can do, and what a segment costs there (pure, no zod:
 * the workflow reads it). A chain records its provider in its input and never switches: a continue-as-new
 * and a resume carry it. An input without one is a reseller chain, as every chain was before the seam.
 *
 * - `kie-runway`: the reseller API (RUNWAY_API_KEY): generate, then extend the previous task natively;
 *   callbacks; no cancel.
 * - `runwayml`: Runway's official developer API (RUNWAYML_API_SECRET): no extend, so each segment is an
 *   image_to_video whose first frame is the previous clip's exact last frame; polled; tasks can be cancelled.
 */
import { ASPECT_RATIOS } from './contract';
import {
  type RunwayMlImageModel,
  type RunwayMlImageRatio,
  type RunwayMlVideoModel,
  type RunwayMlVideoRatio,
  RUNWAYML_IMAGE_CREDITS,
  RUNWAYML_MAX_PROMPT_TEXT,
  runwayMlVideoCredits,
} from './contract-runwayml';
import type { PriceTable } from './input';
import { priceOf } from './prices';
import type { Duration, Quality } from './requests';

export const PROVIDER_NAMES = ['kie-runway', 'runwayml'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];
export const DEFAULT_PROVIDER: ProviderName = 'kie-runway';

export interface ProviderCapabilities {
  /** Continues a task natively (extend); without it, a segment starts from the previous one's last frame. */
  nativeExtend: boolean;
  /** Calls our receiver back when a task ends; without it, tasks are polled only. */
  callbacks: boolean;
  /** Can cancel a task in flight (a chain's cancel, a redo that discards it). */
  cancel: boolean;
}

export const CAPABILITIES: Record<ProviderName, ProviderCapabilities> = {
  'kie-runway': { nativeExtend: true, callbacks: true, cancel: false },
  runwayml: { nativeExtend: false, callbacks: false, cancel: true },
};

/** The setting that holds each provider's key (worker side only: never in a chain's input). */
export const PROVIDER_KEY_SETTING: Record<ProviderName, string> = {
  'kie-runway': 'RUNWAY_API_KEY',
  runwayml: 'RUNWAYML_API_SECRET',
};

/** A chain's provider: absent means the reseller (every input from before the seam). */
export function providerOf(input: { provider?: ProviderName }): ProviderName {
  return input.provider ?? DEFAULT_PROVIDER;
}

/** The official API's models and sizes a chain uses. */
export const RUNWAYML_CHAIN_VIDEO_MODEL: RunwayMlVideoModel = 'gen4_turbo';
export const RUNWAYML_CHAIN_IMAGE_MODEL = 'gen4_image' satisfies RunwayMlImageModel;
/** The chain's aspect ratios as the official API's output sizes: the video's, and its first frame's. */
export const RUNWAYML_RATIOS: Record<
  (typeof ASPECT_RATIOS)[number],
  { video: RunwayMlVideoRatio; image: RunwayMlImageRatio }
> = {
  '16:9': { video: '1280:720', image: '1280:720' },
  '9:16': { video: '720:1280', image: '720:1280' },
  '4:3': { video: '1104:832', image: '960:720' },
  '3:4': { video: '832:1104', image: '720:960' },
  '1:1': { video: '960:960', image: '720:720' },
};

/** What one segment's create costs, in the provider's credits. */
export interface SegmentCall {
  /** The chain's first segment (a generation; on runwayml, with a first frame to make unless `imageUrl`). */
  first: boolean;
  duration: Duration;
  quality: Quality;
  /** The chain starts from the user's image (no text_to_image on runwayml). */
  hasImage: boolean;
  /** The reseller's price table (the chain's `options.prices`). */
  prices?: PriceTable;
}

export function segmentCredits(provider: ProviderName, call: SegmentCall): number {
  if (provider === 'runwayml') {
    const video = runwayMlVideoCredits(RUNWAYML_CHAIN_VIDEO_MODEL, call.duration);
    return video + (call.first && !call.hasImage ? runwayMlFirstFrameCredits() : 0);
  }
  return call.first
    ? priceOf({ endpoint: 'generate', duration: call.duration, quality: call.quality }, call.prices)
    : priceOf({ endpoint: 'extend', quality: call.quality }, call.prices);
}

/** A first frame (text_to_image at 720p), part of segment 1's cost when the chain has no image. */
export function runwayMlFirstFrameCredits(): number {
  return RUNWAYML_IMAGE_CREDITS[RUNWAYML_CHAIN_IMAGE_MODEL]['720p'];
}

/**
 * Why `prompt` is too long for `provider`, if it is (beyond the chain's own limit, which every provider
 * shares): a chain's input and an operator's redo or append prompts are held to the same rule.
 */
export function providerPromptProblem(provider: ProviderName, prompt: string): string | undefined {
  if (provider !== 'runwayml' || prompt.length <= RUNWAYML_MAX_PROMPT_TEXT) return undefined;
  return `provider runwayml takes prompts of at most ${RUNWAYML_MAX_PROMPT_TEXT} characters (this one has ${prompt.length})`;
}

/** What a chain's input must hold for its provider; each problem with the field it is about. */
export function providerInputProblems(v: {
  provider?: ProviderName;
  prompts?: readonly string[];
  quality?: string;
  imageUrl?: string;
  waterMark?: string;
  options?: { deliver?: boolean };
}): Array<{ path: string[]; message: string }> {
  if (v.provider !== 'runwayml') return [];
  const problems: Array<{ path: string[]; message: string }> = [];
  const prompts = v.prompts ?? [];
  const long = prompts.findIndex((p) => providerPromptProblem('runwayml', p) !== undefined);
  if (long >= 0) {
    problems.push({
      path: ['prompts', String(long)],
      message: providerPromptProblem('runwayml', prompts[long]!)!,
    });
  }
  if (v.options?.deliver === false) {
    problems.push({
      path: ['options', 'deliver'],
      message:
        'provider runwayml needs deliver: true (each segment starts from the last frame of the archived previous one)',
    });
  }
  if (v.quality === '1080p') {
    problems.push({ path: ['quality'], message: 'provider runwayml makes 720p clips only (gen4_turbo)' });
  }
  if (v.waterMark !== undefined) {
    problems.push({ path: ['waterMark'], message: 'provider runwayml has no watermark option' });
  }
  if (v.imageUrl !== undefined && !v.imageUrl.startsWith('https://')) {
    problems.push({ path: ['imageUrl'], message: 'provider runwayml fetches https image URLs only' });
  }
  return problems;
}
