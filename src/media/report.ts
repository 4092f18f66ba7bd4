/**
 * A chain's manifest (everything about how its video was made, for machines) and its report (an
 * index.html a person opens: the stitched video and a contact sheet of its segments).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ChainStorage } from './storage';
import type { ChainProgress } from '../chain/progress';
import type { ResolvedInput } from '../chain/input';
import type { StitchResult } from './stitch';

export interface ReportInput {
  workflowId: string;
  input: Pick<ResolvedInput, 'prompts' | 'duration' | 'quality' | 'aspectRatio' | 'imageUrl' | 'waterMark'>;
  progress: ChainProgress;
  stitch?: StitchResult;
}

const relative = (file: string | undefined) => (file ? path.basename(file) : null);

export function buildManifest(r: ReportInput) {
  return {
    workflowId: r.workflowId,
    state: r.progress.state,
    writtenAt: new Date().toISOString(),
    input: r.input,
    creditsSpent: r.progress.creditsSpent,
    startedAt: r.progress.startedAt,
    runs: r.progress.run,
    segments: r.progress.segments.map((s) => ({
      index: s.index,
      prompt: s.prompt,
      state: s.state,
      taskId: s.taskId ?? null,
      videoUrl: s.videoUrl ?? null,
      imageUrl: s.imageUrl ?? null,
      file: relative(s.archive?.video),
      thumbnail: relative(s.archive?.thumbnail),
      sha256: s.archive?.sha256 ?? null,
      bytes: s.archive?.bytes ?? null,
      durationSeconds: s.archive?.durationSeconds ?? null,
      attempts: s.attempts,
      submittedAt: s.submittedAt ?? null,
      completedAt: s.completedAt ?? null,
      completedBy: s.completedBy ?? null,
    })),
    final: r.stitch
      ? {
          file: relative(r.stitch.file),
          durationSeconds: r.stitch.durationSeconds,
          expectedSeconds: r.stitch.expectedSeconds,
          width: r.stitch.width,
          height: r.stitch.height,
          fps: r.stitch.fps,
          method: r.stitch.method,
          layout: r.stitch.layout,
        }
      : null,
  };
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * A file beside the report, as a relative link: it opens wherever the folder is (served over HTTP at any
 * base URL, or read from disk).
 */
const beside = (file: string) => escapeHtml(encodeURIComponent(file));

export function renderReport(manifest: ReturnType<typeof buildManifest>): string {
  const title = `long-video ${manifest.workflowId}`;
  const video = manifest.final?.file
    ? `<video id="final" src="${beside(manifest.final.file)}" controls preload="metadata" width="${manifest.final.width}" style="max-width:100%;height:auto"></video>
  <p>${manifest.final.durationSeconds.toFixed(2)} s (expected ${manifest.final.expectedSeconds.toFixed(2)} s), ${manifest.final.width}×${manifest.final.height} at ${manifest.final.fps} fps, joined by ${manifest.final.method}.</p>`
    : '<p>No stitched video yet.</p>';
  const cards = manifest.segments
    .map(
      (s) => `    <figure class="${escapeHtml(s.state)}">
      ${segmentPicture(s)}
      <figcaption><b>${s.index}</b> · ${escapeHtml(s.state)}${s.durationSeconds ? ` · ${s.durationSeconds.toFixed(1)} s` : ''}<br>${escapeHtml(s.prompt)}</figcaption>
    </figure>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${escapeHtml(title)}</title>
  <style>
    body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
    .sheet { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 1rem; }
    figure { margin: 0; border: 1px solid #ddd; border-radius: 6px; overflow: hidden; }
    figure img, .none { width: 100%; aspect-ratio: 16 / 9; object-fit: cover; background: #eee; display: block; }
    figcaption { padding: .5rem; font-size: 13px; }
    figure.failed, figure.pending { opacity: .6; }
  </style>
</head>
<body>
  <h1>${escapeHtml(title)}</h1>
  <p>${escapeHtml(manifest.state)} · ${manifest.segments.length} segments · ${manifest.creditsSpent} credits · <a href="manifest.json">manifest.json</a></p>
  ${video}
  <h2>Segments</h2>
  <div class="sheet">
${cards}
  </div>
</body>
</html>
`;
}

/** A segment's thumbnail (or a placeholder), opening its archived video when there is one. */
function segmentPicture(s: ReturnType<typeof buildManifest>['segments'][number]): string {
  const picture = s.thumbnail
    ? `<img src="${beside(s.thumbnail)}" alt="segment ${s.index}">`
    : `<div class="none">no thumbnail</div>`;
  return s.file ? `<a class="segment" href="${beside(s.file)}">${picture}</a>` : picture;
}

/** Write manifest.json and index.html next to the chain's files (atomically); answers their paths. */
export async function writeReport(
  storage: ChainStorage,
  r: ReportInput,
): Promise<{ manifest: string; report: string }> {
  const manifest = buildManifest(r);
  const manifestPath = storage.localPath(r.workflowId, 'manifest.json');
  const reportPath = storage.localPath(r.workflowId, 'index.html');
  await fs.mkdir(path.dirname(manifestPath), { recursive: true });
  for (const [file, text] of [
    [manifestPath, JSON.stringify(manifest, null, 2)],
    [reportPath, renderReport(manifest)],
  ] as const) {
    await fs.writeFile(`${file}.partial`, text);
    await fs.rename(`${file}.partial`, file);
  }
  return { manifest: manifestPath, report: reportPath };
}
