/** What ffprobe says about a video: the facts the simulator's tests and the stitcher rely on. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { z } from 'zod';

const run = promisify(execFile);

const FfprobeOutput = z.object({
  streams: z
    .array(
      z.object({
        codec_name: z.string(),
        width: z.number().int(),
        height: z.number().int(),
        r_frame_rate: z.string(),
        pix_fmt: z.string().optional(),
        nb_read_frames: z.string().optional(),
      }),
    )
    .min(1, 'no video stream'),
  format: z.object({ duration: z.string() }),
});

export interface VideoProbe {
  codec: string;
  width: number;
  height: number;
  fps: number;
  pixelFormat?: string;
  durationSeconds: number;
  /** Only when asked for (it decodes the whole file). */
  frames?: number;
}

/**
 * Probe an MP4 file or URL; `countFrames` decodes everything, which also proves the file is whole. The
 * demuxer is forced (`-f mp4`): left to guess from the content, ffprobe would open a playlist named .mp4
 * and read the files it names. (The MP4 demuxer follows no external references: its drefs are off.)
 */
export async function probeVideo(
  input: string,
  options: { countFrames?: boolean; signal?: AbortSignal } = {},
): Promise<VideoProbe> {
  const args = ['-v', 'error', '-f', 'mp4', '-select_streams', 'v:0'];
  if (options.countFrames) args.push('-count_frames');
  args.push(
    '-show_entries',
    'stream=codec_name,width,height,r_frame_rate,pix_fmt,nb_read_frames:format=duration',
  );
  args.push('-of', 'json', input);
  let stdout: string;
  try {
    ({ stdout } = await run('ffprobe', args, { maxBuffer: 1024 * 1024, signal: options.signal }));
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('ffprobe is not installed (apt-get install ffmpeg)');
    throw new Error(`ffprobe cannot read ${input}: ${(e.stderr ?? e.message).trim().slice(0, 300)}`);
  }
  const parsed = FfprobeOutput.parse(JSON.parse(stdout));
  const stream = parsed.streams[0]!;
  const [num, den] = stream.r_frame_rate.split('/').map(Number) as [number, number];
  return {
    codec: stream.codec_name,
    width: stream.width,
    height: stream.height,
    fps: den ? num / den : num,
    pixelFormat: stream.pix_fmt,
    durationSeconds: Number(parsed.format.duration),
    frames: stream.nb_read_frames === undefined ? undefined : Number(stream.nb_read_frames),
  };
}
