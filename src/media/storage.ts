/**
 * Where a chain's files live: one folder per workflow id. Files are written to a temporary name and
 * renamed into place, so a reader never sees half a file; each write answers its SHA-256 and size. The
 * interface is what an object store would implement too (ffmpeg still needs local paths: `localPath`).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StoredFile {
  /** Absolute local path. */
  path: string;
  sha256: string;
  bytes: number;
}

export interface ChainStorage {
  /** The local path of a chain's file (existing or not). */
  localPath(workflowId: string, name: string): string;
  /** Write `source` as the file `name`, atomically; refuses more than `maxBytes`. */
  write(
    workflowId: string,
    name: string,
    source: Readable,
    maxBytes: number,
    onProgress?: (bytes: number) => void,
  ): Promise<StoredFile>;
  /** The file's hash and size, if it exists. */
  stat(workflowId: string, name: string): Promise<StoredFile | undefined>;
  /** Where a browser opens the file (its HTTP URL), when the folder is served. */
  url(workflowId: string, name: string): string | undefined;
}

export class FileTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`larger than the ${maxBytes}-byte cap`);
    this.name = 'FileTooLarge';
  }
}

/**
 * A workflow id as a folder name: one folder per id (two ids never share a folder, so no chain writes
 * over another's deliverables), readable, and never a path outside the output folder. Every character
 * outside [A-Za-z0-9._-] is percent-encoded (its UTF-8 bytes as %XX; a lone surrogate, which has none,
 * as %uXXXX), and so is a leading dot (no `.`, `..` or hidden folder): a plain id such as `dv-4` is its
 * own folder name, `a/b` is `a%2Fb` and `a_b` stays `a_b`. An encoding longer than 200 characters is cut
 * to a readable prefix plus `~` and a hash of the whole encoding (`~` is always encoded otherwise, so a hashed
 * name never equals an unhashed one). Everything that finds a chain's files goes through here.
 */
export function folderName(workflowId: string): string {
  const pieces = [...workflowId].map((ch, i) => {
    if (/^[A-Za-z0-9_-]$/.test(ch) || (ch === '.' && i > 0)) return ch;
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) return `%u${cp.toString(16).toUpperCase()}`;
    return [...Buffer.from(ch, 'utf8')]
      .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
      .join('');
  });
  const whole = pieces.join('');
  if (whole.length <= 200) return whole || '%'; // '' (never a Temporal id) still gets a folder of its own
  let prefix = '';
  for (const piece of pieces) {
    if (prefix.length + piece.length > 160) break;
    prefix += piece;
  }
  return `${prefix}~${createHash('sha256').update(whole).digest('hex').slice(0, 32)}`;
}

/**
 * A chain's file under the base URL that serves the output folder: `<base>/<folder>/<name>`, each part
 * percent-encoded (a folder name may hold `%`, spelled `%25` in a URL).
 */
export function chainFileUrl(baseUrl: string, workflowId: string, name: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return `${base}/${encodeURIComponent(folderName(workflowId))}/${encodeURIComponent(name)}`;
}

export class LocalFolderStorage implements ChainStorage {
  /** `publicUrl`: the base URL the folder is served at (`long-video worker`'s file server, or a proxy). */
  constructor(
    readonly root: string,
    readonly publicUrl?: string,
  ) {}

  url(workflowId: string, name: string): string | undefined {
    return this.publicUrl ? chainFileUrl(this.publicUrl, workflowId, name) : undefined;
  }

  localPath(workflowId: string, name: string): string {
    if (name.includes('/') || name.includes('\\') || name.startsWith('.'))
      throw new Error(`bad file name ${name}`);
    return path.join(path.resolve(this.root), folderName(workflowId), name);
  }

  async write(
    workflowId: string,
    name: string,
    source: Readable,
    maxBytes: number,
    onProgress?: (bytes: number) => void,
  ): Promise<StoredFile> {
    const final = this.localPath(workflowId, name);
    await fs.mkdir(path.dirname(final), { recursive: true });
    const partial = `${final}.partial-${process.pid}-${Date.now()}`;
    const hash = createHash('sha256');
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > maxBytes) return done(new FileTooLarge(maxBytes));
        hash.update(chunk);
        onProgress?.(bytes);
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, createWriteStream(partial));
      await fs.rename(partial, final);
    } catch (err) {
      await fs.rm(partial, { force: true });
      throw err;
    }
    return { path: final, sha256: hash.digest('hex'), bytes };
  }

  async stat(workflowId: string, name: string): Promise<StoredFile | undefined> {
    const file = this.localPath(workflowId, name);
    try {
      const { size } = await fs.stat(file);
      const hash = createHash('sha256');
      await pipeline(createReadStream(file), hash);
      return { path: file, sha256: hash.digest('hex'), bytes: size };
    } catch {
      return undefined;
    }
  }
}
