/**
 * Typed client for Runway's official developer API (docs/provider-runwayml.md): image_to_video,
 * text_to_image, a task's status, and its cancel (or delete).
 *
 * Like the reseller's client it validates every request before it touches the network, turns HTTP
 * statuses into the typed errors of `../errors.ts`, and never retries: the orchestrator owns retries, and a
 * create must never be sent twice blindly (the API has no idempotency key). The API key goes only into the
 * Authorization header; it is scrubbed from anything an error could carry.
 */
import { z } from 'zod';
import { describeZodError } from '../../chain/requests';
import { ImageToVideoRequest, RunwayMlTaskId, TextToImageRequest } from '../../chain/requests-runwayml';
import {
  BadRequestError,
  InsufficientCreditsError,
  InvalidRequestError,
  MethodNotAllowedError,
  NotFoundError,
  ProtocolError,
  RateLimitedError,
  type RunwayError,
  type RunwayErrorDetails,
  ServerError,
  TransportError,
  UnauthorizedError,
  UnknownCodeError,
  ValidationError,
} from '../errors';
import { RequestFailure, parseRetryAfter, sendJson } from '../transport';
import { type CallOptions, clientOptions } from '../client';
import { RunwayMlCreated, RunwayMlTask, errorMessageOf } from './answers';

export const RUNWAYML_BASE_URL = 'https://api.dev.runwayml.com';
/** The API version this client speaks; sent on every request. */
export const RUNWAYML_API_VERSION = '2024-11-06';

export const RunwayMlClientOptions = clientOptions(RUNWAYML_BASE_URL);
export type RunwayMlClientOptions = z.input<typeof RunwayMlClientOptions>;

type Endpoint = 'image_to_video' | 'text_to_image' | 'get_task' | 'cancel_task';
const CREATES: ReadonlySet<Endpoint> = new Set(['image_to_video', 'text_to_image']);

type ErrorClass = new (message: string, details: RunwayErrorDetails) => RunwayError;

/** The statuses the API documents (and 402/422, which other Runway surfaces use), one class each. */
const ERROR_BY_STATUS: Record<number, ErrorClass> = {
  400: BadRequestError,
  401: UnauthorizedError,
  402: InsufficientCreditsError,
  404: NotFoundError,
  405: MethodNotAllowedError,
  422: ValidationError,
  429: RateLimitedError,
};

/**
 * The API refuses a create the account cannot pay for with a 400, not a 402: `{"error": "You do not have
 * enough credits to run this task."}` (seen live; docs/provider-runwayml.md). Told apart by its message,
 * so that the chain pauses for credits instead of taking it as a bad input.
 */
const NOT_ENOUGH_CREDITS = /\b(not|n't) have enough credits\b|\binsufficient (credits|funds|balance)\b/i;

/**
 * The class for an HTTP status (and its message, for the 400 that means no credits): any 5xx is a server
 * error; other statuses we do not name stay unknown.
 */
export function runwayMlErrorClass(status: number, message = ''): ErrorClass {
  if (status === 400 && NOT_ENOUGH_CREDITS.test(message)) return InsufficientCreditsError;
  return ERROR_BY_STATUS[status] ?? (status >= 500 && status < 600 ? ServerError : UnknownCodeError);
}

export class RunwayMlClient {
  private readonly options: z.output<typeof RunwayMlClientOptions>;

  constructor(options: RunwayMlClientOptions) {
    const parsed = RunwayMlClientOptions.safeParse(options);
    if (!parsed.success)
      throw new Error(`Invalid Runway API client options: ${describeZodError(parsed.error)}`);
    this.options = parsed.data;
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  /** Start an image-to-video task; answers its id. */
  async imageToVideo(request: ImageToVideoRequest, call?: CallOptions): Promise<string> {
    const body = validate('image_to_video', ImageToVideoRequest, request);
    const text = await this.call('image_to_video', 'POST', '/v1/image_to_video', body, call);
    return readAnswer('image_to_video', RunwayMlCreated, text).id;
  }

  /** Start a text-to-image task (a first frame when the chain has none); answers its id. */
  async textToImage(request: TextToImageRequest, call?: CallOptions): Promise<string> {
    const body = validate('text_to_image', TextToImageRequest, request);
    const text = await this.call('text_to_image', 'POST', '/v1/text_to_image', body, call);
    return readAnswer('text_to_image', RunwayMlCreated, text).id;
  }

  async getTask(taskId: string, call?: CallOptions): Promise<RunwayMlTask> {
    const id = validate('get_task', RunwayMlTaskId, taskId);
    const text = await this.call('get_task', 'GET', `/v1/tasks/${encodeURIComponent(id)}`, undefined, call);
    return readAnswer('get_task', RunwayMlTask, text);
  }

  /** Cancel a pending, throttled or running task; a finished one is deleted (its outputs with it). */
  async cancelTask(taskId: string, call?: CallOptions): Promise<void> {
    const id = validate('cancel_task', RunwayMlTaskId, taskId);
    await this.call('cancel_task', 'DELETE', `/v1/tasks/${encodeURIComponent(id)}`, undefined, call);
  }

  /** One request; answers the body of a 2xx, throws a typed error for anything else. */
  private async call(
    endpoint: Endpoint,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body: unknown,
    call: CallOptions = {},
  ): Promise<string> {
    const isCreate = CREATES.has(endpoint);
    let raw;
    try {
      raw = await sendJson({
        method,
        url: new URL(path, this.options.baseUrl),
        headers: {
          authorization: `Bearer ${this.options.apiKey}`,
          'x-runway-version': RUNWAYML_API_VERSION,
        },
        body,
        timeoutMs: call.timeoutMs ?? this.options.timeoutMs,
        signal: call.signal,
      });
    } catch (err) {
      const sent = err instanceof RequestFailure ? err.sent : true;
      throw new TransportError(this.scrub(`${endpoint}: ${(err as Error).message}`), {
        endpoint,
        createOutcome: isCreate ? (sent ? 'may-have-created' : 'not-sent') : undefined,
      });
    }
    if (raw.status >= 200 && raw.status < 300) return raw.text;

    const reason = errorMessageOf(parseJson(raw.text)) ?? preview(raw.text);
    const ErrorClass = runwayMlErrorClass(raw.status, reason);
    throw new ErrorClass(this.scrub(`${endpoint}: HTTP ${raw.status} ${reason}`), {
      endpoint,
      code: raw.status,
      httpStatus: raw.status,
      // A 4xx is a refusal: no task was made. A 5xx (or a status we cannot read) may hide one.
      createOutcome: isCreate
        ? raw.status >= 400 && raw.status < 500
          ? 'rejected'
          : 'may-have-created'
        : undefined,
      retryAfterMs: parseRetryAfter(raw.headers['retry-after']),
    });
  }

  /** The key must never leave in a message, even if a server echoes it back. */
  private scrub(text: string): string {
    return text.split(this.options.apiKey).join('[redacted]');
  }
}

function validate<T extends z.ZodType>(endpoint: Endpoint, schema: T, value: unknown): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidRequestError(`${endpoint}: ${describeZodError(parsed.error)}`, {
      endpoint,
      createOutcome: CREATES.has(endpoint) ? 'not-sent' : undefined,
    });
  }
  return parsed.data;
}

/** A 2xx body read against its schema; unreadable is a protocol error (for a create: a task may exist). */
function readAnswer<T extends z.ZodType>(endpoint: Endpoint, schema: T, text: string): z.output<T> {
  const parsed = schema.safeParse(parseJson(text));
  if (!parsed.success) {
    throw new ProtocolError(
      `${endpoint}: the answer does not match the contract: ${describeZodError(parsed.error)}`,
      {
        endpoint,
        createOutcome: CREATES.has(endpoint) ? 'may-have-created' : undefined,
      },
    );
  }
  return parsed.data;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function preview(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 120 ? `${t.slice(0, 120)}…` : t || 'empty body';
}
