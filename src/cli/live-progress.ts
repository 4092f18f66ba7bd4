/**
 * Showing a chain live while it is followed: on a terminal, one frame (watch-view.ts) redrawn in place and
 * again whenever the terminal is resized; elsewhere, one plain line per change, no escape codes. The
 * cursor movements are ansi-escapes', kept to this file.
 */
import ansiEscapes from 'ansi-escapes';
import type { ChainProgress } from '../chain/progress';
import { type TerminalSize, watchFrame, watchLine } from './watch-view';

/** Where the display writes: `process.stdout`, or a test's stand-in. */
export interface LiveOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

export interface LiveProgress {
  show(progress: ChainProgress): void;
  /**
   * Stop following resizes and print `after` (e.g. where the files are) below the last frame, which is
   * drawn again shorter if need be so that it stays whole on the screen with them and the shell's prompt.
   */
  close(after?: readonly string[]): void;
}

/** A terminal that does not say its size is taken to be the classic one. */
const DEFAULT_SIZE: TerminalSize = { columns: 80, rows: 24 };

export function liveProgress(workflowId: string, out: LiveOutput = process.stdout): LiveProgress {
  if (!out.isTTY) {
    let last = '';
    return {
      show(progress) {
        const line = watchLine(workflowId, progress);
        if (line !== last) out.write(`${line}\n`);
        last = line;
      },
      close(after = []) {
        for (const line of after) out.write(`${line}\n`);
      },
    };
  }

  let latest: ChainProgress | undefined;
  let shownLines = 0;
  let shownText = '';
  const draw = (afresh = false, linesBelow = 0) => {
    if (!latest) return;
    const rows = (out.rows || DEFAULT_SIZE.rows) - linesBelow;
    const size = { columns: out.columns || DEFAULT_SIZE.columns, rows };
    const text = watchFrame(workflowId, latest, size).join('\n');
    if (text === shownText && !afresh) return;
    // A resize may reflow what is on the screen, so the old frame's lines cannot be counted: start afresh.
    // Else the cursor is on the line below the frame: erase that line and the frame's, then draw anew.
    const erase = afresh
      ? ansiEscapes.eraseScreen + ansiEscapes.cursorTo(0, 0)
      : shownLines
        ? ansiEscapes.eraseLines(shownLines + 1)
        : '';
    out.write(`${erase}${text}\n`);
    shownLines = text.split('\n').length;
    shownText = text;
  };
  const onResize = () => draw(shownLines > 0);
  out.on?.('resize', onResize);
  return {
    show(progress) {
      latest = progress;
      draw();
    },
    close(after = []) {
      out.off?.('resize', onResize);
      if (after.length) draw(false, after.length);
      for (const line of after) out.write(`${line}\n`);
    },
  };
}
