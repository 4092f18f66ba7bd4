/**
 * The Web UI details' links: the HTTP URLs the deliverable activities answered when the worker serves the
 * output folder; the paths as file:// links, and the provider's URL for a segment, for a chain whose
 * history has no URLs (recorded before, or by a worker that serves no files).
 */
import { setCurrentDetails } from '@temporalio/workflow';
import { Chain } from '../src/workflows/chain';
import { parseLongVideoInput } from '../src/chain/input';

jest.mock('@temporalio/workflow', () => ({
  ...jest.requireActual('@temporalio/workflow'),
  setCurrentDetails: jest.fn(),
  upsertSearchAttributes: jest.fn(),
}));

const lastDetails = () => {
  const calls = (setCurrentDetails as jest.Mock).mock.calls;
  return calls[calls.length - 1]![0] as string;
};
const links = (details: string) => [...details.matchAll(/\[([^\]]+)\]\(([^)]+)\)/g)].map((m) => [m[1], m[2]]);

const BASE = 'http://127.0.0.1:8788/a%252Fb';
const archive = (url?: string) => ({
  video: '/out/a%2Fb/segment-001-t1.mp4',
  sha256: 'x',
  bytes: 1,
  durationSeconds: 5,
  ...(url ? { url } : {}),
});

function chainWithOneSegment() {
  const chain = new Chain(parseLongVideoInput({ prompts: ['a', 'b'], aspectRatio: '16:9' }));
  const first = chain.segments[0]!;
  chain.succeeded(first, { taskId: 't1', state: 'success', videoUrl: 'https://cdn.example/t1.mp4' }, 'poll');
  return { chain, first };
}

test('served files: every link is its HTTP URL, each segment its archived copy', () => {
  const { chain, first } = chainWithOneSegment();
  chain.archived(
    first,
    archive(`${BASE}/segment-001-t1.mp4`),
    '/out/a%2Fb/preview.mp4',
    `${BASE}/preview.mp4`,
  );
  expect(links(lastDetails())).toEqual([
    ['preview so far', `${BASE}/preview.mp4`],
    ['video', `${BASE}/segment-001-t1.mp4`],
  ]);
  chain.delivered({ video: '/out/a%2Fb/final.mp4' }, { video: `${BASE}/final.mp4` });
  chain.delivered(
    { manifest: '/out/a%2Fb/manifest.json', report: '/out/a%2Fb/index.html' },
    { manifest: `${BASE}/manifest.json`, report: `${BASE}/index.html` },
  );
  expect(links(lastDetails())).toEqual([
    ['report', `${BASE}/index.html`],
    ['video', `${BASE}/final.mp4`],
    ['manifest', `${BASE}/manifest.json`],
    ['video', `${BASE}/segment-001-t1.mp4`],
  ]);
  expect(chain.progress().outputs).toEqual({
    preview: '/out/a%2Fb/preview.mp4',
    video: '/out/a%2Fb/final.mp4',
    manifest: '/out/a%2Fb/manifest.json',
    report: '/out/a%2Fb/index.html',
    urls: {
      preview: `${BASE}/preview.mp4`,
      video: `${BASE}/final.mp4`,
      manifest: `${BASE}/manifest.json`,
      report: `${BASE}/index.html`,
    },
  });
  // A video made again without a URL (a worker serving no files) keeps no stale link.
  chain.delivered({ video: '/out/a%2Fb/final.mp4' });
  expect(chain.progress().outputs?.urls?.video).toBeUndefined();
  expect(links(lastDetails())[1]).toEqual(['video', 'file:///out/a%252Fb/final.mp4']);
});

test('a history without URLs: file:// links to the paths, and the provider URL of a segment', () => {
  const { chain, first } = chainWithOneSegment();
  chain.archived(first, archive(), '/out/a%2Fb/preview.mp4');
  chain.delivered({ video: '/out/a%2Fb/final.mp4' });
  chain.delivered({ manifest: '/out/a%2Fb/manifest.json', report: '/out/a%2Fb/index.html' });
  expect(links(lastDetails())).toEqual([
    ['report', 'file:///out/a%252Fb/index.html'],
    ['video', 'file:///out/a%252Fb/final.mp4'],
    ['manifest', 'file:///out/a%252Fb/manifest.json'],
    ['video', 'https://cdn.example/t1.mp4'],
  ]);
  expect(chain.progress().outputs?.urls).toBeUndefined();
});
