/**
 * Prompt files for `long-video start --prompts FILE`: one prompt per line (blank lines and `#` comments
 * skipped), or a JSON/YAML storyboard: a list of prompts (strings or `{ prompt }`), or an object with
 * `prompts` and any chain parameter (`duration`, `quality`, `aspectRatio`, `imageUrl`, `waterMark`), and
 * `review: true` (as `start --review`).
 */
import { type Stats, constants as fsConstants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { Prompt, describeZodError } from '../chain/requests';
import { UsageError } from './usage';

const PromptItem = z.union([z.string(), z.object({ prompt: z.string() }).transform((o) => o.prompt)]);
const Storyboard = z.union([
  z.array(PromptItem).transform((prompts) => ({ prompts })),
  z
    .object({
      prompts: z.array(PromptItem),
      duration: z.unknown().optional(),
      quality: z.unknown().optional(),
      aspectRatio: z.unknown().optional(),
      imageUrl: z.unknown().optional(),
      waterMark: z.unknown().optional(),
      /** Pause after each segment for an operator's approval (as `start --review`). */
      review: z.unknown().optional(),
    })
    .strict(),
]);
export type Storyboard = { prompts: string[] } & Record<string, unknown>;

const MAX_FILE_BYTES = 2 * 1024 * 1024;
const READ_TIMEOUT_MS = 30_000;

export interface ReadPromptsOptions {
  /** Standard input, for `-` (and /dev/stdin). */
  stdin?: NodeJS.ReadableStream & { destroy?: () => void };
  /** The time limit for reading the whole file. */
  timeoutMs?: number;
}

/**
 * A prompts file's bytes, read with limits: at most 2 MiB + 1 byte (a larger file is refused), within
 * `timeoutMs`. Only a regular file, or standard input as `-`: a device such as /dev/zero would never
 * end and a FIFO with no writer would never answer, so they are refused before anything is read (the
 * file is opened non-blocking, which does not wait for a FIFO's writer).
 */
export async function readPromptsText(file: string, options: ReadPromptsOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? READ_TIMEOUT_MS;
  if (file === '-' || file === '/dev/stdin') return readStream(options.stdin ?? process.stdin, timeoutMs);
  let handle: FileHandle;
  try {
    handle = await open(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw new UsageError(
      `cannot read prompts file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new UsageError(
        `${file} is not a regular file (${kindOf(stat)}): give a prompts file, or - to read standard input`,
      );
    }
    if (stat.size > MAX_FILE_BYTES) throw new UsageError(`${file} is larger than 2 MiB`);
    const buf = Buffer.alloc(MAX_FILE_BYTES + 1);
    let length = 0;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { bytesRead } = await handle.read(buf, length, buf.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_FILE_BYTES) throw new UsageError(`${file} is larger than 2 MiB`); // it grew
      if (Date.now() > deadline) throw new UsageError(`reading ${file} took over ${timeoutMs} ms`);
    }
    return buf.toString('utf8', 0, length);
  } finally {
    await handle.close();
  }
}

const kindOf = (stat: Stats) =>
  stat.isFIFO()
    ? 'a FIFO'
    : stat.isCharacterDevice() || stat.isBlockDevice()
      ? 'a device'
      : stat.isDirectory()
        ? 'a directory'
        : stat.isSocket()
          ? 'a socket'
          : 'not a file';

/** Standard input up to its end, at most 2 MiB + 1 byte, within `timeoutMs`. */
function readStream(stream: NodeJS.ReadableStream & { destroy?: () => void }, timeoutMs: number) {
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const done = (err?: Error) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', done);
      if (err) {
        stream.pause();
        stream.destroy?.(); // nothing more is read
        reject(err);
      } else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onData = (chunk: Buffer | string) => {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      chunks.push(b);
      length += b.length;
      if (length > MAX_FILE_BYTES)
        done(new UsageError('the prompts on standard input are larger than 2 MiB'));
    };
    const onEnd = () => done();
    const timer = setTimeout(
      () => done(new UsageError(`no end of input on standard input after ${timeoutMs} ms (prompts from -)`)),
      timeoutMs,
    );
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', done);
  });
}

export async function readStoryboard(file: string, options: ReadPromptsOptions = {}): Promise<Storyboard> {
  let text = await readPromptsText(file, options);
  if (text.includes('\u0000')) throw new UsageError(`${file} is not a text file`);
  // Editors on Windows save UTF-8 with a byte-order mark, which JSON.parse refuses.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json' || ext === '.yaml' || ext === '.yml') return parseStructured(file, text, ext);
  const prompts: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    // Checked here, where the line number is known, rather than as `prompts.K` of the chain's input.
    const checked = Prompt.safeParse(line);
    if (!checked.success) throw new UsageError(`${file} line ${i + 1}: ${describeZodError(checked.error)}`);
    prompts.push(line);
  });
  if (prompts.length === 0)
    throw new UsageError(`${file} holds no prompts (one per line; # starts a comment)`);
  return { prompts };
}

function parseStructured(file: string, text: string, ext: string): Storyboard {
  let data: unknown;
  try {
    data = ext === '.json' ? JSON.parse(text) : YAML.parse(text, { maxAliasCount: 10 });
  } catch (err) {
    throw new UsageError(
      `${file} is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  const parsed = Storyboard.safeParse(data);
  if (!parsed.success) {
    throw new UsageError(
      `${file}: expected a list of prompts or { prompts: [...] }: ${describeZodError(parsed.error)}`,
    );
  }
  const board = parsed.data as Storyboard;
  return Object.fromEntries(Object.entries(board).filter(([, v]) => v !== undefined)) as Storyboard;
}
