/**
 * Fetch a provider file into storage: only from allowed hosts (a crafted `videoUrl` cannot make us fetch
 * anything else, redirects included), with a timeout and a size cap, atomically.
 */
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import type { ChainStorage, StoredFile } from '../storage/chain-storage';

export class DownloadRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DownloadRefused';
  }
}

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
  /** Called as bytes arrive (an activity heartbeats here). */
  onProgress?: (bytes: number) => void;
}

const MAX_REDIRECTS = 3;

export function checkAllowed(url: string, allowedHosts: ReadonlySet<string>): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DownloadRefused(`not a URL: ${url.slice(0, 100)}`);
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
    const body = Readable.fromWeb(res.body as ReadableStream);
    return options.storage.write(
      options.workflowId,
      options.name,
      body,
      options.maxBytes,
      options.onProgress,
    );
  }
}
