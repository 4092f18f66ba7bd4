/**
 * Run ffmpeg quietly; its own error text becomes the error, and a missing ffmpeg says what to install.
 * An aborted `signal` kills ffmpeg (SIGKILL: it must not finish writing) and answers only once it has
 * exited, so the caller can remove what it wrote knowing nothing writes there any more.
 */
import { spawn } from 'node:child_process';

const MAX_STDERR = 64 * 1024;

export async function ffmpeg(args: string[], signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-MAX_STDERR)));
  const kill = () => child.kill('SIGKILL');
  signal?.addEventListener('abort', kill, { once: true });
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c) => resolve(c));
    });
    signal?.throwIfAborted();
    if (code !== 0) throw new Error(`ffmpeg failed: ${(stderr || `exit code ${code}`).trim().slice(0, 800)}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error('ffmpeg is not installed (Debian/Ubuntu: apt-get install ffmpeg)');
    throw err;
  } finally {
    signal?.removeEventListener('abort', kill);
  }
}
