/**
 * After a redo, the discarded segments' files go: archiving a segment again (a new task for the same
 * index) removes the old task's video, thumbnail and hashes and rebuilds preview.mp4 from the chain as it
 * now is; the stitch removes the files of segments no longer in the chain (a redo that ended shorter).
 * Only our own segment files are touched.
 */
import { mkdtempSync, promises as fs, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { segmentFileName } from '../src/activities/deliverable';
import { closeServer, listen } from '../src/http/json-server';
import { probeVideo } from '../src/media/probe';
import { renderClip } from '../src/simulator/media';
import { deliverablesIn, quietActivityEnv } from './support/deliverables';

jest.setTimeout(120_000);

let dir: string;
let server: http.Server;
let base: string;
const bodies: Record<string, Buffer> = {};

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'long-video-redo-'));
  for (const [name, seconds] of [
    ['one', 2],
    ['two', 2],
    ['three', 2],
    ['twoB', 3],
  ] as const) {
    const spec = {
      width: 320,
      height: 180,
      seconds,
      segment: 1,
      chainKey: 'c',
      timelineStart: 0,
      prompt: name,
    };
    const { video, thumbnail } = await renderClip(spec, dir, name);
    bodies[`/${name}.mp4`] = await fs.readFile(video);
    bodies[`/${name}.png`] = await fs.readFile(thumbnail);
  }
  server = http.createServer((req, res) => {
    const body = bodies[req.url ?? ''];
    res.writeHead(body ? 200 : 404).end(body);
  });
  base = await listen(server, '127.0.0.1', 0);
});
afterAll(async () => {
  await closeServer(server);
  await fs.rm(dir, { recursive: true, force: true });
});

test('a redo: the discarded segments files go, the preview is the chain as it now is', async () => {
  const root = path.join(dir, 'out');
  const activities = deliverablesIn(root, new URL(base).host);
  const env = quietActivityEnv();
  const archive = async (index: number, taskId: string, clip: string, previewFiles: string[]) =>
    (await env.run(activities.archiveSegment, {
      workflowId: 'wf',
      index,
      taskId,
      videoUrl: `${base}/${clip}.mp4`,
      imageUrl: `${base}/${clip}.png`,
      previewFiles,
    })) as Awaited<ReturnType<typeof activities.archiveSegment>>;
  const folder = path.join(root, 'wf');
  const mine = (f: string) => f.startsWith('segment-');

  const one = await archive(1, 'task-1', 'one', []);
  const two = await archive(2, 'task-2', 'two', [one.archive.video]);
  const three = await archive(3, 'task-3', 'three', [one.archive.video, two.archive.video]);
  expect((await probeVideo(three.preview!)).durationSeconds).toBeCloseTo(6, 0);
  writeFileSync(path.join(folder, 'notes.txt'), 'the operator keeps this');

  // redo --from 2: segment 2 comes back from a new task; segments 3.. are discarded.
  const twoB = await archive(2, 'task-2b', 'twoB', [one.archive.video]);
  const left = readdirSync(folder).filter(mine).sort();
  expect(left).toEqual(
    [
      segmentFileName(1, 'task-1', 'mp4'),
      segmentFileName(1, 'task-1', 'png'),
      segmentFileName(2, 'task-2b', 'mp4'),
      segmentFileName(2, 'task-2b', 'png'),
      segmentFileName(3, 'task-3', 'mp4'), // still a chain segment until the chain says otherwise
      segmentFileName(3, 'task-3', 'png'),
    ]
      .flatMap((f) => [f, `${f}.sha256`])
      .filter((f) => !f.endsWith('.png.sha256') || left.includes(f))
      .sort(),
  );
  // The preview is segments 1 and 2b: 2 + 3 seconds, not the 6 seconds of 1, 2, 3.
  expect((await probeVideo(twoB.preview!)).durationSeconds).toBeCloseTo(5, 0);

  // The chain ends with two segments: the stitch removes segment 3's files, and nothing else.
  await env.run(activities.stitchChain, {
    workflowId: 'wf',
    files: [one.archive.video, twoB.archive.video],
    trimBoundaryFrame: false,
    crossfadeSeconds: 0,
  });
  const after = readdirSync(folder);
  expect(after.filter((f) => f.startsWith(segmentFileName(3, 'task-3', 'mp4').slice(0, 12)))).toEqual([]);
  expect(after).toContain('notes.txt');
  expect(after).toContain('final.mp4');
  expect(after).toContain(segmentFileName(1, 'task-1', 'png'));
  expect(after).toContain(segmentFileName(2, 'task-2b', 'mp4'));
});
