/**
 * The chain's versioning markers (`patched`): a history recorded before a change replays on the old
 * branch (test/fixtures/histories holds one for each old branch).
 */

/** The poll waits one poll interval behind an expected callback. */
export const POLL_BEHIND_CALLBACK = 'poll-behind-callback';
/** A failed task is resubmitted only when its reason is transient, after a backoff; others pause. */
export const CLASSIFY_TASK_FAILURES = 'classify-task-failures';
/** A continue-as-new whose input the next run would refuse is not made: the chain goes on in this run. */
export const VALIDATE_NEXT_RUN = 'validate-next-run';
/** A redo keeps counting a segment's attempts and forgets the discarded creates' callbacks. */
export const REDO_KEEPS_ATTEMPTS = 'redo-keeps-attempt-numbers';
/** A redo never discards a create the never-pay-twice guard holds: its task's cost would be lost. */
export const REDO_WAITS_FOR_LOST_CREATE = 'redo-waits-for-lost-create';
/**
 * A cancel of the chain waits for a create already sent (and keeps its task); a create not yet sent is
 * cancelled. A run that inherits a create whose answer never came treats it as an ambiguous create.
 */
export const CANCEL_LETS_CREATES_FINISH = 'cancel-lets-creates-finish';
/**
 * A chain cancelled while it awaits an adopted task keeps that task (and its charge); before, the cancel
 * was taken for a task that cannot be awaited: uncharged and forgotten, so a resume paid for it again.
 */
export const CANCEL_KEEPS_ADOPTED_TASK = 'cancel-keeps-adopted-task';
/**
 * A redone segment whose archive waited behind its discarded task's is archived before the chain is
 * delivered; before, the chain failed delivering a segment with no file.
 */
export const ARCHIVE_AFTER_DISCARDED = 'archive-after-discarded';
/**
 * A callback is a hint `{ segment, attempt, taskId, state }`: the chain confirms it with its own read (at
 * once, on the read queue) and takes the read's outcome; a lost create's task is adopted only once the
 * read proves it the segment's. Before, the receiver re-fetched the task and the signal carried the
 * outcome, which the chain took as it was.
 */
export const CALLBACK_HINTS = 'callback-hints';
/**
 * A chain started with `review: true` pauses after each segment is archived (by `review`) until an
 * operator approves it or redoes it; the last segment too, before delivery.
 */
export const REVIEW_GATE = 'review-gate';
/**
 * A chain started with `notifyUrl` reports each pause and its end (completed, failed, cancelled) there,
 * through a `chainNotification` child workflow that outlives the chain and retries for up to an hour.
 */
export const NOTIFY = 'notify';
/**
 * A worker without the chain's provider's key (`ProviderNotConfigured`) pauses the chain, naming the
 * setting, for a resume once the key is set; before, the chain failed.
 */
export const PAUSE_WHEN_NOT_CONFIGURED = 'pause-when-provider-not-configured';
/**
 * Official API: segment 1's first frame is its own create (`submitTextToImage`), counted the moment it is
 * paid and kept on the segment, so that a retried clip (a failed task, a lost answer) starts from the same
 * image instead of paying for another; before, the clip's activity made the image inside.
 */
export const FIRST_FRAME_OWN_CREATE = 'first-frame-own-create';
