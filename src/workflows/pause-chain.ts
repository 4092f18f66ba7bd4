/** Why a segment could not go on: thrown inside the chain, caught by its loop, which pauses and says so. */
export class PauseChain extends Error {
  constructor(
    readonly reason: string,
    readonly by: string,
    /** The segment's task is paid for and still ours: a resume awaits it again rather than resubmitting. */
    readonly keepTask = false,
  ) {
    super(reason);
  }
}

/** Who pauses a chain on a create that may have made a task we cannot find. */
export const GUARD = 'never-pay-twice guard';

/** Provider text in a reason: one line, no control characters, not endless. */
export const quote = (text: string | undefined) =>
  `"${(text ?? '')
    .replace(/[\p{Cc}\p{Cf}]+/gu, ' ')
    .trim()
    .slice(0, 300)}"`;
