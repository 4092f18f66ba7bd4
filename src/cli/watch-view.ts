/**
 * What `watch` (and `start --wait`) shows, as pure functions of the progress: a frame that fits a terminal
 * of `columns` × `rows` (the bar, credits, a pause's reason and the command that goes on, and a window of
 * segment rows around the active one), and the one line per change printed when the output is no terminal.
 */
import type { ChainProgress, SegmentState } from '../chain/progress';
import { forTerminal } from './terminal-text';

export interface TerminalSize {
  columns: number;
  rows: number;
}

const SYMBOL: Record<string, string> = {
  pending: '·',
  submitting: '↑',
  generating: '…',
  succeeded: '✓',
  failed: '✗',
};

/** The id as a shell word: pasted as it is, it names this chain. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9._:/@%+=-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The command that makes a paused chain go on. */
export const resumeCommandFor = (workflowId: string) => `long-video resume ${shellWord(workflowId)}`;

// East Asian wide characters and emoji take two columns (the main blocks; a rare one missed may wrap a line).
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f],
  [0x2e80, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd],
];
const isWide = (codePoint: number) => WIDE.some(([from, to]) => codePoint >= from && codePoint <= to);

/** `text` cut to at most `width` columns, with `…` where it was cut. */
export function fitWidth(text: string, width: number): string {
  let used = 0;
  let out = '';
  const chars = Array.from(text);
  for (let i = 0; i < chars.length; i++) {
    const w = isWide(chars[i]!.codePointAt(0)!) ? 2 : 1;
    const rest = chars.length - i;
    // Leave room for the ellipsis unless this is the last character and it fits.
    if (used + w > width - (rest > 1 ? 1 : 0)) return `${out}…`;
    out += chars[i];
    used += w;
  }
  return out;
}

/** Words of `text` in lines of at most `width` columns, at most `max` lines (the last one cut). */
function wrap(text: string, width: number, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && Array.from(`${line} ${word}`).length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  if (lines.length <= max) return lines.map((l) => fitWidth(l, width));
  const kept = lines.slice(0, max);
  kept[max - 1] = fitWidth(`${kept[max - 1]} ${lines.slice(max).join(' ')}`, width);
  return kept.map((l) => fitWidth(l, width));
}

/** The segment a person wants to see: the one in flight, else the first not done, else the last. */
export function activeSegmentIndex(segments: readonly SegmentState[]): number {
  const inFlight = segments.findIndex((s) => s.state === 'submitting' || s.state === 'generating');
  if (inFlight >= 0) return inFlight;
  const notDone = segments.findIndex((s) => s.state !== 'succeeded');
  return notDone >= 0 ? notDone : segments.length - 1;
}

export function segmentRow(s: SegmentState): string {
  const extra = s.lastError && s.state !== 'succeeded' ? `  (${forTerminal(s.lastError)})` : '';
  const tries = s.attempts > 1 ? ` ×${s.attempts}` : '';
  return `  ${SYMBOL[s.state] ?? '?'} ${String(s.index).padStart(3)} ${s.state.padEnd(10)}${tries} ${forTerminal(s.prompt).slice(0, 50)}${extra}`;
}

export const creditsText = (p: ChainProgress) =>
  `credits ${p.creditsSpent} spent / ${p.maxCredits === undefined ? 'no cap' : `${p.maxCredits} cap`}`;

/** Why the chain is not simply running, for people. */
const reasonOf = (p: ChainProgress) => forTerminal(p.paused?.reason ?? p.reason ?? '');

/**
 * The `first`..`last` rows (0-based, inclusive) of `count` segments that fit in `slots` lines with the
 * active one among them; a line says how many are left out above and below.
 */
function segmentWindow(count: number, active: number, slots: number) {
  if (count <= slots) return { first: 0, last: count - 1 };
  if (slots < 3) {
    const first = Math.min(active, count - slots);
    return { first, last: first + slots - 1 };
  }
  // Two lines for "N more above/below"; one of them goes back to rows when the window touches an end.
  const size = slots - 2;
  let first = Math.max(0, Math.min(active - Math.floor(size / 2), count - size));
  let last = first + size - 1;
  if (first === 0) last += 1;
  else if (last === count - 1) first -= 1;
  return { first, last };
}

/** The live frame: every line at most `columns - 1` wide, at most `rows - 1` lines (the cursor's line). */
export function watchFrame(workflowId: string, p: ChainProgress, size: TerminalSize): string[] {
  const width = Math.max(20, size.columns) - 1;
  const budget = Math.max(2, size.rows - 1);
  const counts = `${p.segmentsDone}/${p.segmentsTotal}  ${p.state}`;
  // The counts first, then a bar of at least 3, then the id in what is left (none on a tiny terminal).
  const room = width - counts.length - 3;
  const idRoom = Math.min(Math.floor(width / 3), room - 3 - 2);
  const id = idRoom >= 4 ? `${fitWidth(forTerminal(workflowId), idRoom)}  ` : '';
  const barWidth = Math.max(3, Math.min(40, room - Array.from(id).length));
  const filled = Math.round((p.segmentsDone / Math.max(1, p.segmentsTotal)) * barWidth);
  const bar = `${id}[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${counts}`;

  // Why the chain stopped comes first: on a small terminal it is what a person needs most.
  const notes: string[] = [];
  const reason = reasonOf(p);
  if (p.state === 'paused') {
    notes.push(...wrap(`paused: ${reason || 'no reason given'}`, width, 3));
    notes.push(`continue: ${resumeCommandFor(forTerminal(workflowId))}`);
  } else if (p.state !== 'running' && reason) notes.push(...wrap(`${p.state}: ${reason}`, width, 3));
  notes.push(creditsText(p));
  // The bar and the active segment's row always fit; the notes take what is left before more rows do.
  const shownNotes = notes.slice(0, Math.max(0, budget - 2));
  const slots = Math.max(1, budget - 1 - shownNotes.length);

  const lines = [bar, ...shownNotes];
  const segments = p.segments;
  if (segments.length > 0) {
    const { first, last } = segmentWindow(segments.length, activeSegmentIndex(segments), slots);
    const marked = slots >= 3; // else every line is a segment's
    if (marked && first > 0) lines.push(`  … ${first} more above`);
    for (let i = first; i <= last; i++) lines.push(segmentRow(segments[i]!));
    if (marked && last < segments.length - 1) lines.push(`  … ${segments.length - 1 - last} more below`);
  }
  return lines.map((l) => fitWidth(l, width));
}

/** One line for an output that is no terminal: printed each time it changes. */
export function watchLine(workflowId: string, p: ChainProgress): string {
  const parts = [forTerminal(workflowId), `${p.segmentsDone}/${p.segmentsTotal}`, p.state, creditsText(p)];
  const active = p.segments[activeSegmentIndex(p.segments)];
  if (active && p.state !== 'completed') parts.push(`segment ${active.index} ${active.state}`);
  const reason = reasonOf(p);
  if (p.state === 'paused')
    parts.push(
      `paused: ${reason || 'no reason given'}`,
      `continue: ${resumeCommandFor(forTerminal(workflowId))}`,
    );
  else if (p.state !== 'running' && reason) parts.push(`${p.state}: ${reason}`);
  return parts.join('  ');
}
