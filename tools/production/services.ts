/**
 * How each service of the native production stack is launched, kept in its state so that one service can
 * be started again alone (`--restart ROLE`) exactly as `up` started it. No secret is kept: compose's
 * environment is read again from the env file, and the database password from secrets.json.
 */
import { resolveTemporalCli } from '../../src/temporal/binaries';
import { type Compose, type Env, setFlag } from './compose';
import { type StartedService, answers, listening, logSays, run, startService, waitFor } from './processes';

/** When a started service is ready. */
export type Readiness =
  | { log: string } // this run's part of its log says it
  | { http: string } // GET answers 2xx
  | { port: number } // accepts TCP connections on 127.0.0.1
  | { temporal: string }; // `temporal operator cluster health` answers at this address

export interface Launch {
  role: string;
  /** What it is, for messages: `the Temporal server`. */
  name: string;
  /** The compose service whose environment it gets. */
  service: string;
  command: string;
  args: string[];
  /**
   * Then compose's command of the service, with these flags set (`--port`: a native port): read again on
   * each start, as it may hold a secret (the simulator's `--api-key`).
   */
  composeCommand?: { flags: Record<string, string> };
  cwd: string;
  logFile: string;
  /** What differs natively from compose's environment (addresses, ports, folders); never a secret. */
  env: Env;
  /** Whether it gets the database password (POSTGRES_PWD). */
  database?: boolean;
  ready: Readiness;
}

function commandOf(launch: Launch, compose: Compose): string[] {
  if (!launch.composeCommand) return [];
  return Object.entries(launch.composeCommand.flags).reduce(
    (args, [flag, value]) => setFlag(args, flag, value),
    compose.command(launch.service),
  );
}

function ready(r: Readiness, logFile: string, started: StartedService): () => Promise<boolean> {
  if ('log' in r) return logSays(logFile, started.logOffset, r.log);
  if ('http' in r) return () => answers(r.http);
  if ('port' in r) return () => listening(r.port);
  const health = () =>
    run(resolveTemporalCli(), ['operator', 'cluster', 'health', '--address', r.temporal], {
      env: { ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' },
    }).then(
      () => true,
      () => false,
    );
  const port = Number(r.temporal.split(':').pop());
  return async () => (await listening(port)) && health();
}

/**
 * Start a service as `launch` says and wait until it is ready. `onStarted` sees the process as soon as it
 * runs, so that a failed wait still leaves it recorded (and stopped by `down`).
 */
export async function launchService(
  launch: Launch,
  {
    compose,
    databasePassword,
    onStarted,
  }: {
    compose: Compose;
    databasePassword: string;
    onStarted: (p: StartedService) => void;
  },
): Promise<StartedService> {
  const started = startService({
    role: launch.role,
    command: launch.command,
    args: [...launch.args, ...commandOf(launch, compose)],
    cwd: launch.cwd,
    logFile: launch.logFile,
    env: {
      ...compose.environment(launch.service),
      ...launch.env,
      ...(launch.database ? { POSTGRES_PWD: databasePassword } : {}),
    },
  });
  onStarted(started);
  await waitFor(launch.name, started, launch.logFile, ready(launch.ready, launch.logFile, started));
  return started;
}
