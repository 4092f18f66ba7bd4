/** What chain operations refuse, typed, so that a caller (the CLI, a back end) decides what to do. */

/** No chain with that id (or, for an update, no open one). */
export class ChainNotFound extends Error {
  constructor(
    readonly workflowId: string,
    message = `no chain with id ${workflowId}`,
  ) {
    super(message);
    this.name = 'ChainNotFound';
  }
}

/**
 * A request the chain refuses, changing nothing: an update its validator turned down, an id in use, a
 * closed chain that cannot be resumed. The message says why and what to do instead.
 */
export class ChainRequestRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChainRequestRefused';
  }
}
