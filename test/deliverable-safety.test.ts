/**
 * The deliverable activities under hostile or interrupted conditions: a provider URL with credentials
 * never puts them in an error (which becomes a pause reason) or in the dev stack's log; a stitch
 * cancelled midway stops ffmpeg and leaves neither final.mp4 nor a temporary file.
 */
import { existsSync, mkdtempSync, promises as fs, readdirSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { printStack } from '../src/cli/dev';
import type { LocalStack } from '../src/cli/local-stack';
import { closeServer, listen } from '../src/http/json-server';
import { renderClip } from '../src/simulator/media';
import { deliverablesIn, quietActivityEnv } from './support/deliverables';

jest.setTimeout(120_000);

let dir: string;
let server: http.Server;
let host: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'long-video-safety-'));
  server = http.createServer((_req, res) => res.writeHead(500).end());
  host = new URL(await listen(server, '127.0.0.1', 0)).host;
});
afterAll(async () => {
  await closeServer(server);
  await fs.rm(dir, { recursive: true, force: true });
});

const activitiesIn = (root: string) => deliverablesIn(root, host);
const quietEnv = quietActivityEnv;

describe('credentials in a provider URL', () => {
  test.each([
    ['a URL with user and password', () => `http://user:s3cret@${host}/v.mp4`],
    ['an unparsable URL with a password', () => `http://user:s3cret@[${host}/v.mp4`],
  ])('%s: the archive error does not repeat them', async (_what, url) => {
    const activities = activitiesIn(path.join(dir, 'archive'));
    const input = { workflowId: 'wf', index: 2, taskId: 't', videoUrl: url(), previewFiles: [] };
    const error = (await quietEnv()
      .run(activities.archiveSegment, input)
      .then(
        () => new Error('archived'),
        (e: Error) => e,
      )) as Error;
    expect(error.message).toMatch(/segment 2/);
    expect(error.message).not.toContain('s3cret');
  });

  test('the dev stack prints a real provider URL without them', () => {
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    const saved = process.env.RUNWAY_BASE_URL;
    process.env.RUNWAY_BASE_URL = 'https://key:s3cret@api.example.test/base';
    try {
      const stack = {
        server: { address: '127.0.0.1:1', namespace: 'default' },
        files: { url: 'http://127.0.0.1:2' },
        env: {},
      };
      printStack(stack as unknown as LocalStack);
    } finally {
      log.mockRestore();
      if (saved === undefined) delete process.env.RUNWAY_BASE_URL;
      else process.env.RUNWAY_BASE_URL = saved;
    }
    const text = lines.join('\n');
    expect(text).toContain('api.example.test/base');
    expect(text).not.toContain('s3cret');
  });
});

test('a stitch cancelled midway stops ffmpeg and leaves nothing half-made', async () => {
  const clips: string[] = [];
  for (let i = 1; i <= 4; i++) {
    const spec = {
      width: 640,
      height: 360,
      seconds: 8,
      segment: i,
      chainKey: 'c',
      timelineStart: 0,
      prompt: 'p',
    };
    clips.push((await renderClip(spec, dir, `clip${i}`)).video);
  }
  const root = path.join(dir, 'out');
  const activities = activitiesIn(root);
  const env = quietEnv();
  const chainDir = path.join(root, 'wf');
  const stitching = env.run(activities.stitchChain, {
    workflowId: 'wf',
    files: clips,
    trimBoundaryFrame: false,
    crossfadeSeconds: 0.5, // re-encoded: seconds of work
  }) as Promise<unknown>;
  const outcome = stitching.then(
    () => 'finished',
    (e: Error) => e,
  );
  // Cancel once ffmpeg is writing (its temporary file exists), bounded.
  const deadline = Date.now() + 60_000;
  while (!(existsSync(chainDir) && readdirSync(chainDir).some((f) => f.includes('partial')))) {
    if (Date.now() > deadline) throw new Error('the stitch never started writing');
    if (typeof (await Promise.race([outcome, null])) !== 'object') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  env.cancel();
  const result = await outcome;
  expect(result).not.toBe('finished');
  expect((result as Error).name).toBe('CancelledFailure');
  // No final.mp4 and no temporary file, now or once anything still running would have finished.
  const left = () => (existsSync(chainDir) ? readdirSync(chainDir) : []);
  expect(left()).toEqual([]);
  await new Promise((r) => setTimeout(r, 1_500));
  expect(left()).toEqual([]);
});
