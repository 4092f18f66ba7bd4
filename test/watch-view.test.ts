/**
 * What `watch` shows, in process: the frame fits any terminal with the bar and the active segment in it,
 * a pause shows its reason and the command that goes on, and an output that is no terminal gets one
 * plain line per change, redrawn frames and resizes only on a terminal.
 */
import { EventEmitter } from 'node:events';
import type { ChainProgress, SegmentState } from '../src/chain/progress';
import { liveProgress } from '../src/cli/live-progress';
import { listTable } from '../src/cli/inspect';
import { renderProgress } from '../src/cli/print';
import { fitWidth, watchFrame, watchLine } from '../src/cli/watch-view';

function chain(total: number, done: number, extra: Partial<ChainProgress> = {}): ChainProgress {
  const segments: SegmentState[] = Array.from({ length: total }, (_, i) => ({
    index: i + 1,
    prompt: `prompt number ${i + 1} of a long storyboard about a paper boat drifting down a river`,
    state: i < done ? 'succeeded' : i === done ? 'generating' : 'pending',
    attempts: i <= done ? 1 : 0,
    failures: 0,
  }));
  return {
    state: 'running',
    run: 1,
    creditsSpent: (done + 1) * 12,
    maxCredits: 600,
    segmentsDone: done,
    segmentsTotal: total,
    segments,
    startedAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

const ESC = '\u001b';
const width = (line: string) => Array.from(line).length;
const activeRow = (index: number) => new RegExp(`^ {2}… +${index} gen`);

describe('watchFrame', () => {
  test.each([
    [80, 24],
    [80, 10],
    [40, 6],
    [200, 60],
    [30, 3],
  ])('fits %i×%i with the bar and the active segment, wherever it is', (columns, rows) => {
    for (const done of [0, 1, 17, 20, 38, 39]) {
      const frame = watchFrame('long-video-abc', chain(40, done), { columns, rows });
      expect(frame.length).toBeLessThanOrEqual(Math.max(2, rows - 1));
      for (const line of frame) expect(width(line)).toBeLessThan(Math.max(20, columns));
      expect(frame[0]).toMatch(new RegExp(`\\[[#-]+\\] ${done}/40 +running`));
      expect(frame.some((l) => activeRow(done + 1).test(l))).toBe(true);
    }
  });

  test('on 80×24 a 40-segment chain shows credits, a window around the active segment and what is left out', () => {
    const frame = watchFrame('long-video-abc', chain(40, 20), { columns: 80, rows: 24 });
    expect(frame).toHaveLength(23);
    expect(frame[1]).toBe('credits 252 spent / 600 cap');
    expect(frame[0]).toMatch(/^long-video-abc {2}\[#+-+\] 20\/40 {2}running$/);
    expect(frame[2]).toMatch(/^ {2}… \d+ more above$/);
    expect(frame[22]).toMatch(/^ {2}… \d+ more below$/);
    const rows = frame.slice(3, 22).map((l) => Number(l.slice(4, 8)));
    expect(rows).toEqual(Array.from({ length: 19 }, (_, i) => rows[0]! + i));
    expect(rows).toContain(21);
    const [above, below] = [Number(frame[2]!.match(/\d+/)![0]), Number(frame[22]!.match(/\d+/)![0])];
    expect(above + rows.length + below).toBe(40);
  });

  test('a short chain is shown whole, with no markers', () => {
    const frame = watchFrame('x', chain(4, 2, { maxCredits: undefined }), { columns: 80, rows: 24 });
    expect(frame[1]).toBe('credits 36 spent / no cap');
    expect(frame.slice(2).map((l) => l.slice(4, 8).trim())).toEqual(['1', '2', '3', '4']);
  });

  test('a pause shows its reason and the exact command that goes on', () => {
    const paused = chain(40, 12, {
      state: 'paused',
      paused: { reason: 'checking the look', by: 'ana@host', at: '2026-01-01T00:00:00.000Z' },
    });
    const frame = watchFrame('dv 4', paused, { columns: 80, rows: 24 });
    expect(frame).toContain('paused: checking the look');
    expect(frame).toContain(`continue: long-video resume 'dv 4'`);
    expect(frame.some((l) => activeRow(13).test(l))).toBe(true);
    // A long reason wraps onto at most three lines, and still leaves the segments room.
    const long = watchFrame(
      'dv-4',
      { ...paused, paused: { ...paused.paused!, reason: 'word '.repeat(200) } },
      { columns: 80, rows: 12 },
    );
    expect(long.filter((l) => /^(paused: )?word/.test(l))).toHaveLength(3);
    expect(long.some((l) => activeRow(13).test(l))).toBe(true);
  });

  test('text from users reaches the frame without control characters', () => {
    const p = chain(3, 1);
    p.segments[1]!.prompt = 'evil \u001b[2J\u001b]8;;http://x\u0007link\u202e';
    const frame = watchFrame('id\u001b[1A', p, { columns: 80, rows: 24 }).join('\n');
    // eslint-disable-next-line no-control-regex
    expect(frame).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
  });

  test('fitWidth counts wide characters as two columns and marks a cut', () => {
    expect(fitWidth('abcdef', 6)).toBe('abcdef');
    expect(fitWidth('abcdefg', 6)).toBe('abcde…');
    expect(fitWidth('紙の舟が流れる', 6)).toBe('紙の…');
  });
});

describe('watchLine and status', () => {
  test('one line with progress, credits, the active segment, and a pause with its command', () => {
    expect(watchLine('c1', chain(5, 2))).toBe(
      'c1  2/5  running  credits 36 spent / 600 cap  segment 3 generating',
    );
    const done = chain(2, 2, { state: 'completed' });
    expect(watchLine('c1', done)).toMatch(/^c1 {2}2\/2 {2}completed {2}credits/);
    const paused = chain(5, 2, {
      state: 'paused',
      paused: { reason: 'budget', by: 'chain', at: '2026-01-01T00:00:00.000Z' },
    });
    expect(watchLine('c1', paused)).toContain('paused: budget  continue: long-video resume c1');
  });

  test('status text shows credits and, when paused, the command that goes on', () => {
    const paused = chain(3, 1, {
      state: 'paused',
      paused: { reason: 'budget', by: 'chain', at: '2026-01-01T00:00:00.000Z' },
    });
    const text = renderProgress('c1', paused).split('\n');
    expect(text[0]).toMatch(/1\/3 {2}paused: budget$/);
    expect(text[1]).toBe('credits 24 spent / 600 cap');
    expect(text[2]).toBe('continue: long-video resume c1');
  });

  test('list shows segments done/total and credits spent/cap in aligned columns', () => {
    const table = listTable([
      {
        workflowId: 'a',
        state: 'running',
        segmentsDone: 3,
        segmentsTotal: 40,
        creditsSpent: 48,
        maxCredits: 600,
        startedAt: 'T1',
      },
      {
        workflowId: 'bbbbbb',
        state: 'completed',
        segmentsDone: 2,
        segmentsTotal: 2,
        creditsSpent: 24,
        maxCredits: null,
        startedAt: 'T2',
      },
      {
        workflowId: 'c',
        state: 'paused',
        segmentsDone: 0,
        segmentsTotal: 1,
        creditsSpent: null,
        maxCredits: null,
        startedAt: 'T3',
      },
    ]).split('\n');
    expect(text0(table)).toEqual(['ID', 'STATE', 'SEGMENTS', 'CREDITS', 'STARTED']);
    expect(table[1]).toBe('a       running    3/40      48/600     T1');
    expect(table[2]).toBe('bbbbbb  completed  2/2       24/no cap  T2');
    expect(table[3]).toBe('c       paused     0/1       ?/?        T3');
  });
});

const text0 = (table: string[]) => table[0]!.split(/\s+/);

/** A terminal stand-in: what was written, its size, and resize events. */
class FakeTerminal extends EventEmitter {
  written: string[] = [];
  constructor(
    public isTTY: boolean,
    public columns = 80,
    public rows = 24,
  ) {
    super();
  }
  write(text: string) {
    this.written.push(text);
    return true;
  }
}

describe('liveProgress', () => {
  test('no terminal: one plain line per change, nothing for a repeat', () => {
    const out = new FakeTerminal(false);
    const live = liveProgress('c1', out);
    live.show(chain(3, 0));
    live.show(chain(3, 0));
    live.show(chain(3, 1));
    live.close();
    expect(out.written).toHaveLength(2);
    for (const w of out.written) {
      expect(w.endsWith('\n')).toBe(true);
      expect(w.split('\n')).toHaveLength(2);
      expect(w).not.toContain('\u001b');
    }
  });

  test('a terminal: the frame is redrawn in place, and afresh at the new size on resize', () => {
    const out = new FakeTerminal(true, 80, 24);
    const live = liveProgress('c1', out);
    live.show(chain(40, 5));
    expect(out.written[0]!.split('\n')).toHaveLength(24); // 23 lines and the cursor's
    live.show(chain(40, 6));
    // Erases the 23 lines drawn and the cursor's line, then draws.
    expect(out.written[1]!.split(`${ESC}[2K`)).toHaveLength(25);
    out.rows = 10;
    out.emit('resize');
    const redrawn = out.written[2]!;
    expect(redrawn.startsWith('\u001b[2J\u001b[1;1H')).toBe(true);
    expect(redrawn.split('\n')).toHaveLength(10);
    // At the end, the frame is drawn again short enough for what follows and the shell's prompt.
    live.close(['video:    /x/final.mp4', 'report:   /x/index.html']);
    expect(out.written[3]!.split('\n')).toHaveLength(8); // 7 lines and the cursor's
    expect(out.written.slice(4)).toEqual(['video:    /x/final.mp4\n', 'report:   /x/index.html\n']);
    out.emit('resize');
    expect(out.written).toHaveLength(6);
    expect(out.listenerCount('resize')).toBe(0);
  });
});
