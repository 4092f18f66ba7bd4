/**
 * The provider contract's plain values (no zod): `requests.ts` builds its schemas from them, and workflow
 * code (the chain's own input check, the price of a create) reads them from here, so that the workflow
 * bundle does not carry a schema library into every workflow it runs.
 */
export const MAX_PROMPT_LENGTH = 1800;
export const DURATIONS = [5, 10] as const;
export const QUALITIES = ['720p', '1080p'] as const;
export const ASPECT_RATIOS = ['16:9', '4:3', '1:1', '3:4', '9:16'] as const;
/** Inferred by the contract, not documented: an extension is the provider's default clip length. */
export const EXTENSION_SECONDS = 5;
