/**
 * The chain's deliverable as activities on the workflow queue (local work): archive each segment as soon
 * as it succeeds, stitch the final video, and write the manifest and the HTML report.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { DownloadRefused, FileGone, downloadToStorage } from '../media/download';
import { probeVideo } from '../media/probe';
import { redactUrlsIn } from '../chain/redact';
import { writeReport, type ReportInput } from '../media/report';
import { concatCopy, stitch, type StitchResult } from '../media/stitch';
import { type ChainStorage, FileTooLarge } from '../media/storage';
import type { SegmentArchive } from '../chain/progress';

export interface DeliverableDeps {
  storage: ChainStorage;
  /** Hosts segment files may come from. */
  mediaHosts: ReadonlySet<string>;
  maxBytes: number;
  downloadTimeoutMs: number;
}

export interface ArchiveInput {
  workflowId: string;
  index: number;
  taskId: string;
  videoUrl: string;
  imageUrl?: string;
  /** Archived videos of the segments before this one, in order: with this one, the preview. */
  previewFiles: string[];
}

export const segmentFileName = (index: number, taskId: string, ext: 'mp4' | 'png') =>
  `segment-${String(index).padStart(3, '0')}-${taskId.replace(/[^A-Za-z0-9-]/g, '').slice(0, 12)}.${ext}`;

/** Our own segment files (videos, thumbnails, their hashes): the only files a cleanup ever removes. */
const SEGMENT_FILE = /^segment-(\d{3})-[A-Za-z0-9-]{0,12}\.(?:mp4|png)(?:\.sha256)?$/;

export function createDeliverableActivities(deps: DeliverableDeps) {
  /**
   * Remove the chain's segment files that `keep` refuses (those of segments a redo discarded); best
   * effort: a file left behind costs only space.
   */
  async function removeSegmentFiles(workflowId: string, keep: (name: string, index: number) => boolean) {
    const folder = path.dirname(deps.storage.localPath(workflowId, 'x'));
    const names = await fs.readdir(folder).catch(() => [] as string[]);
    for (const name of names) {
      const m = SEGMENT_FILE.exec(name);
      if (m && !keep(name, Number(m[1]))) await fs.rm(path.join(folder, name), { force: true });
    }
  }

  /** Download one file unless a verified copy is already there (its hash recorded next to it). */
  async function fetchOnce(workflowId: string, index: number, url: string, name: string, mp4 = false) {
    const sidecar = deps.storage.localPath(workflowId, `${name}.sha256`);
    const recorded = await fs.readFile(sidecar, 'utf8').catch(() => undefined);
    const existing = recorded ? await deps.storage.stat(workflowId, name) : undefined;
    if (existing && existing.sha256 === recorded?.trim()) return existing;
    try {
      const stored = await downloadToStorage({
        url,
        allowedHosts: deps.mediaHosts,
        timeoutMs: deps.downloadTimeoutMs,
        maxBytes: deps.maxBytes,
        storage: deps.storage,
        workflowId,
        name,
        mp4,
        onProgress: (bytes) => Context.current().heartbeat({ name, bytes }),
      });
      return stored;
    } catch (err) {
      throw archiveFailure(index, err);
    }
  }

  return {
    async archiveSegment(
      input: ArchiveInput,
    ): Promise<{ archive: SegmentArchive; preview?: string; previewUrl?: string }> {
      const { workflowId, index, taskId } = input;
      Context.current().heartbeat();
      const videoName = segmentFileName(index, taskId, 'mp4');
      const video = await fetchOnce(workflowId, index, input.videoUrl, videoName, true);
      let durationSeconds: number;
      try {
        // Decoding every frame proves the download is whole.
        const probe = await probeVideo(video.path, { countFrames: true });
        const expected = Math.floor(probe.durationSeconds * probe.fps) - 1;
        if ((probe.frames ?? 0) < expected) {
          throw new Error(
            `${probe.frames ?? 0} frames decoded of the ${expected + 1} its header promises (truncated)`,
          );
        }
        durationSeconds = probe.durationSeconds;
      } catch (err) {
        await fs.rm(video.path, { force: true });
        throw ApplicationFailure.create({
          type: 'CorruptDownload',
          message: `segment ${index} (task ${taskId}): the downloaded video is not readable: ${(err as Error).message}`,
        });
      }
      await fs.writeFile(deps.storage.localPath(workflowId, `${videoName}.sha256`), video.sha256);
      const thumbnailName = segmentFileName(index, taskId, 'png');
      const thumbnail = input.imageUrl
        ? (await fetchOnce(workflowId, index, input.imageUrl, thumbnailName)).path
        : undefined;
      const url = deps.storage.url(workflowId, videoName);
      const thumbnailUrl = thumbnail ? deps.storage.url(workflowId, thumbnailName) : undefined;
      const archive = {
        video: video.path,
        thumbnail,
        ...(url ? { url } : {}),
        ...(thumbnailUrl ? { thumbnailUrl } : {}),
        sha256: video.sha256,
        bytes: video.bytes,
        durationSeconds,
      };
      // A redo made this segment again: the files of its discarded task(s) go.
      const own = [videoName, segmentFileName(index, taskId, 'png')].flatMap((f) => [f, `${f}.sha256`]);
      await removeSegmentFiles(workflowId, (name, i) => i !== index || own.includes(name));
      // Rebuilt from the chain as it is now: after a redo, without the discarded segments.
      const preview = await refreshPreview(workflowId, [...input.previewFiles, video.path]);
      const previewUrl = preview ? deps.storage.url(workflowId, path.basename(preview)) : undefined;
      return { archive, preview, ...(previewUrl ? { previewUrl } : {}) };
    },

    async stitchChain(input: {
      workflowId: string;
      files: string[];
      trimBoundaryFrame: boolean;
      crossfadeSeconds: number;
    }): Promise<StitchResult & { url?: string }> {
      // ffmpeg runs long and silent: heartbeat so a dead worker is noticed in seconds, not at the timeout,
      // and so a cancellation (delivered on a heartbeat) reaches us: it kills ffmpeg and leaves nothing.
      const context = Context.current();
      const beat = setInterval(() => context.heartbeat(), 5_000);
      try {
        const result = await stitch({
          files: input.files,
          out: deps.storage.localPath(input.workflowId, 'final.mp4'),
          trimBoundaryFrame: input.trimBoundaryFrame,
          crossfadeSeconds: input.crossfadeSeconds,
          signal: context.cancellationSignal,
        });
        // The chain is whole: segment files of segments no longer in it (a redo that ended shorter) go.
        const kept = new Set(
          input.files.flatMap((f) => {
            const stem = path.basename(f).replace(/\.mp4$/, '');
            return [`${stem}.mp4`, `${stem}.mp4.sha256`, `${stem}.png`, `${stem}.png.sha256`];
          }),
        );
        await removeSegmentFiles(input.workflowId, (name) => kept.has(name));
        const url = deps.storage.url(input.workflowId, path.basename(result.file));
        return { ...result, ...(url ? { url } : {}) };
      } catch (err) {
        if (context.cancellationSignal.aborted) {
          throw new CancelledFailure(`stitching cancelled (${String(context.cancellationSignal.reason)})`);
        }
        const e = err as NodeJS.ErrnoException;
        const full = e.code === 'ENOSPC' || /No space left/i.test(e.message);
        throw ApplicationFailure.create({
          type: full ? 'DiskFull' : e.name === 'StitchMismatch' ? 'StitchMismatch' : 'StitchFailed',
          message: `stitching ${input.files.length} segments: ${e.message}`,
          nonRetryable: full || e.name === 'StitchMismatch',
        });
      } finally {
        clearInterval(beat);
      }
    },

    async writeChainReport(
      input: ReportInput,
    ): Promise<{ manifest: string; report: string; urls?: { manifest: string; report: string } }> {
      const written = await writeReport(deps.storage, input);
      const manifest = deps.storage.url(input.workflowId, path.basename(written.manifest));
      const report = deps.storage.url(input.workflowId, path.basename(written.report));
      return { ...written, ...(manifest && report ? { urls: { manifest, report } } : {}) };
    },
  };

  /** The segments so far as one file, for watching a long chain grow; best effort, stream copy only. */
  async function refreshPreview(workflowId: string, files: string[]): Promise<string | undefined> {
    const out = deps.storage.localPath(workflowId, 'preview.mp4');
    const partial = `${out}.partial.mp4`;
    try {
      await concatCopy(files, partial);
      await fs.rename(partial, out);
      return out;
    } catch {
      await fs.rm(partial, { force: true });
      return undefined;
    }
  }
}

/** A failed download as the failure the workflow acts on: gone and refused files are not retried. */
function archiveFailure(index: number, err: unknown): ApplicationFailure {
  const e = err as NodeJS.ErrnoException;
  // The message becomes a pause reason and a log line: a URL's credentials never get there.
  e.message = redactUrlsIn(String(e.message));
  if (err instanceof FileGone) {
    return ApplicationFailure.create({
      type: 'SegmentFileGone',
      nonRetryable: true,
      message: `segment ${index}: the provider no longer has its file (${e.message}; files expire 14 days after generation); redo from segment ${index} to generate it again`,
    });
  }
  if (err instanceof DownloadRefused || err instanceof FileTooLarge) {
    return ApplicationFailure.create({
      type: e.name,
      nonRetryable: true,
      message: `segment ${index}: ${e.message}`,
    });
  }
  if (e.code === 'ENOSPC') {
    return ApplicationFailure.create({
      type: 'DiskFull',
      nonRetryable: true,
      message: `segment ${index}: no space left to archive it`,
    });
  }
  return ApplicationFailure.create({ type: 'DownloadFailed', message: `segment ${index}: ${e.message}` });
}
