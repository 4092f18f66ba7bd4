/** `long-video worker`: the process itself is `runWorker` (src/worker.ts); its flags are defined in main.ts. */
import { loadConfig } from '../config/config';
import { runWorker } from '../worker';

/** The workers, the receiver unless `--no-receiver`, the output folder's file server unless `--no-files`. */
export async function workerCommand({
  receiver = true,
  files = true,
}: { receiver?: boolean; files?: boolean } = {}): Promise<number> {
  await runWorker(loadConfig(), { receiver, files });
  return 0;
}
