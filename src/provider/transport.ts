/**
 * One JSON request over node:http(s), reporting whether the request could have reached the server.
 *
 * `fetch` hides the moment a connection is made, and the chain's never-pay-twice rule needs exactly that:
 * a failure before the socket connected means the provider never saw the request; any failure after it
 * means it may have.
 */
import http from 'node:http';
import https from 'node:https';

export interface JsonRequest {
  method: 'GET' | 'POST' | 'DELETE';
  url: URL;
  headers: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Answers larger than this are cut off and reported as a transport failure. */
  maxResponseBytes?: number;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export class RequestFailure extends Error {
  constructor(
    message: string,
    /** True once a socket to the server was connected: from then on the server may have acted on it. */
    readonly sent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RequestFailure';
  }
}

const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export function sendJson(req: JsonRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const lib = req.url.protocol === 'https:' ? https : http;
    let connected = false;
    let settled = false;
    const fail = (message: string, cause?: unknown) => {
      if (settled) return;
      settled = true;
      cleanup();
      request.destroy();
      reject(new RequestFailure(message, connected, { cause }));
    };

    const request = lib.request(req.url, { method: req.method, headers, agent: false });
    const timer = setTimeout(
      () =>
        fail(`no answer within ${req.timeoutMs} ms (${connected ? 'after sending' : 'while connecting'})`),
      req.timeoutMs,
    );
    const onAbort = () => fail('aborted', req.signal?.reason);
    const cleanup = () => {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    };

    request.on('socket', (socket) => {
      // A reused or already-connected socket has no 'connect' event to wait for.
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });
    request.on('error', (err: NodeJS.ErrnoException) =>
      fail(`${err.code ?? err.name}: ${err.message}`.replace(/^(\w+): \1/, '$1'), err),
    );
    request.on('response', (res) => {
      const limit = req.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) return fail(`answer larger than ${limit} bytes`);
        chunks.push(chunk);
      });
      res.on('error', (err) => fail(`answer broken off: ${err.message}`, err));
      res.on('aborted', () => fail('answer broken off'));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString(),
        });
      });
    });
    if (req.signal?.aborted) return fail('aborted before sending', req.signal.reason);
    req.signal?.addEventListener('abort', onAbort, { once: true });
    request.end(payload);
  });
}

/**
 * The longest wait a `Retry-After` may ask for: it becomes an activity's next retry delay, and a broken or
 * hostile header (`999…9` seconds, infinite once parsed) must not park a chain for ever.
 */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  const clamp = (ms: number) => Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
  if (/^\s*\d+(\.\d+)?\s*$/.test(raw)) return clamp(Math.round(Number(raw) * 1000));
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : clamp(at - now);
}
