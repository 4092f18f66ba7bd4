/**
 * The notification's parts on their own: what a notice holds for each state (`noticeOf`), and how the
 * `sendChainNotice` activity takes a receiver's answers (2xx done, 5xx/408/429 and no answer retried, other
 * 4xx and redirects final), on a local server.
 */
import { createHmac } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { noticeOf } from '../src/chain/notice';
import type { ChainProgress } from '../src/chain/progress';
import { createNotifyActivities } from '../src/activities/notify';
import { freePort } from '../src/temporal/dev-server';

const progress = (over: Partial<ChainProgress>): ChainProgress => ({
  state: 'paused',
  run: 1,
  creditsSpent: 24,
  segmentsDone: 2,
  segmentsTotal: 3,
  segments: [1, 2, 3].map((index) => ({
    index,
    prompt: `shot ${index}`,
    state: index < 3 ? 'succeeded' : 'pending',
    attempts: index < 3 ? 1 : 0,
    failures: 0,
    ...(index < 3
      ? {
          videoUrl: `https://u:p@cdn.example/${index}.mp4`,
          archive: { video: `/out/c/segment-00${index}.mp4`, sha256: 'x', bytes: 1, durationSeconds: 5 },
        }
      : {}),
  })),
  startedAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:01:00.000Z',
  ...over,
});

describe('noticeOf', () => {
  test('a review pause names the segment, its file and its URL without credentials', () => {
    const p = progress({ reason: 'review segment 2 of 3', paused: { reason: 'r', by: 'review', at: 'now' } });
    expect(noticeOf('c', p, 2, 'T')).toEqual({
      workflowId: 'c',
      state: 'paused',
      reason: 'review segment 2 of 3',
      pausedBy: 'review',
      segmentsDone: 2,
      segmentsTotal: 3,
      creditsSpent: 24,
      review: { segment: 2, file: '/out/c/segment-002.mp4', videoUrl: 'https://***@cdn.example/2.mp4' },
      at: 'T',
    });
  });

  test('a chain cancelled during a review is cancelled, not paused: no pausedBy, no review', () => {
    const p = progress({
      state: 'cancelled',
      reason: 'cancelled by request',
      paused: { reason: 'r', by: 'review', at: 'now' },
    });
    const notice = noticeOf('c', p, 2, 'T');
    expect(notice).toMatchObject({ state: 'cancelled', reason: 'cancelled by request' });
    expect(notice).not.toHaveProperty('pausedBy');
    expect(notice).not.toHaveProperty('review');
  });
});

describe('sendChainNotice', () => {
  let server: Server;
  let url: string;
  let answer = 200;
  const got: Array<{ body: string; signature?: string }> = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({
          body: Buffer.concat(chunks).toString(),
          signature: req.headers['x-long-video-signature'] as string | undefined,
        });
        res.writeHead(answer, answer === 302 ? { location: 'http://elsewhere.example/' } : {}).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/n`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const notice = noticeOf('c', progress({ state: 'completed' }), undefined, 'T');

  test('a 2xx is done; the body is the notice, signed with the secret', async () => {
    answer = 204;
    const { sendChainNotice } = createNotifyActivities({ secret: 'a-secret-of-16-chars' });
    await expect(sendChainNotice({ url, notice })).resolves.toBe(204);
    const { body, signature } = got.at(-1)!;
    expect(JSON.parse(body)).toEqual(notice);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature!)!;
    expect(v1).toBe(createHmac('sha256', 'a-secret-of-16-chars').update(`${t}.${body}`).digest('hex'));
  });

  test('without a secret nothing is signed', async () => {
    answer = 200;
    await createNotifyActivities().sendChainNotice({ url, notice });
    expect(got.at(-1)!.signature).toBeUndefined();
  });

  test.each([
    [500, false],
    [503, false],
    [408, false],
    [429, false],
    [404, true],
    [401, true],
    [302, true],
  ])('HTTP %i: retried unless final (%s)', async (status, final) => {
    answer = status;
    const failure = await createNotifyActivities()
      .sendChainNotice({ url, notice })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      nonRetryable: final,
      message: expect.stringContaining(`HTTP ${status}`),
    });
  });

  test('a receiver that is down is retried', async () => {
    const down = `http://127.0.0.1:${await freePort()}/n`;
    const failure = await createNotifyActivities()
      .sendChainNotice({ url: down, notice })
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({ type: 'NotifyUnreachable', nonRetryable: false });
  });
});
