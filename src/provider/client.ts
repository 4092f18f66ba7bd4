/**
 * Typed client for the provider's API: one method per endpoint of the contract.
 *
 * It validates every request against the contract before it touches the network, turns both error styles
 * (HTTP status, and HTTP 200 with a non-200 envelope code) into typed errors, and never retries: retry
 * policy belongs to the orchestrator.
 */
import { z } from 'zod';
import { CreateTaskData, Credits, DownloadUrlData, Envelope, TaskDetail } from './answers';
import { DownloadUrlRequest, ExtendRequest, GenerateRequest, describeZodError } from '../chain/requests';
import {
  InvalidRequestError,
  ProtocolError,
  TransportError,
  createOutcomeForCode,
  errorClassForCode,
} from './errors';
import { RequestFailure, parseRetryAfter, sendJson } from './transport';

export const DEFAULT_BASE_URL = 'https://api.kie.ai';

/** A provider client's options: where, with which key, how long a request may take. */
export const clientOptions = (defaultBaseUrl: string) =>
  z.object({
    baseUrl: z.string().url().default(defaultBaseUrl),
    apiKey: z.string().min(1, 'an API key is required'),
    /** Per request, from connect to the last byte of the answer. */
    timeoutMs: z.number().int().positive().default(30_000),
  });

export const RunwayClientOptions = clientOptions(DEFAULT_BASE_URL);
export type RunwayClientOptions = z.input<typeof RunwayClientOptions>;

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

type Endpoint = 'generate' | 'extend' | 'record-detail' | 'credits' | 'download-url';

const PATHS: Record<Endpoint, string> = {
  generate: '/api/v1/runway/generate',
  extend: '/api/v1/runway/extend',
  'record-detail': '/api/v1/runway/record-detail',
  credits: '/api/v1/chat/credit',
  'download-url': '/api/v1/common/download-url',
};

const CREATES: ReadonlySet<Endpoint> = new Set(['generate', 'extend']);

export class RunwayClient {
  private readonly options: z.output<typeof RunwayClientOptions>;

  constructor(options: RunwayClientOptions) {
    const parsed = RunwayClientOptions.safeParse(options);
    if (!parsed.success) throw new Error(`Invalid Runway client options: ${describeZodError(parsed.error)}`);
    this.options = parsed.data;
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  /** Text-to-video or image-to-video; answers the new task's id. */
  async generate(request: GenerateRequest, call?: CallOptions): Promise<string> {
    const body = validate('generate', GenerateRequest, request);
    const data = await this.call('generate', CreateTaskData, { method: 'POST', body }, call);
    return data.taskId;
  }

  /** Continue the video of `request.taskId`; answers the new task's id. */
  async extend(request: ExtendRequest, call?: CallOptions): Promise<string> {
    const body = validate('extend', ExtendRequest, request);
    const data = await this.call('extend', CreateTaskData, { method: 'POST', body }, call);
    return data.taskId;
  }

  async recordDetail(taskId: string, call?: CallOptions): Promise<TaskDetail> {
    const id = validate('record-detail', z.string().min(1, 'taskId is required').max(200), taskId);
    return this.call('record-detail', TaskDetail, { method: 'GET', query: { taskId: id } }, call);
  }

  /** Remaining credits of the account. */
  async credits(call?: CallOptions): Promise<number> {
    return this.call('credits', Credits, { method: 'GET' }, call);
  }

  /** A temporary (about 20 minutes) download link for a file the provider generated. */
  async downloadUrl(url: string, call?: CallOptions): Promise<string> {
    const body = validate('download-url', DownloadUrlRequest, { url });
    return this.call('download-url', DownloadUrlData, { method: 'POST', body }, call);
  }

  private async call<T extends z.ZodType>(
    endpoint: Endpoint,
    dataSchema: T,
    req: { method: 'GET' | 'POST'; body?: unknown; query?: Record<string, string> },
    call: CallOptions = {},
  ): Promise<z.output<T>> {
    const isCreate = CREATES.has(endpoint);
    const url = new URL(PATHS[endpoint], this.options.baseUrl);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);

    let raw;
    try {
      raw = await sendJson({
        method: req.method,
        url,
        headers: { authorization: `Bearer ${this.options.apiKey}` },
        body: req.body,
        timeoutMs: call.timeoutMs ?? this.options.timeoutMs,
        signal: call.signal,
      });
    } catch (err) {
      const sent = err instanceof RequestFailure ? err.sent : true;
      throw new TransportError(`${endpoint}: ${(err as Error).message}`, {
        endpoint,
        createOutcome: isCreate ? (sent ? 'may-have-created' : 'not-sent') : undefined,
        cause: err,
      });
    }

    const envelope = parseEnvelope(raw.text);
    // An HTTP error status wins over a missing or inconsistent envelope; otherwise the envelope speaks.
    const code = raw.status >= 400 ? (envelope?.code ?? raw.status) : envelope?.code;
    if (code === undefined) {
      const status = raw.status >= 200 && raw.status < 300 ? 'unreadable' : `HTTP ${raw.status}`;
      throw new ProtocolError(`${endpoint}: ${status} answer (${preview(raw.text)})`, {
        endpoint,
        httpStatus: raw.status,
        createOutcome: isCreate ? 'may-have-created' : undefined,
      });
    }
    if (code !== 200) {
      const ErrorClass = errorClassForCode(code);
      const msg = envelope?.msg || `HTTP ${raw.status}`;
      throw new ErrorClass(`${endpoint}: ${code} ${msg}`, {
        endpoint,
        code,
        httpStatus: raw.status,
        createOutcome: isCreate ? createOutcomeForCode(code) : undefined,
        retryAfterMs: parseRetryAfter(raw.headers['retry-after']),
      });
    }
    const data = dataSchema.safeParse(envelope?.data);
    if (!data.success) {
      throw new ProtocolError(
        `${endpoint}: answer data does not match the contract: ${describeZodError(data.error)}`,
        {
          endpoint,
          httpStatus: raw.status,
          createOutcome: isCreate ? 'may-have-created' : undefined,
        },
      );
    }
    return data.data;
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

function parseEnvelope(text: string): Envelope | undefined {
  try {
    const parsed = Envelope.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function preview(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 120 ? `${t.slice(0, 120)}…` : t || 'empty body';
}
