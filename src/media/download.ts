/**
 * Fetch a provider file into storage: only from allowed hosts (a crafted `videoUrl` cannot make us fetch
 * anything else, redirects included), with a timeout and a size cap, atomically; a video only when it is
 * an MP4 (a playlist or any other container is refused before it is kept: ffmpeg would follow it).
 */
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { redactUrl } from '../chain/redact';
import type { ChainStorage, StoredFile } from './storage';

export class DownloadRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DownloadRefused';
  }
}

/**
 * The file is not an MP4 (ISO-BMFF: an `ftyp` box at byte 4). Left to guess, ffmpeg would open e.g. an
 * HLS playlist named x.mp4 and read the local files its entries name into our deliverables.
 */
export class NotAnMp4 extends DownloadRefused {
  constructor(url: URL, head: Buffer) {
    const shown = head
      .subarray(0, 10)
      .toString('latin1')
      .replace(/[^A-Za-z0-9 #._:-]/g, '.');
    super(
      `the file at ${url.origin}${url.pathname} is not an MP4 video (no ftyp box at byte 4; ` +
        `${head.length ? `it begins "${shown}"` : 'it is empty'}): refused`,
    );
    this.name = 'NotAnMp4';
  }
}

/** Whether a file that begins with `head` is an ISO-BMFF (MP4) file: its first box is `ftyp`. */
export const isMp4Head = (head: Buffer) =>
  head.length >= 12 && head.toString('latin1', 4, 8) === 'ftyp' && head.readUInt32BE(0) >= 8;

/** The file is gone at the provider (404/410): expired or never there. */
export class FileGone extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
    this.name = 'FileGone';
  }
}

export interface DownloadOptions {
  url: string;
  allowedHosts: ReadonlySet<string>;
  timeoutMs: number;
  maxBytes: number;
  storage: ChainStorage;
  workflowId: string;
  name: string;
  /** Refuse (`NotAnMp4`, nothing kept) a file that is not an MP4. */
  mp4?: boolean;
  /** Called as bytes arrive (an activity heartbeats here). */
  onProgress?: (bytes: number) => void;
}

const MAX_REDIRECTS = 3;

export function checkAllowed(url: string, allowedHosts: ReadonlySet<string>): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DownloadRefused(`not a URL: ${redactUrl(url).slice(0, 100)}`);
  }
  // fetch refuses them anyway, repeating the whole URL in its error: refuse first, naming only the host.
  if (parsed.username || parsed.password) {
    throw new DownloadRefused(`refusing a URL with credentials in it (host ${parsed.host})`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new DownloadRefused(`refusing ${parsed.protocol} URL`);
  }
  if (!allowedHosts.has(parsed.host) && !allowedHosts.has(parsed.hostname)) {
    throw new DownloadRefused(`host ${parsed.host} is not an allowed media host (MEDIA_HOSTS)`);
  }
  return parsed;
}

export async function downloadToStorage(options: DownloadOptions): Promise<StoredFile> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  let url = checkAllowed(options.url, options.allowedHosts);
  for (let hop = 0; ; hop++) {
    const res = await fetch(url, { redirect: 'manual', signal });
    if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new DownloadRefused('too many redirects');
      url = checkAllowed(new URL(res.headers.get('location')!, url).href, options.allowedHosts);
      continue;
    }
    if (res.status === 404 || res.status === 410) {
      await res.body?.cancel();
      throw new FileGone(res.status);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status} from ${url.host}`);
    }
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > options.maxBytes) {
      await res.body.cancel();
      throw new DownloadRefused(`${declared} bytes is over the ${options.maxBytes}-byte cap`);
    }
    const web = Readable.fromWeb(res.body as ReadableStream);
    const body = options.mp4 ? Readable.from(mp4Only(web, url), { objectMode: false }) : web;
    return options.storage.write(
      options.workflowId,
      options.name,
      body,
      options.maxBytes,
      options.onProgress,
    );
  }
}

/** The body, once its first bytes show an MP4; a throw here fails the write, which removes its temp file. */
async function* mp4Only(body: Readable, url: URL): AsyncGenerator<Buffer> {
  let head = Buffer.alloc(0);
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (head.length >= 12) {
      yield chunk;
      continue;
    }
    head = Buffer.concat([head, chunk]);
    if (head.length < 12) continue;
    if (!isMp4Head(head)) throw new NotAnMp4(url, head);
    yield head;
  }
  if (head.length < 12) throw new NotAnMp4(url, head);
}
