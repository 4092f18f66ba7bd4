/**
 * What the chain does with a task that fails, and with answers it cannot read, in the time-skipping
 * environment against a scripted provider: a refused input is paid once and pauses with the provider's
 * words and the way out; only a transient failure is paid again; an unreadable answer pauses after a few
 * in a row and a resume awaits the same task; a task whose answer leaves out prompt and parent is adopted.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { classifyTaskFailure } from '../src/chain/task-failures';
import { type ChainProgress } from '../src/chain/progress';
import { redoUpdate, resumeUpdate } from '../src/workflows/messages';
import {
  INPUT,
  ScriptedProvider,
  callBack,
  start,
  useTimeSkippingEnv,
  waitFor,
  waitForProgress,
  withWorkers,
} from './support/scripted-chain';

jest.setTimeout(120_000);

const MODERATED = 'Your prompt was caught by our AI moderator.';

describe('classifying a failed task by what the provider said', () => {
  const examples = JSON.parse(
    readFileSync(path.join(__dirname, 'fixtures', 'provider-examples.json'), 'utf8'),
  ) as {
    reference: { failCode400Messages: string[]; recordDetailFieldExamples: { data: { failMsg: string } } };
  };

  test('every 400 message of the reference has a kind; only passing conditions are transient', () => {
    const kinds = Object.fromEntries(
      examples.reference.failCode400Messages.map((m) => [
        m,
        classifyTaskFailure({ failCode: '400', failMsg: m }),
      ]),
    );
    expect(kinds).toEqual({
      'Detected inappropriate content, please try replacing the video.': 'input',
      'HD quality free trials complete. Subscribe now to continue creating in high resolution.': 'plan',
      'Inappropriate content detected. Please replace the image or video.': 'input',
      'Please try again later. You can upgrade to Standard membership to start generating now.': 'transient',
      'Reached the limit for concurrent generations.': 'transient',
      'Unsupported width or height. Please adjust the size and try again.': 'input',
      'Upload failed due to network reasons, please re-enter': 'transient',
      'Your prompt was caught by our AI moderator.': 'input',
      'Your prompt has triggered our AI moderator, please re-enter your prompt': 'input',
      'Your prompt/negative prompt cannot exceed 2048 characters. Please check if your input is too long.':
        'input',
      "Your video creation prompt contains NSFW content, which isn't allowed under our policy. Kindly revise your prompt and generate again.":
        'input',
      'Incorrect image format': 'input',
    });
    // The reference's example failMsg, which comes without a failCode.
    expect(classifyTaskFailure({ failMsg: examples.reference.recordDetailFieldExamples.data.failMsg })).toBe(
      'transient',
    );
  });

  test('codes with one meaning decide an unknown message; no reason at all is unknown', () => {
    expect(classifyTaskFailure({ failCode: '501', failMsg: 'something new' })).toBe('transient');
    expect(classifyTaskFailure({ failCode: '408' })).toBe('transient');
    expect(classifyTaskFailure({ failCode: '451' })).toBe('input');
    expect(classifyTaskFailure({ failCode: '400', failMsg: 'something new' })).toBe('unknown');
    expect(classifyTaskFailure({ failCode: '400' })).toBe('unknown');
    expect(classifyTaskFailure({})).toBe('unknown');
    // A moderation message is a refusal even under a code that usually passes.
    expect(classifyTaskFailure({ failCode: '500', failMsg: MODERATED })).toBe('input');
  });
});

describe('the chain', () => {
  useTimeSkippingEnv();

  test('a moderated prompt is paid once, then the chain pauses with the message and the redo command', async () => {
    const provider = new ScriptedProvider();
    provider.failWith.set(2, { failCode: '400', failMsg: MODERATED });
    const result = await withWorkers(provider, async () => {
      const handle = await start();
      const paused = await waitForProgress(handle, (p) => p.state === 'paused');
      expect(provider.creates).toHaveLength(2);
      expect(paused.paused?.by).toBe('provider (input refused)');
      expect(paused.reason).toContain(`"${MODERATED}"`);
      expect(paused.reason).toContain(`long-video redo ${handle.workflowId} --from 2 --prompt`);
      expect(paused.segments[1]).toMatchObject({ state: 'failed', attempts: 1 });
      expect(paused.segments[1]!.pastAttempts).toEqual([
        expect.objectContaining({ attempt: 1, taskId: 'task-2', kind: 'input' }),
      ]);
      await handle.executeUpdate(redoUpdate, { args: [{ from: 2, prompt: 'it grows, gently' }] });
      await handle.executeUpdate(resumeUpdate, { args: [{}] });
      return handle.result();
    });
    expect(result.state).toBe('completed');
    expect(provider.creates.map((c) => c.input.request.prompt)).toEqual([
      'a seed sprouts',
      'it grows into a tree',
      'it grows, gently',
      'the tree blossoms',
    ]);
  });

  test('a transient failure is paid again after a backoff, and every attempt keeps its reason', async () => {
    const provider = new ScriptedProvider();
    provider.failWith.set(1, { failCode: '400', failMsg: 'Reached the limit for concurrent generations.' });
    const result: ChainProgress = await withWorkers(provider, async () => (await start()).result());
    expect(result.state).toBe('completed');
    expect(provider.creates.map((c) => [c.input.segment, c.input.attempt])).toEqual([
      [1, 1],
      [1, 2],
      [2, 1],
      [3, 1],
    ]);
    expect(result.segments[0]!.pastAttempts).toEqual([
      expect.objectContaining({ attempt: 1, taskId: 'task-1', kind: 'transient' }),
    ]);
  });

  test.each([
    [
      'an unknown message',
      { failCode: '400', failMsg: 'Something we never saw' },
      'provider (unknown failure)',
    ],
    ['no reason at all', {}, 'provider (unknown failure)'],
    [
      'a plan limit',
      { failCode: '400', failMsg: 'HD quality free trials complete. Subscribe now to continue.' },
      'provider (plan limit)',
    ],
  ])('%s pauses rather than paying again', async (_name, failure, by) => {
    const provider = new ScriptedProvider();
    provider.failWith.set(1, failure);
    await withWorkers(provider, async () => {
      const handle = await start();
      const paused = await waitForProgress(handle, (p) => p.state === 'paused');
      expect(paused.paused?.by).toBe(by);
      expect(paused.reason).toContain(`long-video resume ${handle.workflowId}`);
      expect(provider.creates).toHaveLength(1);
      await handle.cancel();
    });
  });

  test('answers that cannot be read pause the chain after a few; resume awaits the same task, paying nothing', async () => {
    const provider = new ScriptedProvider();
    provider.pollsToFinish = 1;
    provider.unreadable.set(2, 3);
    const result = await withWorkers(provider, async () => {
      const handle = await start({ ...INPUT, options: { ...INPUT.options, maxUnreadableAnswers: 3 } });
      const paused = await waitForProgress(handle, (p) => p.state === 'paused');
      expect(paused.paused?.by).toBe('unreadable provider answer');
      expect(paused.reason).toContain('videoInfo.videoUrl');
      expect(paused.reason).toContain('task task-2');
      expect(paused.segments[1]).toMatchObject({ state: 'generating', taskId: 'task-2', attempts: 1 });
      expect(provider.creates).toHaveLength(2);
      // After the fix (here: the provider's answers read again), resume.
      await handle.executeUpdate(resumeUpdate, { args: [{}] });
      return handle.result();
    });
    expect(result.state).toBe('completed');
    expect(provider.creates).toHaveLength(3);
    expect(result.segments.map((s) => s.taskId)).toEqual(['task-1', 'task-2', 'task-3']);
  });

  test('unreadable answers with readable ones between them do not add up', async () => {
    const provider = new ScriptedProvider();
    provider.pollsToFinish = 2; // every other look says "generating": read fine
    provider.unreadable.set(1, 5);
    const result = await withWorkers(provider, async () => (await start()).result());
    expect(result.state).toBe('completed');
    expect(result.segments[0]!.pastAttempts).toBeUndefined();
    expect(provider.creates).toHaveLength(3);
  });

  test('one unreadable answer between good ones does not pause', async () => {
    const provider = new ScriptedProvider();
    provider.pollsToFinish = 1;
    provider.unreadable.set(1, 2);
    const result = await withWorkers(provider, async () => (await start()).result());
    expect(result.state).toBe('completed');
    expect(result.paused).toBeUndefined();
    expect(provider.creates).toHaveLength(3);
  });

  test('a callback whose task answer leaves out prompt and parent is still adopted after an ambiguous create', async () => {
    const provider = new ScriptedProvider();
    provider.docsShape = true;
    provider.pollNeverFinishes = true;
    const activities = provider.activities();
    // Segment 1's create is ambiguous (5xx after the task was made): only its callback can name the task.
    let first = true;
    const submitGeneration = activities.submitGeneration;
    activities.submitGeneration = async (input) => {
      if (first) {
        first = false;
        provider.creates.push({ kind: 'generate', input: input as never });
        const { ApplicationFailure } = await import('@temporalio/common');
        throw ApplicationFailure.create({
          type: 'AmbiguousCreate',
          nonRetryable: true,
          message: 'generate: 500 Internal server error',
          details: [{ callbacks: true }],
        });
      }
      return submitGeneration(input);
    };
    provider.activities = () => activities;
    const result = await withWorkers(provider, async () => {
      const handle = await start({ ...INPUT, prompts: ['one', 'two'] });
      await waitFor(() => provider.creates.length >= 1);
      await callBack(handle, provider, 1, { segment: 1, attempt: 1 });
      await waitFor(() => provider.creates.length >= 2);
      await callBack(handle, provider, 2, { segment: 2, attempt: 1 });
      return handle.result();
    });
    expect(result.state).toBe('completed');
    expect(provider.creates).toHaveLength(2);
    expect(result.segments.map((s) => s.taskId)).toEqual(['task-1', 'task-2']);
  });
});
