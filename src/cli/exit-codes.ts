/** The exit codes of every `long-video` command: the one table scripts can rely on. */
import type { ChainState } from '../chain/progress';

export const EXIT = {
  /** Done; for a chain: running or completed. */
  ok: 0,
  /** Anything that went wrong; for a chain: it failed (or was terminated). */
  failure: 1,
  /** Bad usage or input, or a request the chain refused (an id in use, an update its validator refused). */
  usage: 2,
  /** The chain was cancelled. */
  cancelled: 3,
  /** No chain with that id (for pause, redo and append: no open one). */
  notFound: 4,
  /** The chain is paused. */
  paused: 5,
} as const;

/** A chain's state as an exit code (`status`, `watch`, `start --wait`, `demo`). */
export const EXIT_FOR_STATE: Record<ChainState, number> = {
  completed: EXIT.ok,
  running: EXIT.ok,
  paused: EXIT.paused,
  failed: EXIT.failure,
  cancelled: EXIT.cancelled,
};

/** For commands that report no chain's state: a worker, the simulator, `list`... */
export const RUN_EXIT_CODES_HELP = 'Exit codes: 0 ok, 1 failure, 2 bad usage.';

/** The table, for `--help`. */
export const EXIT_CODES_HELP =
  'Exit codes: 0 ok (a chain running or completed), 1 failure (a chain failed), 2 bad usage or a refused ' +
  'request, 3 cancelled, 4 no such chain, 5 paused.';
