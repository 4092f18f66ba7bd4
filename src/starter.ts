/**
 * Starting a long-video chain from your own code:
 *
 *     const client = await connectClient(loadConfig());
 *     const handle = await startLongVideo(client, { prompts: ['a paper boat', 'it drifts away'], aspectRatio: '16:9' });
 *     const progress = await handle.result(); // the chain's final progress: segments, outputs, credits
 *
 * Run as a script (`node lib/starter.js "a paper boat" "it drifts away"`), it starts such a chain
 * with the configured connection (TEMPORAL_ADDRESS …). The `long-video` command line is src/cli/main.ts.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { type LongVideoInput, parseLongVideoInput } from './chain/input';
import { connectClient, startChain } from './client';
import { loadConfig } from './config/config';
import type { longVideo } from './workflows';

export interface StartLongVideoOptions {
  /** The chain's workflow id (default `long-video-<time>-<random>`); an id Temporal still keeps is refused. */
  workflowId?: string;
  /** With `workflowId`: start over a closed chain of that id, replacing its deliverables. */
  replace?: boolean;
}

/**
 * Validate a chain's input (`InvalidChainInput` says every problem at once, before anything is paid) and
 * start its workflow; answers the typed handle (`result()` is the chain's final progress).
 */
export async function startLongVideo(
  client: Client,
  input: LongVideoInput,
  options: StartLongVideoOptions = {},
): Promise<WorkflowHandle<typeof longVideo>> {
  const resolved = parseLongVideoInput(input);
  const id = await startChain(client, resolved, options.workflowId, { replace: options.replace });
  return client.workflow.getHandle<typeof longVideo>(id);
}

if (require.main === module) {
  void (async () => {
    const prompts = process.argv.slice(2);
    const client = await connectClient(loadConfig());
    const handle = await startLongVideo(client, { prompts, aspectRatio: '16:9' });
    console.log(`started ${handle.workflowId}: \`long-video watch ${handle.workflowId}\` follows it`);
    await client.connection.close();
  })().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
