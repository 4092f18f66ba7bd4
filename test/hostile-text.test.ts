/**
 * Text from users and the provider (prompts, task ids, URLs, failure and pause reasons) shown to people:
 * in the Web UI's Markdown details it stays inside its table cell and cannot add HTML, links or headings;
 * on a terminal it cannot move the cursor, recolour, retitle or reorder what is shown.
 */
import { setCurrentDetails } from '@temporalio/workflow';
import { renderProgress } from '../src/cli/print';
import { watchFrame, watchLine } from '../src/cli/watch-view';
import { Chain } from '../src/workflows/chain';
import { type ChainProgress } from '../src/chain/progress';
import { parseLongVideoInput } from '../src/chain/input';

jest.mock('@temporalio/workflow', () => ({
  ...jest.requireActual('@temporalio/workflow'),
  setCurrentDetails: jest.fn(),
  upsertSearchAttributes: jest.fn(),
}));

const HOSTILE_PROMPT =
  'a boat | broken | cells\n\n# Heading\n<img src=x onerror=alert(1)> [click](javascript:alert(1)) `code` *bold* &amp;';
const HOSTILE_URL = 'https://user:secret@cdn.example/v.mp4) [x](javascript:alert(1)) <b>';

function lastDetails(): string {
  const calls = (setCurrentDetails as jest.Mock).mock.calls;
  return calls[calls.length - 1]![0] as string;
}

describe('Web UI details', () => {
  const chain = new Chain(
    parseLongVideoInput({ prompts: [HOSTILE_PROMPT, 'plain', 'x'.repeat(300)], aspectRatio: '16:9' }),
  );
  const [first] = chain.segments;
  chain.succeeded(first!, { taskId: 'task|<i>1</i>', state: 'success', videoUrl: HOSTILE_URL }, 'poll');
  chain.pause('the provider said: <script>alert(1)</script>\n\n| a | b |\n# big', 'op <b>x</b>');
  const details = lastDetails();
  const lines = details.split('\n');

  test('every segment is one table row of six cells', () => {
    const rows = lines.filter((l) => /^\| \d+ \|/.test(l));
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.split(/(?<!\\)\|/)).toHaveLength(8);
    // Nothing else looks like a table row, a heading or a block quote.
    expect(lines.filter((l) => l.startsWith('|'))).toHaveLength(5);
    expect(lines.some((l) => /^\s*(#|>)/.test(l))).toBe(false);
  });

  test('no HTML, no link but our own, no credentials', () => {
    expect(details).not.toMatch(/<[a-z/!]/i);
    expect(details).not.toMatch(/\]\(\s*javascript:/i);
    expect(details).not.toContain('secret');
    // The one link is the video's, its target a single URL token without spaces or parentheses.
    const links = [...details.matchAll(/(?<!\\)\]\(([^)]*)\)/g)].map((m) => m[1]!);
    expect(links).toHaveLength(1);
    expect(links[0]).toMatch(/^https:\/\/cdn\.example\/[^\s()<>]*$/);
  });

  test('the reason stays on the first line, and the words are still there', () => {
    const shown = lines[0]!.replace(/\\(.)/g, '$1'); // as the Markdown renders it
    expect(shown).toContain('paused');
    expect(shown).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(shown).toContain('big');
    expect(details).toContain('a boat');
  });
});

// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('terminal output', () => {
  const ESC = '\x1b';
  const hostile = `red ${ESC}[31mtext${ESC}[0m ${ESC}]0;owned title\x07 ${ESC}[2J clear \u202eevil\u202c \x9b31m c1 \x07bell`;
  const progress: ChainProgress = {
    state: 'paused',
    reason: `provider: ${hostile}`,
    run: 1,
    creditsSpent: 12,
    segmentsDone: 0,
    segmentsTotal: 1,
    segments: [{ index: 1, prompt: hostile, state: 'failed', attempts: 2, failures: 1, lastError: hostile }],
    startedAt: '2024-01-01T00:00:00Z',
    updatedAt: '2024-01-01T00:00:00Z',
  };

  test('renderProgress prints no control characters, escape sequences or bidi overrides', () => {
    const text = renderProgress(`id-${ESC}[1A`, progress);
    expect(text.replace(/\n/g, '')).not.toMatch(UNPRINTABLE);
    expect(text).toContain('text');
    expect(text).toContain('evil');
    // The bar, credits, the command that goes on and the one segment: nothing in the text adds a line.
    expect(text.split('\n')).toHaveLength(4);
  });

  test('the watch frame and line print none either, at any size', () => {
    const id = `id-${ESC}[1A`;
    for (const size of [
      { columns: 80, rows: 24 },
      { columns: 30, rows: 4 },
    ]) {
      const frame = watchFrame(id, progress, size);
      for (const line of frame) expect(line).not.toMatch(UNPRINTABLE);
      expect(frame.join(' ')).toContain('paused: provider: red text');
    }
    expect(watchLine(id, progress)).not.toMatch(UNPRINTABLE);
  });
});
