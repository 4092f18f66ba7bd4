/** `long-video worker`: the process itself is `runWorker` (src/worker.ts); its flags are defined in main.ts. */
import { loadConfig } from '../config/config';
import { runWorker } from '../worker';

/** The workers, and the receiver unless `receiver` is false (`--no-receiver`). */
export async function workerCommand({ receiver = true }: { receiver?: boolean } = {}): Promise<number> {
  await runWorker(loadConfig(), { receiver });
  return 0;
}
