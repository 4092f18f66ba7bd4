/**
 * The official Runway API's answers and requests against our schemas: the examples its docs and SDK
 * publish (test/fixtures/runwayml-examples.json, each with its source), the tolerant reads (nulls, text
 * for numbers, unknown statuses), what a task answer means to the chain, and the failureCode classes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RunwayMlCreated, RunwayMlTask, errorMessageOf } from '../src/provider/runwayml/answers';
import { viewRunwayMlTask } from '../src/provider/runwayml/task-status';
import { ImageToVideoRequest, TextToImageRequest } from '../src/chain/requests-runwayml';
import { classifyRunwayMlFailure } from '../src/chain/task-failures-runwayml';
import { runwayMlVideoCredits } from '../src/chain/contract-runwayml';

const examples = JSON.parse(readFileSync(path.join(__dirname, 'fixtures', 'runwayml-examples.json'), 'utf8'));
const { published, sdkShaped, variants } = examples;

const read = (answer: unknown) => RunwayMlTask.parse(answer);
const view = (answer: unknown) => viewRunwayMlTask(read(answer));

describe('published examples', () => {
  test('every published example names its source', () => {
    for (const [name, example] of Object.entries<{ source?: string }>(published)) {
      expect([name, example.source]).toEqual([name, expect.stringMatching(/^https:\/\//)]);
    }
  });

  test("the outputs page's SUCCEEDED task is a success whose video is the first output URL", () => {
    expect(view(published.taskSucceeded.answer)).toEqual({
      state: 'success',
      outcome: {
        taskId: 'd2e3d1f4-1b3c-4b5c-8d46-1c1d7ee86892',
        state: 'success',
        videoUrl: 'https://dnznrvs05pmza.cloudfront.net/output.mp4?_jwt=...',
      },
    });
  });

  test('a create answer with only an id is read', () => {
    expect(RunwayMlCreated.parse(published.createMinimal.answer)).toEqual({ id: 'task_xxx' });
  });

  test('the request examples of the getting-started guide and the SDK README pass our writer', () => {
    expect(ImageToVideoRequest.safeParse(published.imageToVideoGen45Request.request).success).toBe(true);
    expect(ImageToVideoRequest.safeParse(published.imageToVideoGen4TurboRequest.request).success).toBe(true);
  });

  test('an INTERNAL failure a user recorded is transient: it may be paid for again under the budget', () => {
    const v = view(published.failedInternal.answer);
    expect(v).toMatchObject({ state: 'fail', kind: 'transient', outcome: { failCode: 'INTERNAL' } });
  });
});

describe("the SDK's shapes, status by status", () => {
  test('PENDING, THROTTLED and RUNNING are waiting; THROTTLED is flagged, RUNNING carries its progress', () => {
    expect(view(sdkShaped.pending)).toEqual({
      state: 'waiting',
      status: 'PENDING',
      known: true,
      throttled: false,
    });
    expect(view(sdkShaped.throttled)).toEqual({
      state: 'waiting',
      status: 'THROTTLED',
      known: true,
      throttled: true,
    });
    expect(view(sdkShaped.running)).toEqual({
      state: 'waiting',
      status: 'RUNNING',
      known: true,
      throttled: false,
      progress: 0.42,
    });
  });

  test('the estimate before, and the final cost after, are read as credits', () => {
    expect(read(sdkShaped.pending).credits).toBe(25);
    expect(read(sdkShaped.failed).credits).toBe(0);
    expect(RunwayMlCreated.parse(sdkShaped.created)).toEqual({
      id: '8a7f6e5d-4c3b-4a29-8f1e-0d9c8b7a6f5e',
      estimatedCredits: 25,
    });
  });

  test('FAILED with SAFETY.INPUT.TEXT is an input refusal: the chain pauses for a new prompt', () => {
    expect(view(sdkShaped.failed)).toEqual({
      state: 'fail',
      kind: 'input',
      outcome: {
        taskId: '8a7f6e5d-4c3b-4a29-8f1e-0d9c8b7a6f5e',
        state: 'fail',
        failCode: 'SAFETY.INPUT.TEXT',
        failMsg: 'The prompt text was rejected by content moderation.',
      },
    });
  });

  test('CANCELLED is cancelled, SUCCEEDED a success', () => {
    expect(view(sdkShaped.cancelled)).toEqual({ state: 'cancelled', taskId: sdkShaped.cancelled.id });
    expect(view(sdkShaped.succeeded)).toMatchObject({
      state: 'success',
      outcome: { videoUrl: 'https://dnznrvs05pmza.cloudfront.net/8a7f6e5d.mp4?_jwt=abc' },
    });
  });
});

describe('tolerant reading', () => {
  test('progress as text, null, or a percentage', () => {
    expect(view(variants.runningProgressAsText)).toMatchObject({ progress: 0.5 });
    expect(view(variants.runningProgressNull)).not.toHaveProperty('progress');
    expect(view(variants.runningProgressPercent)).toMatchObject({ progress: 0.4 });
  });

  test('null output, failure and failureCode are absent; a numeric id is its text; the case of a status does not matter', () => {
    expect(read(variants.pendingOutputNull)).toEqual({ id: 't1', status: 'PENDING' });
    expect(read(variants.numericId).id).toBe('12345');
    expect(view(variants.lowerCaseStatus)).toMatchObject({ state: 'success' });
  });

  test('an unknown status is kept and means "keep polling", marked as not known', () => {
    expect(read(variants.unknownStatus).status).toBe('QUEUED');
    expect(view(variants.unknownStatus)).toEqual({
      state: 'waiting',
      status: 'QUEUED',
      known: false,
      throttled: false,
    });
  });

  test('CANCELED (one L, as one of Runway’s guides writes it) is cancelled too', () => {
    expect(view(variants.canceledOneL)).toEqual({ state: 'cancelled', taskId: 't1' });
  });

  test('SUCCEEDED without a usable output URL is unreadable, never a failure to pay for again', () => {
    for (const name of [
      'succeededNoOutput',
      'succeededEmptyOutput',
      'succeededOutputNull',
      'succeededOutputNotUrl',
    ]) {
      expect([name, view(variants[name]).state]).toEqual([name, 'unreadable']);
    }
  });

  test('non-strings in output are skipped: the first URL is the video', () => {
    expect(view(variants.succeededMixedOutput)).toMatchObject({
      outcome: { videoUrl: 'https://cdn.example.com/a.mp4' },
    });
  });

  test('text_to_image: the first output is the image', () => {
    expect(viewRunwayMlTask(read(sdkShaped.succeeded), 'image')).toMatchObject({
      outcome: { imageUrl: sdkShaped.succeeded.output[0] },
    });
  });

  test('a task without an id or a status is rejected', () => {
    for (const name of ['missingStatus', 'missingId', 'emptyId']) {
      expect([name, RunwayMlTask.safeParse(variants[name]).success]).toEqual([name, false]);
    }
  });

  test('error bodies: `error`, with `issues` when there are any', () => {
    expect(errorMessageOf(variants.badRequestError)).toBe('promptImage: Invalid data URI.');
    expect(errorMessageOf(variants.badRequestIssues)).toBe(
      'Validation of body failed; ratio: Invalid enum value',
    );
    expect(errorMessageOf('plain')).toBeUndefined();
    expect(errorMessageOf({ error: 3 })).toBeUndefined();
  });
});

describe('failureCode classes', () => {
  test.each([
    ['SAFETY.INPUT.TEXT', 'input'],
    ['SAFETY.INPUT.IMAGE', 'input'],
    ['SAFETY.OUTPUT.VIDEO', 'input'],
    ['INPUT_PREPROCESSING.SAFETY.TEXT', 'input'],
    ['ASSET.INVALID', 'input'],
    ['INPUT_PREPROCESSING.INTERNAL', 'transient'],
    ['INTERNAL.BAD_OUTPUT.CODE01', 'transient'],
    ['INTERNAL', 'transient'],
    ['internal', 'transient'],
    ['SOMETHING.NEW', 'unknown'],
    ['INTERNALS', 'unknown'],
    ['', 'unknown'],
  ])('%s is %s', (code, kind) => {
    expect(classifyRunwayMlFailure({ failCode: code })).toBe(kind);
  });

  test('no code at all is unknown, whatever the message says', () => {
    expect(view(variants.failedNoCode)).toMatchObject({ state: 'fail', kind: 'unknown' });
    expect(view(variants.failedCodeNull)).toEqual({
      state: 'fail',
      kind: 'unknown',
      outcome: { taskId: 't1', state: 'fail' },
    });
  });

  test('the fixture variants land in their classes', () => {
    expect(view(variants.failedOutputSafety)).toMatchObject({ kind: 'input' });
    expect(view(variants.failedBadOutput)).toMatchObject({ kind: 'transient' });
    expect(view(variants.failedAssetInvalid)).toMatchObject({ kind: 'input' });
    expect(view(variants.failedPreprocessingSafety)).toMatchObject({ kind: 'input' });
    expect(view(variants.failedPreprocessingInternal)).toMatchObject({ kind: 'transient' });
  });
});

describe('requests we send', () => {
  const png = `data:image/png;base64,${Buffer.from('not really a png').toString('base64')}`;
  const ok = { model: 'gen4_turbo', promptImage: png, ratio: '1280:720', promptText: 'a cat', duration: 5 };

  test('a gen4_turbo request with a data URI passes', () => {
    expect(ImageToVideoRequest.safeParse(ok).success).toBe(true);
  });

  test.each([
    ['an http URL', { promptImage: 'http://example.com/a.png' }, 'https'],
    ['an IP host', { promptImage: 'https://10.0.0.1/a.png' }, 'IP address'],
    ['a GIF data URI', { promptImage: 'data:image/gif;base64,AAAA' }, 'not accepted'],
    ['a broken base64 payload', { promptImage: 'data:image/png;base64,AAA' }, 'malformed'],
    ['an unknown ratio', { ratio: '1920:1080' }, 'ratio'],
    ['a 1001-unit prompt', { promptText: 'x'.repeat(1001) }, 'at most 1000'],
    ['a blank prompt', { promptText: ' \u200b ' }, 'must not be empty'],
    ['11 seconds', { duration: 11 }, 'duration'],
    ['fractional seconds', { duration: 5.5 }, 'whole seconds'],
    ['a negative seed', { seed: -1 }, 'seed'],
    ['a seed past 2^32-1', { seed: 4_294_967_296 }, 'seed'],
    ['an unknown field', { callBackUrl: 'https://x.example' }, 'callBackUrl'],
    ['an unknown model', { model: 'gen3a_turbo' }, 'model'],
  ])('%s is refused', (_name, change, message) => {
    const parsed = ImageToVideoRequest.safeParse({ ...ok, ...change });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain(message);
  });

  test('the data URI limit is counted whole: just under 5 MiB passes, 5 MiB or more does not', () => {
    const limit = 5 * 1024 * 1024;
    const prefix = 'data:image/png;base64,';
    // Base64 comes in groups of 4: the longest payload under the limit, and the shortest at or over it.
    const under = prefix + 'A'.repeat(Math.floor((limit - 1 - prefix.length) / 4) * 4);
    const over = prefix + 'A'.repeat(Math.ceil((limit - prefix.length) / 4) * 4);
    expect([under.length < limit, over.length >= limit]).toEqual([true, true]);
    expect(ImageToVideoRequest.safeParse({ ...ok, promptImage: under }).success).toBe(true);
    expect(ImageToVideoRequest.safeParse({ ...ok, promptImage: over }).success).toBe(false);
  });

  test('gen4.5 requires text and duration', () => {
    const { promptText: _p, ...noText } = { ...ok, model: 'gen4.5' };
    expect(ImageToVideoRequest.safeParse({ ...noText }).success).toBe(false);
    expect(ImageToVideoRequest.safeParse({ ...ok, model: 'gen4.5' }).success).toBe(true);
  });

  test('text_to_image: gen4_image without references, gen4_image_turbo only with one', () => {
    const base = { promptText: 'a lighthouse at dusk', ratio: '1920:1080' };
    expect(TextToImageRequest.safeParse({ ...base, model: 'gen4_image' }).success).toBe(true);
    expect(TextToImageRequest.safeParse({ ...base, model: 'gen4_image_turbo' }).success).toBe(false);
    const refs = [{ uri: 'https://example.com/ref.png', tag: 'hero' }];
    expect(
      TextToImageRequest.safeParse({ ...base, model: 'gen4_image_turbo', referenceImages: refs }).success,
    ).toBe(true);
    expect(
      TextToImageRequest.safeParse({
        ...base,
        model: 'gen4_image',
        referenceImages: [{ uri: refs[0]!.uri, tag: 'x-1' }],
      }).success,
    ).toBe(false);
  });

  test('prices: credits per second times seconds', () => {
    expect(runwayMlVideoCredits('gen4_turbo', 10)).toBe(50);
    expect(runwayMlVideoCredits('gen4.5', 5)).toBe(60);
  });
});
