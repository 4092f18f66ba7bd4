/**
 * One Temporal server per SQLite database: `<db>.lock` names the process that holds it (the server, or
 * while it starts, the process starting it). A lock whose holder is gone (or whose pid now runs another
 * program) is stale and taken over; a live holder is refused with its pid. SQLite's own locks do not
 * stop a second server: in WAL mode two processes open the file happily and corrupt each other's view.
 */
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { type RecordedProcess, isRecordedProcessAlive, recordProcess } from './processes';

export class DatabaseInUse extends Error {
  constructor(
    readonly dbFilename: string,
    readonly holder: RecordedProcess,
  ) {
    super(
      `${dbFilename} is in use by a running Temporal server (${holder.role} pid ${holder.pid}): ` +
        `stop it first (\`long-video dev --stop\` stops one a killed \`long-video dev\` left behind)`,
    );
    this.name = 'DatabaseInUse';
  }
}

export interface DbLock {
  readonly file: string;
  /** The server now holds the database (it outlives us if we are killed). */
  handOver(server: RecordedProcess): void;
  release(): void;
}

export const lockFileOf = (dbFilename: string) => `${dbFilename}.lock`;

/** The lock's holder, if the lock file is there and readable. */
export function readDbLock(dbFilename: string): RecordedProcess | undefined {
  try {
    const holder = JSON.parse(readFileSync(lockFileOf(dbFilename), 'utf8')) as RecordedProcess;
    return typeof holder?.pid === 'number' ? holder : undefined;
  } catch {
    return undefined;
  }
}

export function acquireDbLock(dbFilename: string): DbLock {
  const file = lockFileOf(dbFilename);
  const write = (holder: RecordedProcess, exclusive: boolean) => {
    // Written whole under a temporary name, then linked (fails if the lock exists) or renamed into place:
    // a reader never sees half a lock.
    const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(temp, JSON.stringify(holder));
    try {
      if (exclusive) linkSync(temp, file);
      else renameSync(temp, file);
    } finally {
      rmSync(temp, { force: true });
    }
  };
  let current = recordProcess('starting process', process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      write(current, true);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw err;
    }
    const holder = readDbLock(dbFilename);
    if (holder && isRecordedProcessAlive(holder)) throw new DatabaseInUse(dbFilename, holder);
    rmSync(file, { force: true }); // stale: its holder is gone
  }
  return {
    file,
    handOver(server) {
      current = server;
      write(server, false);
    },
    release() {
      // Only our own lock: never one another process took over meanwhile.
      if (readDbLock(dbFilename)?.pid === current.pid) rmSync(file, { force: true });
    },
  };
}
