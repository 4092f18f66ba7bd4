/**
 * The simulator's HTTP face: the provider's endpoints (Bearer API key), the generated files, and the admin
 * API under `/admin/` (Bearer admin token). `startSimulator` is what the CLI, the demo and the tests use.
 * It speaks the reseller API (`kie-runway`, below) or Runway's own API (`runwayml`, `runwayml-routes.ts`).
 */
import { createReadStream, promises as fs } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { describeZodError } from '../chain/requests';
import { BodyError, closeServer, listen, readJsonBody, sendJson } from '../http/json-server';
import { bearer, handleAdmin } from './admin-routes';
import { type ApiAnswer, SimulatedProvider } from './provider';
import { RunwaymlProvider } from './runwayml-provider';
import { handleRunwayml } from './runwayml-routes';
import { type ResolvedSimulatorOptions, SimulatorOptions } from './options';
import { SeededRandom } from './clock';

export interface RunningSimulator {
  /** Base URL of the provider API, e.g. `http://127.0.0.1:43123`. */
  url: string;
  /** The reseller mode's provider, or the official API's (`options.provider` says which). */
  provider: SimulatedProvider | RunwaymlProvider;
  options: ResolvedSimulatorOptions;
  close(): Promise<void>;
}

const BODY_LIMIT = 64 * 1024;

const PROVIDER_ROUTES: Record<string, { method: string; endpoint: string }> = {
  '/api/v1/runway/generate': { method: 'POST', endpoint: 'generate' },
  '/api/v1/runway/extend': { method: 'POST', endpoint: 'extend' },
  '/api/v1/runway/record-detail': { method: 'GET', endpoint: 'record-detail' },
  '/api/v1/chat/credit': { method: 'GET', endpoint: 'credits' },
  '/api/v1/common/download-url': { method: 'POST', endpoint: 'download-url' },
};

export async function startSimulator(input: SimulatorOptions = {}): Promise<RunningSimulator> {
  const parsed = SimulatorOptions.safeParse(input);
  if (!parsed.success) throw new Error(`Invalid simulator options: ${describeZodError(parsed.error)}`);
  const options = parsed.data;
  // Runway's own outputs expire within a day or two; the reseller keeps files for 14 days.
  if (options.provider === 'runwayml' && input.fileTtlMs === undefined) options.fileTtlMs = 24 * 3600 * 1000;
  const ownDataDir = !options.dataDir;
  const dataDir = options.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'long-video-sim-')));
  await fs.mkdir(dataDir, { recursive: true });
  const log = options.log ? (line: string) => console.log(`[simulator] ${line}`) : () => undefined;
  const styleRandom = new SeededRandom(options.seed + 1);

  const server = http.createServer();
  const listened = await listen(server, options.host, options.port);
  const url = (options.publicUrl ?? listened).replace(/\/$/, '');
  const provider =
    options.provider === 'runwayml'
      ? new RunwaymlProvider(options, url, dataDir, log)
      : new SimulatedProvider(options, url, dataDir, log);
  const answer = (req: IncomingMessage, res: ServerResponse) =>
    provider instanceof RunwaymlProvider
      ? handleRunwayml(provider, options, req, res)
      : handle(provider, options, req, res, styleRandom);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    answer(req, res)
      .catch((err) => {
        if (!res.headersSent) {
          const body =
            options.provider === 'runwayml'
              ? { error: 'Internal simulator error' }
              : { code: 500, msg: 'Internal simulator error', data: null };
          sendJson(res, 500, body);
        }
        log(`error: ${(err as Error).stack ?? err}`);
        return 500;
      })
      .then((code) => {
        if (!res.headersSent) return; // hung on purpose
        const viaHttp = code !== undefined && code !== res.statusCode ? ` (HTTP ${res.statusCode})` : '';
        log(
          `${req.method} ${redactPath(req.url ?? '')} -> ${code ?? res.statusCode}${viaHttp} ${Date.now() - started}ms`,
        );
      });
  });
  return {
    url,
    provider,
    options,
    async close() {
      await provider.close();
      await closeServer(server);
      if (ownDataDir) await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function handle(
  provider: SimulatedProvider,
  options: ResolvedSimulatorOptions,
  req: IncomingMessage,
  res: ServerResponse,
  styleRandom: SeededRandom,
): Promise<number | undefined> {
  const url = new URL(req.url ?? '/', 'http://simulator');
  const route = PROVIDER_ROUTES[url.pathname];
  if (route) {
    const answer = await answerProvider(provider, options, route, req, url);
    const counts = (provider.requestCounts[route.endpoint] ??= {});
    counts[String(answer.code)] = (counts[String(answer.code)] ?? 0) + 1;
    await deliver(res, answer, options, styleRandom);
    return answer.code;
  }
  const file = /^\/(files|download)\/([^/]+)$/.exec(url.pathname);
  if (file && req.method === 'GET') {
    await serveFile(provider, file[1] as 'files' | 'download', file[2] as string, res);
  } else if (url.pathname.startsWith('/admin/')) {
    await handleAdmin(provider, options, req, res, url);
  } else if (url.pathname === '/healthz') {
    sendJson(res, 200, { ok: true });
  } else {
    sendJson(res, 404, { code: 404, msg: `No route ${req.method} ${url.pathname}`, data: null });
  }
  return undefined;
}

async function answerProvider(
  provider: SimulatedProvider,
  options: ResolvedSimulatorOptions,
  route: { method: string; endpoint: string },
  req: IncomingMessage,
  url: URL,
): Promise<ApiAnswer> {
  const apiKey = bearer(req);
  if (!apiKey || !options.apiKeys.includes(apiKey)) {
    return { code: 401, msg: apiKey ? 'Invalid API key' : 'Missing Authorization: Bearer <API key>' };
  }
  if (req.method !== route.method) return { code: 405, msg: `Use ${route.method} for ${url.pathname}` };
  let body: unknown;
  if (req.method === 'POST') {
    try {
      body = await readJsonBody(req, BODY_LIMIT);
    } catch (err) {
      return {
        code: err instanceof BodyError && err.status === 413 ? 413 : 400,
        msg: (err as Error).message,
      };
    }
  }
  switch (route.endpoint) {
    case 'generate':
    case 'extend':
      return provider.create(route.endpoint, apiKey, body);
    case 'record-detail':
      return provider.detail(apiKey, url.searchParams.get('taskId') ?? '');
    case 'credits':
      return provider.credits(apiKey);
    default:
      return provider.downloadUrl(apiKey, body);
  }
}

async function deliver(
  res: ServerResponse,
  answer: ApiAnswer,
  options: ResolvedSimulatorOptions,
  styleRandom: SeededRandom,
): Promise<void> {
  // unref: a slow or hung answer must not keep a closing process alive.
  if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs).unref());
  if (answer.hang) {
    res.socket?.destroy();
    return;
  }
  const style =
    options.errorStyle === 'mixed' ? (styleRandom.chance(0.5) ? 'http' : 'envelope') : options.errorStyle;
  const status = answer.code !== 200 && style === 'http' ? answer.code : 200;
  sendJson(res, status, { code: answer.code, msg: answer.msg, data: answer.data ?? null }, answer.headers);
}

async function serveFile(
  provider: SimulatedProvider,
  kind: 'files' | 'download',
  name: string,
  res: ServerResponse,
) {
  const file = await provider.resolveFile(kind, name);
  if (!file) return sendJson(res, 404, { code: 404, msg: 'File not found or expired', data: null });
  const stat = await fs.stat(file);
  res.writeHead(200, {
    'content-type': file.endsWith('.mp4') ? 'video/mp4' : 'image/png',
    'content-length': stat.size,
  });
  createReadStream(file).pipe(res);
}

/** Download tokens are capabilities: keep them out of the log. */
function redactPath(p: string): string {
  return p.replace(/^\/download\/[^/?]+/, '/download/…');
}
