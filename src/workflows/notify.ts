/**
 * Notifications: each pause of a chain started with `notifyUrl`, and its end, POSTed there by a
 * `chainNotification` child workflow. The child is abandoned by the chain (parent close policy ABANDON):
 * the chain never waits for the receiver, yet a notice sent as the chain closes still gets its retries
 * (up to an hour) after the chain has completed. A notice that cannot be delivered fails its child, not
 * the chain.
 */
import {
  ParentClosePolicy,
  log,
  patched,
  proxyActivities,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { createNotifyActivities } from '../activities/notify';
import { type ChainNotice, noticeOf } from '../chain/notice';
import type { ChainRun } from './chain-run';
import { NOTIFY } from './patches';
import { underReview } from './review';

type NotifyActivities = ReturnType<typeof createNotifyActivities>;

/** How long a notice is tried for, all retries included. */
export const NOTICE_RETRY_WINDOW = '1 hour';

/** The child workflow: one notice, POSTed with retries (bounded: a receiver gone for good is let go). */
export async function chainNotification(url: string, notice: ChainNotice): Promise<void> {
  const { sendChainNotice } = proxyActivities<NotifyActivities>({
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: NOTICE_RETRY_WINDOW,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });
  await sendChainNotice.executeWithOptions({ summary: `${notice.state} → notify` }, [{ url, notice }]);
}

/**
 * Send the chain's state as it is now, if it asked for notifications. Resolves once the child has
 * started (never rejects): await it before the chain closes, so that the notice is not lost with it.
 */
export async function notify(run: ChainRun): Promise<void> {
  const url = run.input.options.notifyUrl;
  if (!url || !patched(NOTIFY)) return;
  const { workflowId, runId } = workflowInfo();
  const notice = noticeOf(workflowId, run.chain.progress(), underReview(run), new Date().toISOString());
  try {
    await startChild(chainNotification, {
      workflowId: `${workflowId}/notify/${runId}/${++run.noticesSent}`,
      args: [url, notice],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `notify: ${notice.state}`,
    });
  } catch (err) {
    log.warn('a notification could not be started', { error: (err as Error).message });
  }
}
