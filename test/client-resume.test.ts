/**
 * The client layer's resume of a closed chain (`startNextRun`): its new run starts as `startChain`
 * starts a chain (Web UI summary and details, search attributes), and the last run's input is decoded
 * with the client's own data converter, so that a client and workers with a payload codec resume too.
 */
import { Client } from '@temporalio/client';
import { type Payload, type PayloadCodec, defaultPayloadConverter } from '@temporalio/common';
import { parseLongVideoInput } from '../src/chain/input';
import { chainStartOptions, startNextRun, startChain } from '../src/client';
import {
  INPUT,
  ScriptedProvider,
  env,
  useTimeSkippingEnv,
  waitForProgress,
  withWorkers,
} from './support/scripted-chain';

jest.setTimeout(120_000);
useTimeSkippingEnv();

const ENCODING = 'binary/xor-test';
/** Every payload XOR-ed and re-labelled: unreadable to a converter that does not run this codec. */
const xorCodec: PayloadCodec = {
  async encode(payloads: Payload[]) {
    return payloads.map((p) => ({
      metadata: { encoding: new TextEncoder().encode(ENCODING) },
      data: new Uint8Array([...(wrapPayload(p) ?? [])].map((b) => b ^ 0x5a)),
    }));
  },
  async decode(payloads: Payload[]) {
    return payloads.map((p) => {
      if (new TextDecoder().decode(p.metadata?.encoding ?? new Uint8Array()) !== ENCODING) return p;
      return unwrapPayload(new Uint8Array([...(p.data ?? [])].map((b) => b ^ 0x5a)));
    });
  },
};
// A payload as JSON bytes inside the codec's payload (metadata and data, base64).
function wrapPayload(p: Payload): Uint8Array {
  const meta = Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v as Uint8Array).toString('base64')]),
  );
  return new TextEncoder().encode(
    JSON.stringify({ meta, data: Buffer.from(p.data ?? []).toString('base64') }),
  );
}
function unwrapPayload(bytes: Uint8Array): Payload {
  const { meta, data } = JSON.parse(new TextDecoder().decode(bytes)) as {
    meta: Record<string, string>;
    data: string;
  };
  return {
    metadata: Object.fromEntries(
      Object.entries(meta).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
    ),
    data: new Uint8Array(Buffer.from(data, 'base64')),
  };
}

const FAST = { ...INPUT, options: { ...INPUT.options, pollIntervalMs: 10 } };

test('a closed chain resumed through a client with a payload codec: its new run has the summary and search attributes', async () => {
  const dataConverter = { payloadCodecs: [xorCodec] };
  const client = new Client({ connection: env.connection, namespace: env.namespace, dataConverter });
  const provider = new ScriptedProvider();
  const input = parseLongVideoInput(FAST);
  const id = `codec-resume-${process.pid}`;
  const { first, again, started, result } = await withWorkers(
    provider,
    async () => {
      await startChain(client, input, id);
      const handle = client.workflow.getHandle(id);
      await waitForProgress(handle, (p) => p.segmentsDone >= 1);
      const first = await handle.describe();
      await handle.cancel();
      await waitForProgress(handle, (p) => p.state === 'cancelled');
      await startNextRun(client, id);
      const again = await handle.describe();
      const history = await handle.fetchHistory();
      const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
      const result = await waitForProgress(handle, (p) => p.state === 'completed');
      return { first, again, started, result };
    },
    { dataConverter },
  );
  expect(again.runId).not.toBe(first.runId);
  // The same summary and details as the chain's first run (what `startChain` set).
  const expected = chainStartOptions(input, id);
  expect(await first.staticSummary()).toBe(expected.staticSummary);
  expect(await again.staticSummary()).toBe(expected.staticSummary);
  expect(await again.staticDetails()).toBe(expected.staticDetails);
  // The new run's search attributes from its start: the carried state.
  const attributes = Object.fromEntries(
    Object.entries(started.searchAttributes?.indexedFields ?? {}).map(([k, v]) => [
      k,
      defaultPayloadConverter.fromPayload(v as Payload),
    ]),
  );
  expect(attributes).toMatchObject({
    LongVideoState: 'running',
    LongVideoSegmentsDone: expect.any(Number),
    LongVideoSegmentsTotal: 3,
  });
  expect(attributes.LongVideoSegmentsDone).toBeGreaterThanOrEqual(1);
  // Its input went through the codec too.
  const encoding = started.input!.payloads![0]!.metadata!.encoding!;
  expect(new TextDecoder().decode(encoding)).toBe(ENCODING);
  expect(result.run).toBe(2);
  expect(provider.creates.map((c) => c.input.segment)).toEqual([1, 2, 3]); // nothing paid twice
});
