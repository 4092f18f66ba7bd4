/**
 * `long-video files`: OUTPUT_DIR over HTTP on its own, for workers started with `--no-files` (several
 * workers on one host, or a files service beside scaled workers that share the folder).
 */
import { RUN_EXIT_CODES_HELP } from './exit-codes';
import { loadConfig } from '../config/config';
import { redactUrl } from '../chain/redact';
import { startFileServerFor } from '../worker';
import { act, newCommand } from './usage';

export const filesCommand = () =>
  newCommand('files')
    .summary('serve the output folder over HTTP on its own')
    .description(
      "Serves OUTPUT_DIR (the chains' videos, previews, reports and manifests) on OUTPUT_HOST:OUTPUT_PORT\n" +
        '(default 127.0.0.1:8788), with byte ranges for seeking, and no listing, nothing outside the folder.\n' +
        '`long-video worker` serves it too unless --no-files: run this beside workers started with --no-files,\n' +
        'and give them OUTPUT_PUBLIC_URL (its URL, or your proxy in front of it) for their links. Prints\n' +
        '`listening on URL` when ready and stops on SIGINT/SIGTERM.',
    )
    .addHelpText('after', `\n${RUN_EXIT_CODES_HELP}`)
    .action(act(files));

async function files(): Promise<number> {
  const config = loadConfig();
  // Registered before the server starts, so that a stop asked for during startup is not lost.
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const server = await startFileServerFor(config);
  console.log(`listening on ${server.url} (links: ${redactUrl(server.linkBase)})`);
  await stopSignal;
  await server.close();
  return 0;
}
