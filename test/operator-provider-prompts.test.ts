/**
 * An operator's prompts are held to the chain's provider's limit: the official API (runwayml) takes 1000
 * characters, the reseller 1800. A redo or an append with a longer prompt is refused by the update's
 * validator, before anything changes and before any paid call (these chains start paused: none is made).
 */
import type { LongVideoInput } from '../src/chain/input';
import type { ProviderName } from '../src/chain/providers';
import { pendingSegment } from '../src/chain/segment-rules';
import { appendUpdate, progressQuery, redoUpdate } from '../src/workflows/messages';
import {
  ScriptedProvider,
  start,
  updateRejection,
  useTimeSkippingEnv,
  withWorkers,
} from './support/scripted-chain';

jest.setTimeout(120_000);
useTimeSkippingEnv();

/** A two-segment chain on `provider`, paused from its start: it calls no activity. */
const pausedChain = (provider: ProviderName): LongVideoInput => ({
  prompts: ['a lighthouse at dusk', 'the lamp turns on'],
  aspectRatio: '16:9',
  provider,
  carry: {
    segments: [pendingSegment(1, 'a lighthouse at dusk'), pendingSegment(2, 'the lamp turns on')],
    startedAt: '2026-01-01T00:00:00.000Z',
    runs: 1,
    paused: { reason: 'held for the test', by: 'test', at: '2026-01-01T00:00:00.000Z' },
  },
});

const long = 'a slow dolly shot over the harbour, '.repeat(42).slice(0, 1500);

test('runwayml: a 1500-character redo or append prompt is refused, naming the 1000 limit', async () => {
  const provider = new ScriptedProvider();
  await withWorkers(provider, async () => {
    const handle = await start(pausedChain('runwayml'));
    const redo = await updateRejection(
      handle.executeUpdate(redoUpdate, { args: [{ from: 2, prompt: long }] }),
    );
    expect(redo).toBe('provider runwayml takes prompts of at most 1000 characters (this one has 1500)');
    const append = await updateRejection(
      handle.executeUpdate(appendUpdate, { args: [{ prompts: ['night falls', long] }] }),
    );
    expect(append).toBe('provider runwayml takes prompts of at most 1000 characters (this one has 1500)');
    // Nothing changed; a prompt within the limit is taken.
    const before = await handle.query(progressQuery);
    expect(before.segments.map((s) => s.prompt)).toEqual(['a lighthouse at dusk', 'the lamp turns on']);
    const redone = await handle.executeUpdate(redoUpdate, {
      args: [{ from: 2, prompt: long.slice(0, 1000) }],
    });
    expect(redone.segments[1]!.prompt).toHaveLength(1000);
    await handle.terminate();
  });
  expect(provider.creates).toEqual([]);
});

test('kie-runway: the reseller takes the same 1500-character prompt (its limit is 1800)', async () => {
  const provider = new ScriptedProvider();
  await withWorkers(provider, async () => {
    const handle = await start(pausedChain('kie-runway'));
    const appended = await handle.executeUpdate(appendUpdate, { args: [{ prompts: [long] }] });
    expect(appended.segments.map((s) => s.prompt.length)).toEqual([20, 17, 1500]);
    expect(
      await updateRejection(handle.executeUpdate(redoUpdate, { args: [{ from: 1, prompt: long + long }] })),
    ).toBe('prompt must be at most 1800 characters');
    await handle.terminate();
  });
  expect(provider.creates).toEqual([]);
});
