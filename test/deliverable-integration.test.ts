/**
 * The deliverable on the real stack: a chain's segments archived and stitched into one video whose joints
 * come from the right segments, a manifest that matches the files, a report that escapes what it shows,
 * and a budget whose estimate is what the ledger charges.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { probeVideo } from '../src/media/probe';
import { segmentColour } from '../src/simulator/media';
import { colourDistance, pixelAt } from './support/frames';
import { eventually } from './support/simulator';
import { useStackWithWorker } from './support/stack';

jest.setTimeout(180_000);

const useStack = useStackWithWorker();

const PROMPTS = ['<b>dawn</b> & "mist"', 'a heron lands', 'it spears a fish', 'it flies off'];
const args = (id: string) => [
  '--aspect-ratio',
  '16:9',
  '--id',
  id,
  ...PROMPTS.flatMap((p) => ['--prompt', p]),
];
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const charged = async () => (await useStack().sim.admin.ledger()).reduce((sum, e) => sum + e.cost, 0);

test('a 4-segment chain becomes one verified video, a manifest and a report', async () => {
  const dry = await useStack().cli(['start', ...args('dv-dry'), '--dry-run', '--json']);
  const estimate = JSON.parse(dry.stdout).estimatedCredits;
  expect(await useStack().sim.admin.ledger()).toHaveLength(0); // a dry run pays nothing

  const run = await useStack().cli(['start', ...args('dv-4'), '--wait', '--json']);
  expect(run.code).toBe(0);
  const result = JSON.parse(run.stdout);
  expect(await charged()).toBe(estimate);
  expect(result.creditsSpent).toBe(estimate);

  const { video, manifest, report } = result.outputs;
  const probe = await probeVideo(video, { countFrames: true });
  expect([probe.width, probe.height]).toEqual([1280, 720]);
  expect(Math.abs(probe.durationSeconds - 20)).toBeLessThanOrEqual(3 / 24); // within one frame per joint
  const chainKey = result.segments[0].taskId;
  for (let joint = 1; joint < 4; joint++) {
    const before = await pixelAt(video, joint * 5 - 0.1, 400, 250);
    const after = await pixelAt(video, joint * 5 + 0.1, 400, 250);
    expect(colourDistance(before, segmentColour(chainKey, joint))).toBeLessThan(12);
    expect(colourDistance(after, segmentColour(chainKey, joint + 1))).toBeLessThan(12);
  }

  const m = JSON.parse(readFileSync(manifest, 'utf8'));
  expect(m.final).toMatchObject({ file: 'final.mp4', method: 'copy', layout: 'new-part', width: 1280 });
  expect(m.segments.map((s: { prompt: string }) => s.prompt)).toEqual(PROMPTS);
  expect(m.creditsSpent).toBe(estimate);
  for (const s of m.segments) {
    expect(sha256(`${useStack().outputDir}/dv-4/${s.file}`)).toBe(s.sha256);
    expect(s).toMatchObject({ state: 'succeeded', attempts: 1, durationSeconds: 5 });
  }
  const html = readFileSync(report, 'utf8');
  expect(html).toContain('<video id="final" src="final.mp4"');
  expect(html.match(/<figure /g)).toHaveLength(4);
  expect(html).toContain('&lt;b&gt;dawn&lt;/b&gt; &amp; &quot;mist&quot;');
  expect(html).not.toContain('<b>dawn</b>');
});

test('--max-credits pauses before a call would go over; resume with more finishes the chain', async () => {
  await useStack().cli(['start', ...args('dv-budget'), '--max-credits', '30']);
  const paused = await eventually(async () => {
    const s = JSON.parse((await useStack().cli(['status', 'dv-budget', '--json'])).stdout);
    return s.state === 'paused' ? s : undefined;
  }, 60_000);
  expect(paused.reason).toMatch(/budget: segment 3 costs 12 credits and 24 of 30 are spent/);
  expect(await charged()).toBe(24);
  await useStack().cli(['resume', 'dv-budget', '--max-credits', '48']);
  const done = await eventually(async () => {
    const s = JSON.parse((await useStack().cli(['status', 'dv-budget', '--json'])).stdout);
    return s.state === 'completed' ? s : undefined;
  }, 60_000);
  expect(done.creditsSpent).toBe(48);
  expect(await charged()).toBe(48);
});
