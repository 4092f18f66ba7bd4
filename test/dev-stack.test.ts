/**
 * `long-video dev` after its supervisor is killed with SIGKILL: the Temporal server it started lives on
 * (an orphan). `dev --stop` and a new `dev` find it from the pids recorded in .data/dev.json and stop it;
 * while it lives, no second server opens its database; a recorded pid now used by another program is
 * never killed. Real processes: the compiled CLI in a temporary folder, on free ports.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { CLI_BIN } from '../tools/lab/worker-process';
import { freePort, startDevServer } from '../src/temporal/dev-server';
import { retentionDays } from './support/temporal';

jest.setTimeout(300_000);

const dir = mkdtempSync(path.join(os.tmpdir(), 'long-video-dev-'));
const stateFile = path.join(dir, '.data', 'dev.json');
const seen = new Set<number>();
const others: ChildProcess[] = [];

interface State {
  pid: number;
  children?: { role: string; pid: number; cmdline: string }[];
}

function cli(args: string[], timeout = 150_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
    execFile(process.execPath, [CLI_BIN, ...args], { cwd: dir, env, timeout }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

/** Alive and not a zombie (an orphan is reaped by whoever adopted it, maybe never in a container). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function readState(): State {
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as State;
  seen.add(state.pid);
  for (const c of state.children ?? []) seen.add(c.pid);
  return state;
}

/** The recorded Temporal server of the stack in `dir`. */
function serverOf(state: State) {
  const server = state.children?.find((c) => c.role === 'temporal');
  if (!server) throw new Error(`no Temporal server recorded in ${JSON.stringify(state)}`);
  return server;
}

afterAll(async () => {
  await cli(['dev', '--stop'], 60_000).catch(() => undefined);
  for (const pid of seen) if (alive(pid)) process.kill(pid, 'SIGKILL');
  // Whatever still runs with our folder on its command line (its database), recorded or not.
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    const cmdline = (() => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    })();
    if (cmdline.includes(dir) && Number(pid) !== process.pid) process.kill(Number(pid), 'SIGKILL');
  }
  for (const child of others) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('dev --stop and a new dev stop the orphans of a killed stack; its database is not opened twice', async () => {
  const [port, uiPort] = [await freePort(), await freePort()];
  const args = ['dev', '--detach', '--port', String(port), '--ui-port', String(uiPort)];
  const first = await cli(args);
  expect(first).toMatchObject({ code: 0 });
  const state = readState();
  const server = serverOf(state);
  expect(alive(server.pid)).toBe(true);
  // Closed chains are kept CHAIN_RETENTION_DAYS (30 unless set), not start-dev's 24 hours.
  const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
  expect(await retentionDays(connection, 'default').finally(() => connection.close())).toBe(30);

  process.kill(state.pid, 'SIGKILL');
  await until('the supervisor to die', () => !alive(state.pid));
  expect(alive(server.pid)).toBe(true); // the orphan
  expect(await portOpen(port)).toBe(true);

  // No second server on the same database while the orphan holds it.
  await expect(
    startDevServer({ ui: false, dbFilename: path.join(dir, '.data', 'temporal.db'), startTimeoutMs: 20_000 }),
  ).rejects.toThrow(new RegExp(`in use.*pid ${server.pid}`));

  // A new stack on the same port stops the orphan and runs its own server.
  const second = await cli(args);
  expect(second.code).toBe(0);
  expect(second.out).toContain(`pid ${server.pid}`);
  expect(alive(server.pid)).toBe(false);
  const next = readState();
  const nextServer = serverOf(next);
  expect(nextServer.pid).not.toBe(server.pid);
  expect(alive(nextServer.pid)).toBe(true);
  expect(await portOpen(port)).toBe(true);

  // Killed again: `dev --stop` finds the orphan and stops it.
  process.kill(next.pid, 'SIGKILL');
  await until('the second supervisor to die', () => !alive(next.pid));
  const stopped = await cli(['dev', '--stop'], 60_000);
  expect(stopped.code).toBe(0);
  expect(stopped.out).toContain(`pid ${nextServer.pid}`);
  await until('the orphan to be gone', () => !alive(nextServer.pid), 15_000);
  await until('its port to close', async () => !(await portOpen(port)), 15_000);
  expect(existsSync(stateFile)).toBe(false);
});

test('a recorded pid that is now another program is never killed', async () => {
  const stranger = spawn('sleep', ['120'], { stdio: 'ignore' });
  others.push(stranger);
  const fake = spawn('sleep', ['120'], { stdio: 'ignore' });
  others.push(fake);
  const deadSupervisor = fake.pid!;
  fake.kill('SIGKILL');
  await until('the fake supervisor to die', () => !alive(deadSupervisor));
  writeFileSync(
    stateFile,
    JSON.stringify({
      pid: deadSupervisor,
      env: {},
      children: [{ role: 'temporal', pid: stranger.pid, cmdline: 'temporal server start-dev --port 1' }],
    }),
  );
  const stopped = await cli(['dev', '--stop'], 60_000);
  expect(stopped.code).toBe(0);
  expect(alive(stranger.pid!)).toBe(true);
  expect(existsSync(stateFile)).toBe(false);
});
