/**
 * How the Web UI shows a chain: its search attributes (state, segments done and total, for lists and
 * filters) and its current details, a Markdown head and table of segments. Workflow code.
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { ChainProgress } from '../chain/progress';
import { mdLink, mdText } from '../chain/markdown';
import { LongVideoSegmentsDone, LongVideoSegmentsTotal, LongVideoState } from '../chain/search-attributes';

export class WebUiView {
  private publishedAttributes?: string;

  /** Show `progress`; `at` is the segment the chain is at (the table shows the rows around it). */
  show(progress: ChainProgress, at: number | undefined): void {
    const { state, segmentsDone, segmentsTotal } = progress;
    // Search attributes are history events: write them only when they change.
    const attributes = [state, segmentsDone, segmentsTotal].join('|');
    if (attributes !== this.publishedAttributes) {
      upsertSearchAttributes([
        { key: LongVideoState, value: state },
        { key: LongVideoSegmentsDone, value: segmentsDone },
        { key: LongVideoSegmentsTotal, value: segmentsTotal },
      ]);
      this.publishedAttributes = attributes;
    }
    setCurrentDetails(details(progress, at ?? segmentsTotal));
  }
}

function details(p: ChainProgress, at: number): string {
  // Every user- or provider-supplied text is escaped (`mdText`, `mdLink`): one line, no HTML, no links
  // of its own. Current details are not a history command: no patch is needed to change them.
  const who = !p.paused
    ? ''
    : p.paused.by === 'review' // a review gate: it awaits an operator's approve (or redo)
      ? ` (awaiting review since ${p.paused.at})`
      : ` (paused by ${mdText(p.paused.by, 100)} at ${p.paused.at})`;
  const cap = p.maxCredits !== undefined ? ` of ${p.maxCredits}` : '';
  const head = `**${p.state}**${p.reason ? `: ${mdText(p.reason, 1000)}` : ''}${who} · ${p.segmentsDone} of ${p.segmentsTotal} segments · run ${p.run} · ${p.creditsSpent}${cap} credits`;
  const o = p.outputs;
  const links = [
    o?.report && outputLink('report', o.report, o.urls?.report),
    o?.video && outputLink('video', o.video, o.urls?.video),
    o?.preview && !o.video && outputLink('preview so far', o.preview, o.urls?.preview),
    o?.manifest && outputLink('manifest', o.manifest, o.urls?.manifest),
  ].filter(Boolean);
  // A long chain shows the rows around where it is; `long-video status` has them all.
  const shown = p.segments.filter((s) => s.index > at - 40 && s.index <= at + 10);
  const rows = shown.map((s) => {
    // The archived copy where the folder is served; else the provider's URL (it expires after 14 days).
    const url = s.archive?.url ?? s.videoUrl;
    const video = url ? mdLink('video', url) : '';
    const task = mdText(s.taskId ?? '', 40);
    return `| ${s.index} | ${s.state} | ${s.attempts} | ${task} | ${video} | ${mdText(s.prompt, 60)} |`;
  });
  const hidden = p.segments.length - shown.length;
  return [
    head,
    ...(links.length ? ['', links.join(' · ')] : []),
    '',
    '| # | state | attempts | task | video | prompt |',
    '|---|---|---|---|---|---|',
    ...rows,
    ...(hidden ? ['', `(${hidden} more segments: \`long-video status\` lists them all)`] : []),
  ].join('\n');
}

/** A deliverable's link: its HTTP URL where the output folder is served, else its path as a file:// link. */
const outputLink = (label: string, file: string, url: string | undefined) =>
  url ? mdLink(label, url) : `[${label}](${fileUrl(file)})`;

/**
 * A local path as a file:// link: a chain's folder may hold `%` (see `folderName`), which a URL must
 * spell `%25`; spaces, line breaks, parentheses, `#` and `?` would end or bend the link. (Workflow code: no node:url.)
 */
const fileUrl = (file: string) =>
  `file://${file.replace(/[% \t\r\n()#?<>[\]|"'`\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)}`;
