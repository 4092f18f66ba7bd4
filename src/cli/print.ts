/** What the chain commands print: the script-friendly JSON, the chain as text and where the files are. */
import type { Config } from '../config/config';
import type { ChainProgress } from '../chain/progress';
import { forTerminal } from './terminal-text';
import { creditsText, resumeCommandFor, segmentRow } from './watch-view';

export function webUiLink(config: Config, workflowId: string): string | undefined {
  if (!config.TEMPORAL_UI_URL) return undefined;
  const base = config.TEMPORAL_UI_URL.replace(/\/$/, '');
  return `${base}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** The JSON that `start --wait --json` and `status --json` print. */
export function chainSummary(workflowId: string, progress: ChainProgress) {
  return {
    workflowId,
    state: progress.state,
    ...(progress.reason ? { reason: progress.reason } : {}),
    segmentsDone: progress.segmentsDone,
    segmentsTotal: progress.segmentsTotal,
    creditsSpent: progress.creditsSpent,
    maxCredits: progress.maxCredits ?? null,
    outputs: {
      video: progress.outputs?.video ?? null,
      manifest: progress.outputs?.manifest ?? null,
      report: progress.outputs?.report ?? null,
    },
    // The same files over HTTP, where the worker served the output folder (null otherwise).
    outputUrls: {
      video: progress.outputs?.urls?.video ?? null,
      manifest: progress.outputs?.urls?.manifest ?? null,
      report: progress.outputs?.urls?.report ?? null,
      preview: progress.outputs?.urls?.preview ?? null,
    },
    segments: progress.segments.map((s) => ({
      index: s.index,
      prompt: s.prompt,
      taskId: s.taskId ?? null,
      state: s.state,
      videoUrl: s.videoUrl ?? null,
      // The archived copy over HTTP (the provider's URL expires after 14 days).
      archiveUrl: s.archive?.url ?? null,
      attempts: s.attempts,
      // Why each earlier create of this segment did not give it its video, oldest first.
      pastAttempts: s.pastAttempts ?? [],
    })),
  };
}

/** Where the deliverables are, for a person at the end of `start --wait` or `watch`: the link a browser
 * opens when the output folder is served, and the file on disk. */
export function outputLines(progress: ChainProgress): string[] {
  const o = progress.outputs;
  const lines: string[] = [];
  const line = (label: string, file: string, url: string | undefined) =>
    lines.push(
      `${label.padEnd(9)} ${url ? `${forTerminal(url)}  (${forTerminal(file)})` : forTerminal(file)}`,
    );
  if (o?.video) line('video:', o.video, o.urls?.video);
  if (o?.report) line('report:', o.report, o.urls?.report);
  if (o?.manifest) line('manifest:', o.manifest, o.urls?.manifest);
  if (!o?.video && o?.preview) line('preview so far:', o.preview, o.urls?.preview);
  return lines;
}

export function printOutputs(progress: ChainProgress): void {
  for (const line of outputLines(progress)) console.log(line);
}

/** The whole chain as plain text (`status`): the bar, credits, why it stopped, one line per segment. */
export function renderProgress(workflowId: string, p: ChainProgress): string {
  const width = 30;
  const filled = Math.round((p.segmentsDone / Math.max(1, p.segmentsTotal)) * width);
  const reason = p.paused?.reason ?? p.reason;
  const lines = [
    `${forTerminal(workflowId)}  [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.segmentsDone}/${p.segmentsTotal}  ${p.state}${reason ? `: ${forTerminal(reason)}` : ''}`,
    creditsText(p),
  ];
  if (p.state === 'paused') lines.push(`continue: ${resumeCommandFor(forTerminal(workflowId))}`);
  // Prompts, reasons and ids come from users and the provider: nothing in them reaches the terminal as control.
  for (const s of p.segments) lines.push(segmentRow(s));
  return lines.join('\n');
}
