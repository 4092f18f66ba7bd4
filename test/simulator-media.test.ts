/** The simulator's files are real video: ffprobe checks of size, length and decodable frames. */
import { probeVideo } from '../src/media/probe';
import { segmentColour } from '../src/simulator/media';
import { colourDistance, pixelAt } from './support/frames';
import { type TestSimulator, startTestSimulator, waitForState } from './support/simulator';

jest.setTimeout(60_000);

describe('simulated media', () => {
  let t: TestSimulator;
  beforeAll(async () => {
    t = await startTestSimulator();
  });
  afterAll(() => t.sim.close());

  test.each([
    ['720p', 5, '16:9', 1280, 720],
    ['1080p', 5, '1:1', 1080, 1080],
    ['720p', 10, '9:16', 720, 1280],
  ] as const)(
    '%s %i s %s is %ix%i with the right length and decodable first and last frames',
    async (quality, duration, aspectRatio, width, height) => {
      const taskId = await t.client.generate({ prompt: `clip ${quality}`, duration, quality, aspectRatio });
      const detail = await waitForState(t.client, taskId);
      const url = detail.videoInfo!.videoUrl!;
      const probe = await probeVideo(url, { countFrames: true });
      expect(probe).toMatchObject({ codec: 'h264', width, height, fps: 24 });
      expect(probe.durationSeconds).toBeCloseTo(duration, 1);
      expect(probe.frames).toBe(duration * 24);
      const expected = segmentColour(taskId, 1);
      expect(colourDistance(await pixelAt(url, 0, width * 0.3, height * 0.35), expected)).toBeLessThan(12);
      expect(colourDistance(await pixelAt(url, -0.1, width * 0.3, height * 0.35), expected)).toBeLessThan(12);
    },
  );

  test('an extension is a 5 s clip in the same colour family, a shade that names its segment', async () => {
    const first = await t.client.generate({
      prompt: 'start',
      duration: 10,
      quality: '720p',
      aspectRatio: '4:3',
    });
    await waitForState(t.client, first);
    const second = await t.client.extend({ taskId: first, prompt: 'go on', quality: '1080p' });
    const detail = await waitForState(t.client, second);
    const probe = await probeVideo(detail.videoInfo!.videoUrl!);
    expect([probe.width, probe.height]).toEqual([1440, 1080]); // the parent's aspect ratio, the new quality
    expect(probe.durationSeconds).toBeCloseTo(5, 1);
    const pixel = await pixelAt(detail.videoInfo!.videoUrl!, 1, 400, 400);
    expect(colourDistance(pixel, segmentColour(first, 2))).toBeLessThan(12);
    expect(colourDistance(segmentColour(first, 1), segmentColour(first, 2))).toBeGreaterThan(30);
  });
});

test('with --extension-media whole, an extension holds the whole video so far', async () => {
  const t = await startTestSimulator({ extensionMedia: 'whole' });
  try {
    const first = await t.client.generate({
      prompt: 'start',
      duration: 5,
      quality: '720p',
      aspectRatio: '16:9',
    });
    await waitForState(t.client, first);
    const second = await t.client.extend({ taskId: first, prompt: 'more', quality: '720p' });
    const url = (await waitForState(t.client, second)).videoInfo!.videoUrl!;
    expect((await probeVideo(url)).durationSeconds).toBeCloseTo(10, 1);
    expect(colourDistance(await pixelAt(url, 1, 400, 250), segmentColour(first, 1))).toBeLessThan(12);
    expect(colourDistance(await pixelAt(url, 7, 400, 250), segmentColour(first, 2))).toBeLessThan(12);
  } finally {
    await t.sim.close();
  }
});
