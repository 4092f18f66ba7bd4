/**
 * A liveness endpoint for a process with no HTTP of its own (the worker): `GET /healthz` answers 200 while
 * `check()` says every part runs, 503 with the parts' states otherwise. Loopback by default: it is for a
 * container's healthcheck or a supervisor on the same host.
 */
import http from 'node:http';
import { closeServer, listen, sendJson } from './json-server';

export interface HealthReport {
  ok: boolean;
  /** Each part's state, e.g. `{ chains: 'RUNNING', creates: 'RUNNING', reads: 'STOPPING' }`. */
  parts: Record<string, string>;
}

export interface RunningHealthServer {
  url: string;
  close(): Promise<void>;
}

export async function startHealthServer(options: {
  host: string;
  port: number;
  check: () => HealthReport;
}): Promise<RunningHealthServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://health');
    if (req.method !== 'GET' || url.pathname !== '/healthz')
      return sendJson(res, 404, { error: 'not found' });
    const report = options.check();
    sendJson(res, report.ok ? 200 : 503, report);
  });
  const url = await listen(server, options.host, options.port);
  return { url, close: () => closeServer(server) };
}
