/**
 * The chains' output folder over HTTP, so that the deliverables open in a browser (Chromium refuses
 * file:// links from a web page): GET and HEAD of the files under one root, byte ranges (a <video> seeks
 * with them), a content type per extension, no directory listing. Nothing outside the root is ever
 * served: a path with `..`, `.` or an empty segment (however it is encoded), a hidden file, or a
 * symlink whose target is outside the root is a 404.
 */
import { type FileHandle, open, realpath } from 'node:fs/promises';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { closeServer, listen } from './json-server';

export interface FileServerOptions {
  /** The folder served (OUTPUT_DIR). */
  root: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
}

export interface RunningFileServer {
  /** `http://host:port`, as listening (on every interface: the loopback one, for links from this host). */
  url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.json': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.sha256': 'text/plain; charset=utf-8',
};

export const contentTypeOf = (file: string) =>
  TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';

/** A byte range of a file of `size` bytes: `{ start, end }` (inclusive), 'unsatisfiable', or none. */
export type RangeAnswer = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * One `bytes=` range (RFC 9110 §14.1.2): `a-b`, `a-` or `-n`. Several ranges, another unit or a malformed
 * header are ignored (the whole file is sent, as the RFC allows); a range that starts past the end is
 * unsatisfiable (416).
 */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? Infinity : Number(m[2]);
  if (last < start) return undefined; // invalid syntax: ignored
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(last, size - 1) };
}

/**
 * The request's path as segments under the root, or undefined when it names nothing servable. Segments
 * are decoded one by one (so `%2F` never makes a new segment), and `.`, `..`, empty and hidden ones are
 * refused after decoding, which covers `%2e%2e` and `..%2f` alike.
 */
export function pathSegments(target: string): string[] | undefined {
  const pathname = target.split(/[?#]/, 1)[0]!;
  if (!pathname.startsWith('/')) return undefined; // absolute-form or `*`: not a path of ours
  const raw = pathname.slice(1).split('/');
  if (raw.at(-1) === '') raw[raw.length - 1] = 'index.html'; // a folder: its report
  const segments: string[] = [];
  for (const piece of raw) {
    let name: string;
    try {
      name = decodeURIComponent(piece);
    } catch {
      return undefined;
    }
    if (name === '' || name.startsWith('.') || /[/\\\0]/.test(name)) return undefined;
    segments.push(name);
  }
  return segments;
}

export async function startFileServer(options: FileServerOptions): Promise<RunningFileServer> {
  const root = await realpath(options.root);
  const server = createServer((req, res) => {
    serve(root, req, res).catch(() => {
      if (!res.headersSent) plain(res, 500, 'internal error');
      else res.destroy();
    });
  });
  const listening = await listen(server, options.host, options.port);
  const url = listening.replace(/^http:\/\/(0\.0\.0\.0|\[::\])(?=:)/, (_, any: string) =>
    any === '0.0.0.0' ? 'http://127.0.0.1' : 'http://[::1]',
  );
  return { url, close: () => closeServer(server) };
}

async function serve(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return plain(res, 405, 'GET or HEAD only', { allow: 'GET, HEAD' });
  }
  const segments = pathSegments(req.url ?? '');
  if (!segments) return plain(res, 404, 'not found');
  // The real path, symlinks resolved, must still be under the root.
  const real = await realpath(path.join(root, ...segments)).catch(() => undefined);
  if (!real || !real.startsWith(root + path.sep)) return plain(res, 404, 'not found');
  let handle: FileHandle;
  try {
    handle = await open(real, 'r');
  } catch {
    return plain(res, 404, 'not found');
  }
  // Size and type from the open file: a file renamed into place meanwhile is served whole, old or new.
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    const last = segments.at(-1);
    // A folder named without its trailing slash: its report's relative links need the slash.
    if (stat.isDirectory() && last !== 'index.html') {
      return plain(res, 301, 'moved', { location: `${(req.url ?? '').split(/[?#]/, 1)[0]}/` });
    }
    return plain(res, 404, 'not found');
  }
  const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
  const ifRange = req.headers['if-range'];
  // A range of a file that changed since the client's copy would splice two files: send it whole.
  const range = ifRange && ifRange !== etag ? undefined : parseRange(req.headers.range, stat.size);
  const headers: Record<string, string | number> = {
    'content-type': contentTypeOf(real),
    'accept-ranges': 'bytes',
    etag,
    'last-modified': stat.mtime.toUTCString(),
    // Files are replaced in place (the preview after each segment, the final video after a redo).
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    // The report is our own escaped HTML; even so, nothing in it may run script or load from elsewhere.
    'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'none'",
  };
  if (range === 'unsatisfiable') {
    await handle.close();
    return plain(res, 416, 'range not satisfiable', { 'content-range': `bytes */${stat.size}` });
  }
  const { start, end } = range ?? { start: 0, end: stat.size - 1 };
  if (range) headers['content-range'] = `bytes ${start}-${end}/${stat.size}`;
  headers['content-length'] = Math.max(0, end - start + 1);
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD' || stat.size === 0) {
    await handle.close();
    res.end();
    return;
  }
  // The stream closes the handle when it ends or fails; a client that goes away ends it too.
  pipeline(handle.createReadStream({ start, end }), res, () => undefined);
}

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}
