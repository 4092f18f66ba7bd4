/**
 * Prompt files for `long-video start --prompts FILE`: one prompt per line (blank lines and `#` comments
 * skipped), or a JSON/YAML storyboard: a list of prompts (strings or `{ prompt }`), or an object with
 * `prompts` and any chain parameter (`duration`, `quality`, `aspectRatio`, `imageUrl`, `waterMark`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { Prompt, describeZodError } from '../runway/schemas';
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
    })
    .strict(),
]);
export type Storyboard = { prompts: string[] } & Record<string, unknown>;

const MAX_FILE_BYTES = 2 * 1024 * 1024;

export function readStoryboard(file: string): Storyboard {
  let text: string;
  try {
    const buf = readFileSync(file);
    if (buf.length > MAX_FILE_BYTES) throw new UsageError(`${file} is larger than 2 MiB`);
    text = buf.toString('utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(
      `cannot read prompts file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
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
