/**
 * The HTTP face of the official-API mode (`--provider runwayml`): Runway's `/v1/` endpoints (Bearer API
 * key and the `X-Runway-Version` header, errors as `{ "error": ... }` with the HTTP status), the output
 * files, and the shared admin API.
 */
import { createReadStream, promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyError, readJsonBody, sendJson } from '../http/json-server';
import { bearer, handleAdmin } from './admin-routes';
import type { ResolvedSimulatorOptions } from './options';
import type { RunwaymlAnswer, RunwaymlProvider } from './runwayml-provider';
import { RUNWAY_API_VERSION } from './runwayml-requests';

/** A data URI image may be 5 MB; leave room for the rest of the JSON. */
const BODY_LIMIT = 6 * 1024 * 1024;

/** Answers one request; returns the API status it answered (undefined for files, admin and hangs). */
export async function handleRunwayml(
  provider: RunwaymlProvider,
  options: ResolvedSimulatorOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<number | undefined> {
  const url = new URL(req.url ?? '/', 'http://simulator');
  if (url.pathname.startsWith('/v1/')) {
    const endpoint = endpointOf(url.pathname);
    const answer = await answerApi(provider, options, endpoint, req, url);
    const counts = (provider.requestCounts[endpoint] ??= {});
    counts[String(answer.status)] = (counts[String(answer.status)] ?? 0) + 1;
    return deliver(res, answer);
  }
  const file = /^\/files\/([^/]+)$/.exec(url.pathname);
  if (file && req.method === 'GET') {
    await serveFile(provider, file[1]!, res);
  } else if (url.pathname.startsWith('/admin/')) {
    await handleAdmin(provider, options, req, res, url);
  } else if (url.pathname === '/healthz') {
    sendJson(res, 200, { ok: true, provider: 'runwayml' });
  } else {
    sendJson(res, 404, { error: `No route ${req.method} ${url.pathname}` });
  }
  return undefined;
}

function endpointOf(pathname: string): string {
  if (pathname.startsWith('/v1/tasks/')) return 'tasks';
  return pathname.slice('/v1/'.length);
}

async function answerApi(
  provider: RunwaymlProvider,
  options: ResolvedSimulatorOptions,
  endpoint: string,
  req: IncomingMessage,
  url: URL,
): Promise<RunwaymlAnswer> {
  const apiKey = bearer(req);
  if (!apiKey || !options.apiKeys.includes(apiKey)) {
    return {
      status: 401,
      body: { error: apiKey ? 'Invalid API key' : 'Missing Authorization: Bearer <API key>' },
    };
  }
  const version = req.headers['x-runway-version'];
  if (version !== RUNWAY_API_VERSION) {
    const error = version
      ? `Unsupported X-Runway-Version ${String(version).slice(0, 40)}; use ${RUNWAY_API_VERSION}`
      : `The X-Runway-Version header is required (${RUNWAY_API_VERSION})`;
    return { status: 400, body: { error } };
  }
  const method = req.method ?? 'GET';
  if (endpoint === 'image_to_video' || endpoint === 'text_to_image') {
    if (method !== 'POST') return { status: 405, body: { error: `Use POST for ${url.pathname}` } };
    let body: unknown;
    try {
      body = await readJsonBody(req, BODY_LIMIT);
    } catch (err) {
      const status = err instanceof BodyError && err.status === 413 ? 413 : 400;
      return { status, body: { error: (err as Error).message } };
    }
    return provider.create(endpoint, apiKey, body);
  }
  if (endpoint === 'tasks') {
    const id = decodeURIComponent(url.pathname.slice('/v1/tasks/'.length));
    if (method === 'GET') return provider.get(apiKey, id);
    if (method === 'DELETE') return provider.remove(apiKey, id);
    return { status: 405, body: { error: `Use GET or DELETE for ${url.pathname}` } };
  }
  if (endpoint === 'organization' && method === 'GET') return provider.organization(apiKey);
  return { status: 404, body: { error: `No route ${method} ${url.pathname}` } };
}

async function deliver(res: ServerResponse, answer: RunwaymlAnswer): Promise<number | undefined> {
  // unref: a slow or hung answer must not keep a closing process alive.
  if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs).unref());
  if (answer.hang) {
    res.socket?.destroy();
    return undefined;
  }
  if (answer.body === undefined) {
    res.writeHead(answer.status, answer.headers ?? {});
    res.end();
  } else {
    sendJson(res, answer.status, answer.body, answer.headers);
  }
  return answer.status;
}

async function serveFile(provider: RunwaymlProvider, name: string, res: ServerResponse): Promise<void> {
  const file = await provider.resolveFile(name);
  if (!file) return sendJson(res, 404, { error: 'File not found or expired' });
  const stat = await fs.stat(file);
  res.writeHead(200, {
    'content-type': file.endsWith('.mp4') ? 'video/mp4' : 'image/png',
    'content-length': stat.size,
  });
  createReadStream(file).pipe(res);
}
