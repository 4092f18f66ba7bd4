/**
 * What a new run of a closed chain (a resume after cancel) starts each segment from: paid work kept, the
 * rest pending; on the official API, segment 1's first frame, paid for or lost to a create whose answer
 * never came, goes with it, so that the new run neither pays for another image nor forgets the runbook.
 */
import type { SegmentState } from '../src/chain/progress';
import { segmentForNewRun } from '../src/chain/segment-rules';

const base: SegmentState = { index: 1, prompt: 'a kite', state: 'pending', attempts: 1, failures: 2 };

test('a pending segment keeps the first frame it paid for', () => {
  const next = segmentForNewRun({ ...base, firstFrameTaskId: 'img-1', lastError: 'cancelled' });
  expect(next).toMatchObject({
    state: 'pending',
    firstFrameTaskId: 'img-1',
    failures: 0,
    lastError: 'cancelled',
  });
});

test('a segment whose first frame create was lost keeps saying so (the runbook adopts an image)', () => {
  const next = segmentForNewRun({ ...base, firstFrameLost: true });
  expect(next.firstFrameLost).toBe(true);
  expect(next.firstFrameTaskId).toBeUndefined();
});

test('a segment in flight keeps its task; one without any first frame has none', () => {
  const generating = { ...base, state: 'generating' as const, taskId: 't-1', firstFrameTaskId: 'img-1' };
  expect(segmentForNewRun(generating)).toMatchObject({ state: 'generating', taskId: 't-1', failures: 0 });
  expect(Object.keys(segmentForNewRun(base))).not.toContain('firstFrameTaskId');
});
