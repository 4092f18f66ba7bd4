import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The RGB colour of one pixel of the frame at `seconds` (`-sseof` when negative). */
export async function pixelAt(
  input: string,
  seconds: number,
  x: number,
  y: number,
): Promise<{ r: number; g: number; b: number }> {
  const seek = seconds < 0 ? ['-sseof', String(seconds)] : ['-ss', String(seconds)];
  const { stdout } = await run(
    'ffmpeg',
    [
      '-v',
      'error',
      ...seek,
      '-i',
      input,
      '-frames:v',
      '1',
      '-vf',
      `crop=2:2:${even(x)}:${even(y)}`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    { encoding: 'buffer' },
  );
  const buf = stdout as unknown as Buffer;
  if (buf.length < 3) throw new Error(`no frame at ${seconds}s of ${input}`);
  return { r: buf[0]!, g: buf[1]!, b: buf[2]! };
}

// 4:2:0 video cannot be cropped to one pixel: take a 2x2 block at even coordinates.
const even = (v: number) => Math.floor(v / 2) * 2;

export function colourDistance(
  a: { r: number; g: number; b: number },
  b: { r: number; g: number; b: number },
): number {
  return Math.max(Math.abs(a.r - b.r), Math.abs(a.g - b.g), Math.abs(a.b - b.b));
}
