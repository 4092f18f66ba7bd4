/**
 * `--prompts FILE` reads at most 2 MiB + 1 byte, within a time limit: a device (/dev/zero) or a FIFO is
 * refused at once (exit 2) instead of filling memory or hanging; `-` reads standard input, bounded too.
 * The CLI runs as its own process (compiled, in lib/), its memory capped so that a regression fails
 * instead of eating the machine.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { CLI_BIN } from '../tools/lab/worker-process';
import { readPromptsText } from '../src/cli/storyboard';

jest.setTimeout(60_000);

const dir = mkdtempSync(path.join(os.tmpdir(), 'long-video-prompts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `long-video start --dry-run --prompts FILE`, killed after 20 s, with 2 GB of address space at most. */
function dryRun(file: string, stdin?: string): Promise<{ code: number | string; out: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(
      'sh',
      ['-c', 'ulimit -v 3000000; exec "$@"', 'sh', process.execPath, CLI_BIN, 'start', '--dry-run'].concat([
        '--aspect-ratio',
        '16:9',
        '--prompts',
        file,
      ]),
      { cwd: dir, env: { PATH: process.env.PATH ?? '' }, timeout: 20_000, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const code = err ? (err.killed ? 'killed' : (err.code as number)) : 0;
        resolve({ code, out: `${stdout}${stderr}`, ms: Date.now() - started });
      },
    );
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

test('a device is refused at once, not read', async () => {
  const r = await dryRun('/dev/zero');
  expect(r.code).toBe(2);
  expect(r.out).toMatch(/\/dev\/zero is not a regular file/);
  expect(r.ms).toBeLessThan(15_000);
});

test('a FIFO is refused at once, not waited on', async () => {
  const fifo = path.join(dir, 'prompts.fifo');
  execFileSync('mkfifo', [fifo]);
  const r = await dryRun(fifo);
  expect(r.code).toBe(2);
  expect(r.out).toMatch(/is not a regular file \(a FIFO\)/);
});

test('a file over 2 MiB is refused; one under it is read', async () => {
  const big = path.join(dir, 'big.txt');
  writeFileSync(big, 'a prompt\n'.repeat(240_000));
  expect(await dryRun(big)).toMatchObject({ code: 2, out: expect.stringMatching(/larger than 2 MiB/) });
  const ok = path.join(dir, 'ok.txt');
  writeFileSync(ok, 'one\ntwo\n');
  expect(await dryRun(ok)).toMatchObject({ code: 0, out: expect.stringMatching(/^2 segments/m) });
});

test('- reads the prompts from standard input', async () => {
  expect(await dryRun('-', 'one\ntwo\nthree\n')).toMatchObject({
    code: 0,
    out: expect.stringMatching(/^3 segments/m),
  });
});

describe('standard input, bounded', () => {
  test('endless input stops being read past 2 MiB', async () => {
    const stdin = new PassThrough();
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const pump = setInterval(() => {
      for (let i = 0; i < 8 && !stdin.destroyed; i++) {
        stdin.write(chunk);
        written += chunk.length;
      }
    }, 1);
    try {
      await expect(readPromptsText('-', { stdin, timeoutMs: 20_000 })).rejects.toThrow(/larger than 2 MiB/);
    } finally {
      clearInterval(pump);
    }
    expect(written).toBeLessThan(8 * 1024 * 1024);
  });

  test('input that never ends is given up after the time limit', async () => {
    const stdin = new PassThrough();
    stdin.write('a prompt\n');
    await expect(readPromptsText('-', { stdin, timeoutMs: 300 })).rejects.toThrow(/no end of input/);
  });
});
