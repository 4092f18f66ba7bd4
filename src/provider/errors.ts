/**
 * Typed errors for every code of the provider's contract, plus the transport failures around them.
 *
 * The bit that matters most is `createOutcome` on errors from a create (generate/extend): the provider has
 * no idempotency key, so the chain may only resubmit when it knows no task was created.
 */

/**
 * What a failed create left behind at the provider:
 * - `not-sent`: the request never reached the provider (invalid input, connection refused, DNS failure);
 * - `rejected`: the provider answered with a definite refusal (4xx, 429, 455, 505): no task exists;
 * - `may-have-created`: the request was sent and the answer was lost or was a 5xx: a paid task may exist.
 */
export type CreateOutcome = 'not-sent' | 'rejected' | 'may-have-created';

export interface RunwayErrorDetails {
  /** The contract's code (HTTP status or envelope `code`); undefined for transport failures. */
  code?: number;
  /** HTTP status of the answer, when there was one. */
  httpStatus?: number;
  /** Which endpoint failed, e.g. `generate`. */
  endpoint: string;
  /** Only for generate/extend. */
  createOutcome?: CreateOutcome;
  /** From `Retry-After`, for 429 (and 455 when the provider sends it). */
  retryAfterMs?: number;
  cause?: unknown;
}

export class RunwayError extends Error {
  readonly code?: number;
  readonly httpStatus?: number;
  readonly endpoint: string;
  readonly createOutcome?: CreateOutcome;
  readonly retryAfterMs?: number;
  /** Whether trying the same call again later can succeed. A hint: the orchestrator owns retry policy. */
  readonly retryable: boolean = false;

  constructor(message: string, details: RunwayErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = details.code;
    this.httpStatus = details.httpStatus;
    this.endpoint = details.endpoint;
    this.createOutcome = details.createOutcome;
    this.retryAfterMs = details.retryAfterMs;
  }

  /** True when a paid task may exist although no taskId came back. */
  get mayHaveCreatedTask(): boolean {
    return this.createOutcome === 'may-have-created';
  }
}

/** The request broke a rule of the contract and was never sent. */
export class InvalidRequestError extends RunwayError {}
/** 400: bad request, malformed JSON, content or parameter rejection. */
export class BadRequestError extends RunwayError {}
/** 401: missing or invalid API key. */
export class UnauthorizedError extends RunwayError {}
/** 402: insufficient credits. */
export class InsufficientCreditsError extends RunwayError {}
/** 404: unknown resource or task. */
export class NotFoundError extends RunwayError {}
/** 405: the endpoint does not take this method (official API): nothing was done. */
export class MethodNotAllowedError extends RunwayError {}
/** 408: upstream produced no result for over 10 minutes (a task-level failure). */
export class UpstreamTimeoutError extends RunwayError {}
/** 422: validation error. */
export class ValidationError extends RunwayError {}
/** 429: rate limited; `retryAfterMs` when the provider said. */
export class RateLimitedError extends RunwayError {
  override readonly retryable = true;
}
/** 451: the provider could not fetch the given image. */
export class ImageFetchError extends RunwayError {}
/** 455: service under maintenance. */
export class MaintenanceError extends RunwayError {
  override readonly retryable = true;
}
/** 500 and any other 5xx without a meaning of its own. */
export class ServerError extends RunwayError {
  override readonly retryable = true;
}
/** 501: generation failed (a task-level failure). */
export class GenerationFailedError extends RunwayError {}
/** 505: feature disabled. */
export class FeatureDisabledError extends RunwayError {}
/** A code the contract does not name. */
export class UnknownCodeError extends RunwayError {}
/** No usable answer: connection refused or reset, timeout, DNS failure. */
export class TransportError extends RunwayError {
  override readonly retryable = true;
}
/** The answer was not what the contract promises (not JSON, wrong shape). */
export class ProtocolError extends RunwayError {
  override readonly retryable = true;
}

type RunwayErrorClass = new (message: string, details: RunwayErrorDetails) => RunwayError;

const ERROR_BY_CODE: Record<number, RunwayErrorClass> = {
  400: BadRequestError,
  401: UnauthorizedError,
  402: InsufficientCreditsError,
  404: NotFoundError,
  408: UpstreamTimeoutError,
  422: ValidationError,
  429: RateLimitedError,
  451: ImageFetchError,
  455: MaintenanceError,
  500: ServerError,
  501: GenerationFailedError,
  505: FeatureDisabledError,
};

/** The error class for a contract code: unknown 5xx are server errors, other unknown codes stay unknown. */
export function errorClassForCode(code: number): RunwayErrorClass {
  return ERROR_BY_CODE[code] ?? (code >= 500 && code < 600 ? ServerError : UnknownCodeError);
}

/**
 * What a create's error code says about the task: 5xx (but 505, a definite refusal) and codes we do not know
 * may hide a created task; every other answer is a refusal.
 */
export function createOutcomeForCode(code: number): CreateOutcome {
  if (code === 505) return 'rejected';
  if (code >= 500 || !(code in ERROR_BY_CODE)) return 'may-have-created';
  return 'rejected';
}

/** All names, so an orchestrator can map `error.name` (e.g. from a serialized failure) back to meaning. */
export const RUNWAY_ERROR_NAMES = [
  ...new Set([...Object.values(ERROR_BY_CODE).map((c) => c.name)]),
  InvalidRequestError.name,
  MethodNotAllowedError.name,
  UnknownCodeError.name,
  TransportError.name,
  ProtocolError.name,
];
