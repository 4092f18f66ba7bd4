/**
 * The continuity check of the simulator's official-API mode: an image_to_video create's `promptImage` is
 * matched to the clip whose exact last frame it is (`startedFrom` on the ledger), and nothing else is.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Sim, clip, created, finished, solidRed, startRunwayml } from './support/runwayml';

jest.setTimeout(60_000);
const run = promisify(execFile);

describe('runwayml mode: continuity check', () => {
  let t: Sim;
  let dir: string;
  let SOLID_RED = '';
  beforeAll(async () => {
    SOLID_RED = await solidRed();
    t = await startRunwayml({ rateLimit: 0 });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'runwayml-continuity-'));
  });
  afterAll(async () => {
    await t.sim.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** A frame of `video` (`at` seconds, or the exact last one) as a data URI, PNG or JPEG. */
  async function frame(video: string, at: number | 'last', format: 'png' | 'jpeg' = 'png'): Promise<string> {
    const out = path.join(dir, `${Math.random().toString(36).slice(2)}.${format === 'png' ? 'png' : 'jpg'}`);
    const seek = at === 'last' ? ['-sseof', '-0.5'] : ['-ss', String(at)];
    const select = at === 'last' ? ['-update', '1'] : ['-frames:v', '1'];
    const quality = format === 'jpeg' ? ['-q:v', '8'] : [];
    await run('ffmpeg', ['-v', 'error', '-y', ...seek, '-i', video, ...select, ...quality, out]);
    return `data:image/${format};base64,${(await fs.readFile(out)).toString('base64')}`;
  }

  const startedFrom = async (promptImage: string) => {
    const id = await created(t, clip(promptImage));
    return (await t.admin.ledger()).find((e) => e.taskId === id)!.startedFrom;
  };

  test('a last frame is matched to its clip; a middle frame, another image or a JPEG of it behave', async () => {
    const first = await created(t, clip(SOLID_RED));
    const firstVideo = ((await finished(t, first)).output as string[])[0]!;
    const lastOfFirst = await frame(firstVideo, 'last');
    const second = await created(t, clip(lastOfFirst));
    const secondVideo = ((await finished(t, second)).output as string[])[0]!;

    expect((await t.admin.ledger()).find((e) => e.taskId === second)!.startedFrom).toBe(first);
    // Like image-to-video, a clip begins with its prompt image: the seam repeats a frame.
    expect(await startedFrom(await frame(secondVideo, 0))).toBe(first);
    expect(await startedFrom(await frame(secondVideo, 'last'))).toBe(second);
    expect(await startedFrom(await frame(firstVideo, 'last', 'jpeg'))).toBe(first);
    expect(await startedFrom(await frame(firstVideo, 2.5))).toBeNull();
    expect(await startedFrom(await frame(firstVideo, 4.9))).toBeNull(); // a frame before the last
    expect(await startedFrom(SOLID_RED)).toBeNull();

    const image = await created(
      t,
      { model: 'gen4_image', promptText: 'a lighthouse', ratio: '1280:720' },
      'text_to_image',
    );
    const imageUrl = ((await finished(t, image)).output as string[])[0]!;
    expect(await startedFrom(imageUrl)).toBeNull(); // an https-style URL is fetched and checked too

    // Deleting an archived clip keeps its last frame known.
    expect((await t.call('DELETE', `/v1/tasks/${first}`)).status).toBe(204);
    expect(await startedFrom(lastOfFirst)).toBe(first);
  });
});
