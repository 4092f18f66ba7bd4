/**
 * The output folder's file server over real HTTP: whole files and byte ranges with the right types,
 * HEAD, 416, and nothing outside the folder however the path is spelled (raw requests: a URL parser
 * would normalise `..` away before it reached the server).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { type RunningFileServer, parseRange, startFileServer } from '../src/http/file-server';
import { chainFileUrl } from '../src/media/storage';
import { loadConfig } from '../src/config/config';
import { startFileServerFor } from '../src/worker';

let dir: string;
let server: RunningFileServer;
/** 1,000 bytes whose every byte tells its offset (mod 251), so a range's bytes can be checked. */
const VIDEO = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
const SECRET = 'the secret beside the folder';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request with the path sent exactly as written. */
function raw(target: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path: target, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'file-server-'));
  const root = path.join(dir, 'output');
  const chain = path.join(root, 'dv-4');
  mkdirSync(chain, { recursive: true });
  writeFileSync(path.join(dir, 'secret.txt'), SECRET);
  writeFileSync(path.join(chain, 'final.mp4'), VIDEO);
  writeFileSync(path.join(chain, 'segment-001-abc.png'), 'png');
  writeFileSync(path.join(chain, 'thumb.jpg'), 'jpg');
  writeFileSync(path.join(chain, 'manifest.json'), '{"ok":true}');
  writeFileSync(path.join(chain, 'index.html'), '<!doctype html><p>report</p>');
  writeFileSync(path.join(chain, '.hidden'), 'hidden');
  writeFileSync(path.join(chain, 'empty.mp4'), '');
  symlinkSync(path.join(dir, 'secret.txt'), path.join(chain, 'escape.mp4'));
  symlinkSync(dir, path.join(root, 'up'));
  symlinkSync(path.join(chain, 'manifest.json'), path.join(chain, 'inside.json'));
  // A chain whose id needed encoding: its folder's name holds `%`.
  mkdirSync(path.join(root, 'a%2Fb'));
  writeFileSync(path.join(root, 'a%2Fb', 'final.mp4'), 'odd folder');
  server = await startFileServer({ root, host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('whole files with their content types, and HEAD without a body', async () => {
  const types: Record<string, string> = {
    'final.mp4': 'video/mp4',
    'segment-001-abc.png': 'image/png',
    'thumb.jpg': 'image/jpeg',
    'manifest.json': 'application/json; charset=utf-8',
    'index.html': 'text/html; charset=utf-8',
  };
  for (const [name, type] of Object.entries(types)) {
    const got = await raw(`/dv-4/${name}`);
    expect([name, got.status, got.headers['content-type']]).toEqual([name, 200, type]);
    expect(got.headers['accept-ranges']).toBe('bytes');
  }
  const video = await raw('/dv-4/final.mp4');
  expect(video.body.equals(VIDEO)).toBe(true);
  expect(video.headers['content-length']).toBe('1000');

  const head = await raw('/dv-4/final.mp4', {}, 'HEAD');
  expect(head).toMatchObject({ status: 200, body: Buffer.alloc(0) });
  expect(head.headers).toMatchObject({ 'content-length': '1000', 'content-type': 'video/mp4' });
  const headRange = await raw('/dv-4/final.mp4', { range: 'bytes=10-19' }, 'HEAD');
  expect(headRange.status).toBe(206);
  expect(headRange.headers).toMatchObject({ 'content-length': '10', 'content-range': 'bytes 10-19/1000' });
  expect(headRange.body).toHaveLength(0);

  expect((await raw('/dv-4/empty.mp4')).status).toBe(200);
  expect((await raw('/dv-4/final.mp4', {}, 'POST')).status).toBe(405);
  // The report's HTML may run no script, whatever it holds.
  expect((await raw('/dv-4/index.html')).headers['content-security-policy']).toContain("script-src 'none'");
});

test.each([
  ['bytes=0-99', 0, 99],
  ['bytes=500-', 500, 999],
  ['bytes=-100', 900, 999],
  ['bytes=990-5000', 990, 999],
  ['bytes=-5000', 0, 999],
  ['bytes=999-999', 999, 999],
])('range %s answers 206 with exactly those bytes', async (range, start, end) => {
  const got = await raw('/dv-4/final.mp4', { range });
  expect(got.status).toBe(206);
  expect(got.headers['content-range']).toBe(`bytes ${start}-${end}/1000`);
  expect(got.headers['content-length']).toBe(String(end - start + 1));
  expect(got.body.equals(VIDEO.subarray(start, end + 1))).toBe(true);
});

test.each(['bytes=1000-', 'bytes=5000-6000', 'bytes=-0'])(
  'an unsatisfiable range (%s) is a 416 naming the size',
  async (range) => {
    const got = await raw('/dv-4/final.mp4', { range });
    expect(got.status).toBe(416);
    expect(got.headers['content-range']).toBe('bytes */1000');
  },
);

test('a malformed or multiple range, or a stale If-Range, gets the whole file', async () => {
  for (const range of ['bytes=5-2', 'items=0-5', 'bytes=0-1,5-6', 'bytes=abc', 'bytes=-']) {
    const got = await raw('/dv-4/final.mp4', { range });
    expect([range, got.status, got.body.length]).toEqual([range, 200, 1000]);
  }
  const { headers } = await raw('/dv-4/final.mp4', {}, 'HEAD');
  const current = await raw('/dv-4/final.mp4', { range: 'bytes=0-9', 'if-range': String(headers.etag) });
  expect(current.status).toBe(206);
  const stale = await raw('/dv-4/final.mp4', { range: 'bytes=0-9', 'if-range': '"old"' });
  expect([stale.status, stale.body.length]).toEqual([200, 1000]);
  expect(parseRange('bytes=0-9', 0)).toBe('unsatisfiable');
});

test.each([
  '/../secret.txt',
  '/dv-4/../../secret.txt',
  '/%2e%2e/secret.txt',
  '/dv-4/%2E%2E/%2e%2e/secret.txt',
  '/..%2fsecret.txt',
  '/dv-4%2f..%2f..%2fsecret.txt',
  '/.%2e/secret.txt',
  '//etc/passwd',
  '/%2Fetc%2Fpasswd',
  `/${encodeURIComponent(path.join(os.tmpdir(), 'x'))}`,
  'http://127.0.0.1/etc/passwd',
  '/dv-4/escape.mp4',
  '/up/secret.txt',
  '/dv-4/.hidden',
  '/dv-4/final.mp4%00.png',
  '/dv-4/%zz',
  '/dv-4/missing.mp4',
  '/',
])('%s is a 404 and shows nothing outside the folder', async (target) => {
  const got = await raw(target);
  expect(got.status).toBe(404);
  expect(got.body.toString()).not.toContain(SECRET);
  expect(got.body.toString()).not.toContain('root:');
});

test('a folder opens its report; a symlink inside the folder is served; encoded folder names resolve', async () => {
  const bare = await raw('/dv-4');
  expect(bare.status).toBe(301);
  expect(bare.headers.location).toBe('/dv-4/');
  const folder = await raw('/dv-4/');
  expect(folder.status).toBe(200);
  expect(folder.body.toString()).toContain('report');
  expect((await raw('/dv-4/inside.json')).body.toString()).toBe('{"ok":true}');

  // The link the worker makes for the chain `a/b` (folder `a%2Fb`) opens that folder's file.
  const url = new URL(chainFileUrl(server.url, 'a/b', 'final.mp4'));
  expect(url.pathname).toBe('/a%252Fb/final.mp4');
  expect((await raw(url.pathname)).body.toString()).toBe('odd folder');
  expect(chainFileUrl(`${server.url}/`, 'dv-4', 'final.mp4')).toBe(`${server.url}/dv-4/final.mp4`);
});

test("the worker's file server: links on OUTPUT_PUBLIC_URL or its own URL; a port in use says what to change", async () => {
  const config = loadConfig({ OUTPUT_DIR: path.join(dir, 'made-on-start'), OUTPUT_HOST: '0.0.0.0' });
  const own = await startFileServerFor(config, 0);
  try {
    // Listening on every interface, its links name this host's loopback, never 0.0.0.0.
    expect(own.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(own.linkBase).toBe(own.url);
    const port = Number(new URL(own.url).port);
    await expect(startFileServerFor({ ...config, OUTPUT_PORT: port })).rejects.toThrow(
      `OUTPUT_PORT ${port} on 0.0.0.0 is in use: set OUTPUT_PORT (0 for any free port), or run with --no-files`,
    );
  } finally {
    await own.close();
  }
  const proxied = await startFileServerFor(
    { ...config, OUTPUT_PUBLIC_URL: 'https://files.example.com/v' },
    0,
  );
  expect(proxied.linkBase).toBe('https://files.example.com/v');
  await proxied.close();
});
