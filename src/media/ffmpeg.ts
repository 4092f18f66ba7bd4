/** Run ffmpeg quietly; its own error text becomes the error, and a missing ffmpeg says what to install. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function ffmpeg(args: string[], signal?: AbortSignal): Promise<void> {
  try {
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], {
      maxBuffer: 8 * 1024 * 1024,
      signal,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error('ffmpeg is not installed (Debian/Ubuntu: apt-get install ffmpeg)');
    throw new Error(`ffmpeg failed: ${(e.stderr ?? e.message).trim().slice(0, 800)}`);
  }
}
