/**
 * The chain's files: each succeeded segment archived in the background while the chain goes on, then,
 * once every segment is there, the stitched video, its manifest and report.
 */
import { patched, workflowInfo } from '@temporalio/workflow';
import type { SegmentState } from '../chain/progress';
import type { ChainRun } from './chain-run';
import { applicationFailure } from './chain-inputs';
import { PauseChain } from './pause-chain';
import { ARCHIVE_AFTER_DISCARDED } from './patches';

/** Archive a succeeded segment in the background; the chain goes on generating meanwhile. */
export function archive(
  { chain, archiving, archiveFailures, activities }: ChainRun,
  segment: SegmentState,
): void {
  const { index, taskId, videoUrl, imageUrl } = segment;
  if (!taskId || !videoUrl || archiving.has(index)) return;
  archiveFailures.delete(index);
  const previewFiles = chain.segments.slice(0, index - 1).map((s) => s.archive?.video);
  const job = activities.archives.archiveSegment
    .executeWithOptions({ summary: `archive ${index}/${chain.segments.length}` }, [
      {
        workflowId: workflowInfo().workflowId,
        index,
        taskId,
        videoUrl,
        imageUrl,
        previewFiles: previewFiles.every(Boolean) ? (previewFiles as string[]) : [],
      },
    ])
    .then(
      ({ archive, preview, previewUrl }) => {
        // A redo may have replaced the segment meanwhile: only its own task's files count.
        if (segment.taskId === taskId && chain.segments[index - 1] === segment)
          chain.archived(segment, archive, preview, previewUrl);
      },
      (err: unknown) =>
        void archiveFailures.set(index, applicationFailure(err)?.message ?? (err as Error).message),
    )
    .finally(() => archiving.delete(index));
  archiving.set(index, job);
}

/** Wait for every archive; pause with the reason when one cannot be made. */
export async function settleArchives(run: ChainRun): Promise<void> {
  const { chain, archiving, archiveFailures } = run;
  const unarchived = () => chain.segments.filter((s) => s.state === 'succeeded' && !s.archive);
  for (const s of unarchived()) archive(run, s);
  await Promise.all([...archiving.values()]);
  // A redone segment's archive waits for its discarded task's (they share the segment's files): once
  // that one is done, archive it; never deliver a segment without its file.
  if (archiveFailures.size === 0 && unarchived().length > 0 && patched(ARCHIVE_AFTER_DISCARDED)) {
    for (const s of unarchived()) archive(run, s);
    await Promise.all([...archiving.values()]);
    const missing = unarchived()[0];
    if (missing && archiveFailures.size === 0 && !chain.next()) {
      archiveFailures.set(
        missing.index,
        `segment ${missing.index} has no archived file yet; resume to try again`,
      );
    }
  }
  const [failed] = archiveFailures.values();
  if (failed) {
    archiveFailures.clear();
    throw new PauseChain(failed, 'archive');
  }
}

/** The stitched video, its manifest and report: the chain's deliverable. */
export async function deliver({ chain, input, activities }: ChainRun): Promise<void> {
  const { stitchChain, writeChainReport } = activities.deliverables;
  const files = chain.segments.map((s) => s.archive!.video);
  const stitched = await stitchChain.executeWithOptions({ summary: `stitch ${files.length} segments` }, [
    {
      workflowId: workflowInfo().workflowId,
      files,
      trimBoundaryFrame: input.options.trimBoundaryFrame,
      crossfadeSeconds: input.options.crossfadeSeconds,
    },
  ]);
  // URLs are in the results of workers that serve the output folder (histories before them have none).
  chain.delivered({ video: stitched.file }, { video: stitched.url });
  const { imageUrl, waterMark, duration, quality, aspectRatio } = input;
  const report = await writeChainReport({
    workflowId: workflowInfo().workflowId,
    input: {
      prompts: chain.segments.map((s) => s.prompt),
      duration,
      quality,
      aspectRatio,
      imageUrl,
      waterMark,
    },
    progress: { ...chain.progress(), state: 'completed' },
    stitch: stitched,
  });
  chain.delivered({ manifest: report.manifest, report: report.report }, report.urls);
}
