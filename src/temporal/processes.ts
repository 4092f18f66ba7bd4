/**
 * Processes we started and recorded (pid + command line), found again later by another command: a pid is
 * ours only while the process holding it has the command line we recorded, so a pid the OS has since
 * given to another program is never signalled.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface RecordedProcess {
  /** What it is, for messages: `supervisor`, `temporal`. */
  role: string;
  pid: number;
  /** Its command line when it was recorded (arguments joined by spaces). */
  cmdline: string;
}

/** A live process's command line (arguments joined by spaces), or undefined when there is no such process. */
export function processCmdline(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.replace(/\0+$/, '').split('\0').join(' ') || undefined; // empty: a zombie
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && hasProc()) return undefined;
  }
  try {
    // No /proc (macOS): ps answers the same for a live pid.
    const out = execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8', timeout: 5_000 });
    return out.trim() || undefined;
  } catch {
    return undefined;
  }
}

let procMounted: boolean | undefined;
function hasProc(): boolean {
  if (procMounted === undefined) {
    try {
      readFileSync('/proc/self/cmdline');
      procMounted = true;
    } catch {
      procMounted = false;
    }
  }
  return procMounted;
}

/** Record a live process as it is now. */
export function recordProcess(role: string, pid: number): RecordedProcess {
  return { role, pid, cmdline: processCmdline(pid) ?? '' };
}

/** Whether the recorded process still runs: the pid is alive and holds the same command line. */
export function isRecordedProcessAlive(p: RecordedProcess): boolean {
  return Boolean(p.cmdline) && processCmdline(p.pid) === p.cmdline;
}

/**
 * Stop a recorded process: SIGTERM, then SIGKILL after `graceMs`; answers how it ended. Never signals a
 * pid that is not (or no longer) the recorded process.
 */
export async function stopRecordedProcess(
  p: RecordedProcess,
  graceMs = 10_000,
): Promise<'not-running' | 'stopped' | 'killed'> {
  if (!isRecordedProcessAlive(p)) return 'not-running';
  const gone = async (ms: number) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (!isRecordedProcessAlive(p)) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return !isRecordedProcessAlive(p);
  };
  signal(p.pid, 'SIGTERM');
  if (await gone(graceMs)) return 'stopped';
  if (isRecordedProcessAlive(p)) signal(p.pid, 'SIGKILL');
  await gone(5_000);
  return 'killed';
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone meanwhile
  }
}
