/**
 * One run of a chain: its input, its state (`Chain`), the callbacks the receiver signalled, what is in
 * flight, and the activities it calls. Passed to each part of the workflow (segment, updates, delivery)
 * so that they share one explicit state instead of a closure's variables.
 */
import { ActivityCancellationType, type ActivityOptions, proxyActivities } from '@temporalio/workflow';
import type { createDeliverableActivities } from '../activities/deliverable';
import type { createProviderActivities } from '../activities/provider';
import type { ResolvedInput } from '../chain/input';
import { providerOf, segmentCredits } from '../chain/providers';
import type { SegmentState } from '../chain/progress';
import { PROVIDER_READ_TASK_QUEUE, PROVIDER_TASK_QUEUE } from '../chain/queues';
import { Chain } from './chain';
import type { TaskFinishedSignal } from './messages';

type ProviderActivities = ReturnType<typeof createProviderActivities>;
type DeliverableActivities = ReturnType<typeof createDeliverableActivities>;

export interface ChainRun {
  readonly input: ResolvedInput;
  readonly chain: Chain;
  /** Callbacks by `segment:attempt`, as the receiver signalled them. */
  readonly callbacks: Map<string, TaskFinishedSignal>;
  /** The segment whose create or wait is in flight: paid for, so it is seen through. */
  inFlight?: SegmentState;
  /** Redo requests waiting for the in-flight call to end; no new call starts meanwhile. */
  redosWaiting: number;
  segmentsThisRun: number;
  /** Why this run cannot hand over to a next one (its input would be refused), once found. */
  cannotContinueAsNew?: string;
  /** Archives under way (the chain does not wait for them) and the ones that failed. */
  readonly archiving: Map<number, Promise<void>>;
  readonly archiveFailures: Map<number, string>;
  readonly activities: ReturnType<typeof chainActivities>;
  /** The segment a review pause awaits approval for (`review: true`). */
  awaitingReview?: number;
  /** Notifications this run has sent (each one's child workflow is numbered). */
  noticesSent: number;
}

export function startRun(input: ResolvedInput): ChainRun {
  return {
    input,
    chain: new Chain(input),
    callbacks: new Map(),
    redosWaiting: 0,
    segmentsThisRun: 0,
    archiving: new Map(),
    archiveFailures: new Map(),
    activities: chainActivities(input),
    noticesSent: 0,
  };
}

/** The activities a chain calls, with their queues, time-outs and retries. */
function chainActivities(input: ResolvedInput) {
  const createOptions: ActivityOptions = {
    taskQueue: PROVIDER_TASK_QUEUE,
    startToCloseTimeout: input.options.providerCallTimeoutMs,
    // Only refusals that created nothing come back as retryable (429, maintenance, connection refused).
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2m' },
  };
  return {
    abandonedCreates: proxyActivities<ProviderActivities>(createOptions),
    /** A chain's cancel asks these to stop and waits for their end: a create already sent answers. */
    awaitedCreates: proxyActivities<ProviderActivities>({
      ...createOptions,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    }),
    /** The official API's creates: a first frame may be made and awaited inside one (heartbeats). */
    imageCreates: proxyActivities<ProviderActivities>({
      ...createOptions,
      startToCloseTimeout: '15 minutes',
      // Each step (a request, a frame's extraction) is bounded by the provider call's time-out.
      heartbeatTimeout: input.options.providerCallTimeoutMs,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    }),
    /** Cancels of tasks in flight, best effort (on the read queue: they spend no create budget). */
    cancels: proxyActivities<ProviderActivities>({
      taskQueue: PROVIDER_READ_TASK_QUEUE,
      startToCloseTimeout: input.options.providerCallTimeoutMs,
      retry: { initialInterval: '1s', maximumAttempts: 3 },
    }),
    reads: proxyActivities<ProviderActivities>({
      taskQueue: PROVIDER_READ_TASK_QUEUE,
      startToCloseTimeout: input.options.providerCallTimeoutMs,
      retry: {
        initialInterval: input.options.pollIntervalMs,
        backoffCoefficient: 1,
        nonRetryableErrorTypes: ['NotFoundError', 'UnauthorizedError'],
      },
    }),
    archives: proxyActivities<DeliverableActivities>({
      startToCloseTimeout: '10 minutes',
      heartbeatTimeout: '20 seconds',
      retry: { initialInterval: '2s', maximumAttempts: 5 },
    }),
    deliverables: proxyActivities<DeliverableActivities>({
      startToCloseTimeout: '30 minutes',
      // The stitch beats every 5 s: a worker killed mid-stitch is noticed in 20 s, not a minute.
      heartbeatTimeout: '20 seconds',
      retry: { initialInterval: '5s', maximumAttempts: 3 },
    }),
  };
}

/**
 * What one create for `segment` costs on the chain's provider: on the reseller a generation for the first,
 * an extension after; on the official API a clip of the chain's duration (the first one's frame included).
 */
export function costOf({ chain, input }: ChainRun, segment: SegmentState): number {
  const provider = providerOf(input);
  return segmentCredits(provider, {
    first: provider === 'runwayml' ? segment.index === 1 : !chain.previousTaskId(segment),
    duration: input.duration,
    quality: input.quality,
    // No first frame to make: the user's image, or one made (or adopted) and counted already.
    hasImage: Boolean(input.imageUrl) || Boolean(segment.firstFrameTaskId),
    prices: input.options.prices,
  });
}
