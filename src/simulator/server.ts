/**
 * The simulator's HTTP face: the provider's endpoints (Bearer API key), the generated files, and the admin
 * API under `/admin/` (Bearer admin token). `startSimulator` is what the CLI, the demo and the tests use.
 */
import { createReadStream, promises as fs } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { describeZodError } from '../chain/requests';
import { BodyError, closeServer, listen, readJsonBody, sendJson } from '../http/json-server';
import { accountOf } from './ledger';
import { type ApiAnswer, SimulatedProvider } from './provider';
import { type ResolvedSimulatorOptions, SimulatorOptions } from './options';
import { SeededRandom } from './clock';

export interface RunningSimulator {
  /** Base URL of the provider API, e.g. `http://127.0.0.1:43123`. */
  url: string;
  provider: SimulatedProvider;
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
  const ownDataDir = !options.dataDir;
  const dataDir = options.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'long-video-sim-')));
  await fs.mkdir(dataDir, { recursive: true });
  const log = options.log ? (line: string) => console.log(`[simulator] ${line}`) : () => undefined;
  const styleRandom = new SeededRandom(options.seed + 1);

  const server = http.createServer();
  const listened = await listen(server, options.host, options.port);
  const url = (options.publicUrl ?? listened).replace(/\/$/, '');
  const provider = new SimulatedProvider(options, url, dataDir, log);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    handle(provider, options, req, res, styleRandom)
      .catch((err) => {
        if (!res.headersSent) sendJson(res, 500, { code: 500, msg: 'Internal simulator error', data: null });
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
      provider.close();
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

const CreditsBody = z.object({ credits: z.number().nonnegative(), apiKey: z.string().optional() }).strict();
const ClockBody = z
  .object({ timeScale: z.number().positive().optional(), advanceMs: z.number().nonnegative().optional() })
  .strict();

async function handleAdmin(
  provider: SimulatedProvider,
  options: ResolvedSimulatorOptions,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  if (bearer(req) !== options.adminToken) return sendJson(res, 401, { error: 'admin token required' });
  const route = `${req.method} ${url.pathname}`;
  let body: unknown = {};
  try {
    if (req.method === 'POST')
      body = await readJsonBody(req, BODY_LIMIT).catch((e) =>
        e.message.includes('empty') ? {} : Promise.reject(e),
      );
    switch (route) {
      case 'GET /admin/ledger':
        return sendJson(res, 200, provider.ledger());
      case 'GET /admin/stats':
        return sendJson(res, 200, provider.stats());
      case 'GET /admin/callbacks':
        return sendJson(res, 200, provider.callbackRecords());
      case 'GET /admin/tasks':
        return sendJson(res, 200, provider.taskTimes());
      case 'POST /admin/credits': {
        const { credits, apiKey } = CreditsBody.parse(body);
        if (apiKey && !options.apiKeys.includes(apiKey))
          return sendJson(res, 404, { error: 'unknown API key' });
        provider.setCredits(credits, apiKey);
        return sendJson(res, 200, { credits, account: apiKey ? accountOf(apiKey) : 'all' });
      }
      case 'GET /admin/faults':
        return sendJson(res, 200, provider.faults);
      case 'POST /admin/faults': {
        const { startBurst429Ms, ...patch } = body as { startBurst429Ms?: unknown };
        const faults = provider.setFaults(patch);
        if (startBurst429Ms !== undefined)
          provider.startBurst429(z.number().nonnegative().parse(startBurst429Ms));
        return sendJson(res, 200, faults);
      }
      case 'GET /admin/clock':
        return sendJson(res, 200, {
          now: new Date(provider.clock.now()).toISOString(),
          timeScale: provider.clock.timeScale,
        });
      case 'POST /admin/clock': {
        const { timeScale, advanceMs } = ClockBody.parse(body);
        if (timeScale !== undefined) provider.clock.setTimeScale(timeScale);
        if (advanceMs !== undefined) provider.clock.advance(advanceMs);
        return sendJson(res, 200, {
          now: new Date(provider.clock.now()).toISOString(),
          timeScale: provider.clock.timeScale,
        });
      }
      case 'POST /admin/reset':
        provider.reset();
        return sendJson(res, 200, { reset: true });
      default:
        return sendJson(res, 404, { error: `No admin route ${route}` });
    }
  } catch (err) {
    const message = err instanceof z.ZodError ? describeZodError(err) : (err as Error).message;
    sendJson(res, 400, { error: message });
  }
}

function bearer(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1]?.trim();
}

/** Download tokens are capabilities: keep them out of the log. */
function redactPath(p: string): string {
  return p.replace(/^\/download\/[^/?]+/, '/download/…');
}
