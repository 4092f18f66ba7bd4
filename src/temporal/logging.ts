/** Worker logs for our processes: the SDK's logger at the given level (the Config's LOG_LEVEL), minus known noise. */
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

// Expected with one worker per task queue (workflows on one, activities on the other).
const NOISE = [/^No activities registered, not polling/, /^No workflows registered, not polling/];

export function workerLogger(level: LogLevel): DefaultLogger {
  const base = new DefaultLogger(level);
  return new DefaultLogger(level, (entry: LogEntry) => {
    if (!NOISE.some((re) => re.test(entry.message))) base.log(entry.level, entry.message, entry.meta);
  });
}
