/**
 * The production stack's PostgreSQL, natively: the server of the host's PostgreSQL packages, its cluster
 * initialised on first start in the stack's folder, listening on a free loopback port only (no Unix socket),
 * with password authentication for the compose file's user. Run as the `postgres` user when we are root
 * (PostgreSQL refuses to run as root).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../src/temporal/dev-server';
import { type StartedService, run, startService, waitFor } from './processes';

/** The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/<major>/bin), or PG_BIN. */
export function postgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((d) => /^\d+$/.test(d)) : [];
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
  if (newest && existsSync(path.join(root, newest, 'bin', 'postgres'))) return path.join(root, newest, 'bin');
  try {
    return path.dirname(execFileSync('sh', ['-c', 'command -v postgres'], { encoding: 'utf8' }).trim());
  } catch {
    throw new Error('PostgreSQL not found: install it (Debian: apt-get install postgresql) or set PG_BIN');
  }
}

/** Who runs PostgreSQL: ourselves, or the `postgres` user when we are root. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      'running as root needs a `postgres` user to run PostgreSQL (the Debian package makes one)',
    );
  }
}

export async function startPostgres(options: {
  dir: string;
  user: string;
  password: string;
  log: string;
}): Promise<{ process: StartedService; port: number }> {
  const bin = postgresBin();
  const user = runAs();
  if (!existsSync(path.join(options.dir, 'PG_VERSION'))) {
    rmSync(options.dir, { recursive: true, force: true }); // a first start that did not finish
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    const pwfile = path.join(options.dir, '..', 'pg-password');
    writeFileSync(pwfile, options.password, { mode: 0o600 });
    if (user) {
      chownSync(options.dir, user.uid, user.gid);
      chownSync(pwfile, user.uid, user.gid);
    }
    try {
      await run(
        path.join(bin, 'initdb'),
        [
          '-D',
          options.dir,
          '-U',
          options.user,
          `--pwfile=${pwfile}`,
          '--auth=scram-sha-256',
          '-E',
          'UTF8',
          '--locale=C',
        ],
        { ...(user ?? {}), env: { PATH: process.env.PATH ?? '' } },
      );
    } catch (err) {
      const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
      throw new Error(
        `initdb failed (the postgres user must be able to reach ${options.dir}):\n${stdout}${stderr}`,
      );
    } finally {
      rmSync(pwfile, { force: true });
    }
  }
  const port = await freePort();
  const pg = startService({
    role: 'postgresql',
    command: path.join(bin, 'postgres'),
    args: [
      '-D',
      options.dir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      // Four Temporal services, each with its own pools of up to 20 + 10 connections.
      '-c',
      'max_connections=200',
    ],
    cwd: options.dir,
    logFile: options.log,
    env: {},
    user,
  });
  // Accepting connections, not only listening (a starting server refuses sessions).
  const ready = () =>
    run(path.join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)]).then(
      () => true,
      () => false,
    );
  await waitFor('PostgreSQL', pg, options.log, ready, 60_000);
  return { process: pg, port };
}
