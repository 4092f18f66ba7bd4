/**
 * The long-video chain: generate segment 1, wait until it succeeds, then extend the previous segment's
 * task once per further prompt. Each wait is a race between the provider's callback (a signal from our
 * receiver) and a poll on the provider queue. A task that fails is resubmitted a few times; a create whose
 * answer was lost is never blindly resubmitted. Operators pause, resume, redo and append through updates;
 * long chains continue as new runs with their whole state.
 */
import {
  ActivityCancellationType,
  type ActivityOptions,
  ApplicationFailure,
  CancelledFailure,
  CancellationScope,
  ContinueAsNew,
  allHandlersFinished,
  condition,
  patched,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createDeliverableActivities } from '../activities/deliverable';
import type { createProviderActivities, SubmitResult } from '../activities/provider';
import { priceOf } from '../chain/prices';
import { type TaskFailureKind, classifyTaskFailure } from '../chain/task-failures';
import { ChainView } from './chain-view';
import {
  applicationFailure,
  checkAppend,
  checkPrompts,
  extendRequest,
  generateRequest,
  nextRunInput,
  reject,
  validate,
} from './chain-inputs';
import { type ChainProgress, type SegmentState } from '../chain/progress';
import { FailureTypes } from '../chain/failure-types';
import { PROVIDER_READ_TASK_QUEUE, PROVIDER_TASK_QUEUE } from '../chain/queues';
import {
  type TaskFinishedSignal,
  appendUpdate,
  pauseUpdate,
  progressQuery,
  redoUpdate,
  resumeUpdate,
  taskFinishedSignal,
} from './messages';
import { type TaskOutcome } from '../chain/task-outcome';

type ProviderActivities = ReturnType<typeof createProviderActivities>;
type DeliverableActivities = ReturnType<typeof createDeliverableActivities>;

/** Versioning markers (`patched`): histories recorded before a change replay on the old branch. */
const POLL_BEHIND_CALLBACK = 'poll-behind-callback';
/** A failed task is resubmitted only when its reason is transient, after a backoff; others pause. */
const CLASSIFY_TASK_FAILURES = 'classify-task-failures';

/** A continue-as-new whose input the next run would refuse is not made: the chain goes on in this run. */
const VALIDATE_NEXT_RUN = 'validate-next-run';

/** A redo keeps counting a segment's attempts and forgets the discarded creates' callbacks. */
const REDO_KEEPS_ATTEMPTS = 'redo-keeps-attempt-numbers';
/** A redo never discards a create the never-pay-twice guard holds: its task's cost would be lost. */
const REDO_WAITS_FOR_LOST_CREATE = 'redo-waits-for-lost-create';
/** Who pauses a chain on a create that may have made a task we cannot find. */
const GUARD = 'never-pay-twice guard';

/**
 * A cancel of the chain waits for a create already sent (and keeps its task); a create not yet sent is
 * cancelled. A run that inherits a create whose answer never came treats it as an ambiguous create.
 */
const CANCEL_LETS_CREATES_FINISH = 'cancel-lets-creates-finish';

/**
 * A chain cancelled while it awaits an adopted task keeps that task (and its charge); before, the cancel
 * was taken for a task that cannot be awaited: uncharged and forgotten, so a resume paid for it again.
 */
const CANCEL_KEEPS_ADOPTED_TASK = 'cancel-keeps-adopted-task';

/**
 * A redone segment whose archive waited behind its discarded task's is archived before the chain is
 * delivered; before, the chain failed delivering a segment with no file.
 */
const ARCHIVE_AFTER_DISCARDED = 'archive-after-discarded';

/** The longest backoff before resubmitting a segment whose task failed for a transient reason. */
const MAX_RESUBMIT_BACKOFF_MS = 5 * 60_000;

/** Why a segment could not go on: the chain pauses and says so. */
class PauseChain extends Error {
  constructor(
    readonly reason: string,
    readonly by: string,
    /** The segment's task is paid for and still ours: a resume awaits it again rather than resubmitting. */
    readonly keepTask = false,
  ) {
    super(reason);
  }
}

/** Provider text in a reason: one line, no control characters, not endless. */
const quote = (text: string | undefined) =>
  `"${(text ?? '')
    .replace(/[\p{Cc}\p{Cf}]+/gu, ' ')
    .trim()
    .slice(0, 300)}"`;

export async function longVideo(rawInput: unknown): Promise<ChainProgress> {
  const input = validate(rawInput);
  const chain = new ChainView(input);
  const callbacks = new Map<string, TaskFinishedSignal>();
  /** The segment whose create or wait is in flight: paid for, so it is seen through. */
  let inFlight: SegmentState | undefined;
  /** Redo requests waiting for the in-flight call to end; no new call starts meanwhile. */
  let redosWaiting = 0;
  let segmentsThisRun = 0;
  /** Why this run cannot hand over to a next one (its input would be refused), once found. */
  let cannotContinueAsNew: string | undefined;
  /** Archives under way (the chain does not wait for them) and the ones that failed. */
  const archiving = new Map<number, Promise<void>>();
  const archiveFailures = new Map<number, string>();

  setHandler(progressQuery, () => chain.progress());
  setHandler(taskFinishedSignal, (s) => void callbacks.set(`${s.segment}:${s.attempt}`, s));
  setHandler(
    pauseUpdate,
    ({ by, reason }) => {
      chain.pause(reason || 'paused by an operator', by || 'operator');
      return chain.progress();
    },
    {
      validator: (_request) => {
        if (chain.paused) reject('the chain is already paused');
      },
    },
  );
  setHandler(
    resumeUpdate,
    ({ maxCredits, adoptTaskId }) => {
      if (maxCredits !== undefined) chain.maxCredits = maxCredits;
      if (adoptTaskId) {
        const segment = chain.next()!;
        chain.adopt(segment, adoptTaskId);
        chain.charged(costOf(segment));
      }
      chain.resume();
      return chain.progress();
    },
    {
      validator: ({ adoptTaskId }) => {
        if (!chain.paused) reject('the chain is not paused');
        if (adoptTaskId === undefined) return;
        if (typeof adoptTaskId !== 'string' || !/^[\w.-]{1,200}$/.test(adoptTaskId)) {
          reject('--adopt-task needs the task id the provider shows');
        }
        const next = chain.next();
        if (!next || next.state !== 'pending' || inFlight) {
          reject('no segment waits for a task: --adopt-task is for a segment whose create answer was lost');
        }
      },
    },
  );
  setHandler(
    redoUpdate,
    async ({ from, prompt }) => {
      redosWaiting++;
      try {
        await condition(() => !inFlight || inFlight.index < from);
        const held = lostCreateAtOrAfter(from);
        if (held && patched(REDO_WAITS_FOR_LOST_CREATE)) throw ApplicationFailure.nonRetryable(held);
        redo(from, prompt);
      } finally {
        redosWaiting--;
      }
      return chain.progress();
    },
    {
      validator: ({ from, prompt }) => {
        if (!Number.isInteger(from) || from < 1 || from > chain.segments.length) {
          reject(`--from must be a segment number between 1 and ${chain.segments.length}`);
        }
        if (prompt !== undefined) checkPrompts([prompt]);
        const held = lostCreateAtOrAfter(from);
        if (held) reject(held);
      },
    },
  );
  setHandler(
    appendUpdate,
    ({ prompts }) => {
      chain.append(prompts);
      return chain.progress();
    },
    { validator: ({ prompts }) => checkAppend(chain.segments.length, prompts) },
  );

  const createOptions: ActivityOptions = {
    taskQueue: PROVIDER_TASK_QUEUE,
    startToCloseTimeout: input.options.providerCallTimeoutMs,
    // Only refusals that created nothing come back as retryable (429, maintenance, connection refused).
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2m' },
  };
  const abandonedCreates = proxyActivities<ProviderActivities>(createOptions);
  /** A chain's cancel asks these to stop and waits for their end: a create already sent answers. */
  const awaitedCreates = proxyActivities<ProviderActivities>({
    ...createOptions,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  const { awaitTaskResult } = proxyActivities<ProviderActivities>({
    taskQueue: PROVIDER_READ_TASK_QUEUE,
    startToCloseTimeout: input.options.providerCallTimeoutMs,
    retry: {
      initialInterval: input.options.pollIntervalMs,
      backoffCoefficient: 1,
      nonRetryableErrorTypes: ['NotFoundError', 'UnauthorizedError'],
    },
  });

  /**
   * Discard segments `from`..end. Their next creates take new attempt numbers, and callbacks of the
   * discarded creates are forgotten: the callback of a discarded task can never be taken for a new one.
   */
  /**
   * Why a redo from `from` must wait: the guard holds a create of a segment it would discard, which may
   * have made a paid task (a redo would lose its cost from the spend and the budget).
   */
  function lostCreateAtOrAfter(from: number): string | undefined {
    const held = chain.paused?.by === GUARD ? chain.next() : undefined;
    if (!held || held.index < from) return undefined;
    return (
      `segment ${held.index}'s create may have made a paid task (the never-pay-twice guard paused the chain): ` +
      'resolve it first (resume --adopt-task TASK_ID if the dashboard shows it, else a plain resume), then redo'
    );
  }

  function redo(from: number, prompt: string | undefined): void {
    const keepAttempts = patched(REDO_KEEPS_ATTEMPTS);
    chain.redo(from, prompt, keepAttempts);
    if (!keepAttempts) return;
    for (const [key, signal] of callbacks) if (signal.segment >= from) callbacks.delete(key);
  }

  /** What one create for `segment` costs: a generation for the first, an extension after. */
  function costOf(segment: SegmentState): number {
    return chain.previousTaskId(segment)
      ? priceOf({ endpoint: 'extend', quality: input.quality }, input.options.prices)
      : priceOf(
          { endpoint: 'generate', duration: input.duration, quality: input.quality },
          input.options.prices,
        );
  }

  /**
   * Submit one create for `segment`; on an ambiguous answer, look for that create's callback before
   * deciding anything. Answers the task id and the attempt it belongs to.
   */
  async function submit(
    segment: SegmentState,
    attempt: number,
  ): Promise<{ taskId: string; attempt: number; callbacks: boolean }> {
    const previousTaskId = chain.previousTaskId(segment);
    const cost = costOf(segment);
    const budget = chain.maxCredits;
    if (budget !== undefined && chain.creditsSpent + cost > budget) {
      throw new PauseChain(
        `budget: segment ${segment.index} costs ${cost} credits and ${chain.creditsSpent} of ${budget} are spent; ` +
          'resume with a higher --max-credits',
        'budget',
      );
    }
    chain.submitting(segment, attempt);
    const target = { workflowId: workflowInfo().workflowId, segment: segment.index, attempt };
    const label = `${previousTaskId ? 'extend' : 'generate'} ${segment.index}/${chain.segments.length}`;
    const awaited = patched(CANCEL_LETS_CREATES_FINISH);
    const { submitGeneration, submitExtension } = awaited ? awaitedCreates : abandonedCreates;
    let result: SubmitResult;
    try {
      result = previousTaskId
        ? await submitExtension.executeWithOptions({ summary: label }, [
            { ...target, request: extendRequest(input, segment.prompt, previousTaskId) },
          ])
        : await submitGeneration.executeWithOptions({ summary: label }, [
            { ...target, request: generateRequest(input, segment.prompt) },
          ]);
    } catch (err) {
      const failure = applicationFailure(err);
      if (awaited && CancellationScope.current().consideredCancelled) throw cancelledCreate(segment, err);
      if (failure?.type === FailureTypes.InsufficientCredits) {
        throw new PauseChain(`out of credits: ${failure.message}`, 'provider (402)');
      }
      if (failure?.type !== FailureTypes.AmbiguousCreate) throw err;
      const [{ callbacks: usesCallbacks }] = failure.details as [{ callbacks: boolean }];
      return awaitAmbiguousCreate(segment, attempt, failure.message, usesCallbacks);
    }
    chain.charged(cost);
    return { taskId: result.taskId, attempt, callbacks: result.callbacks };
  }

  /**
   * A create of `segment` whose answer was lost may have made a paid task: wait `callbackGraceMs` for that
   * attempt's callback and adopt its task; if none comes, the policy decides (pause, or pay again).
   */
  async function awaitAmbiguousCreate(
    segment: SegmentState,
    attempt: number,
    why: string,
    usesCallbacks: boolean,
  ): Promise<{ taskId: string; attempt: number; callbacks: boolean }> {
    const key = `${segment.index}:${attempt}`;
    const isOurs = () => {
      const c = callbacks.get(key);
      return c !== undefined && isSegmentsTask(c, segment, chain.previousTaskId(segment));
    };
    if (usesCallbacks && (await condition(isOurs, input.options.callbackGraceMs))) {
      chain.charged(costOf(segment));
      return { taskId: callbacks.get(key)!.taskId, attempt, callbacks: true }; // the task exists after all: adopt it
    }
    if (input.options.ambiguousCreatePolicy === 'resubmit') return submit(segment, attempt + 1);
    throw new PauseChain(
      `segment ${segment.index}: ${why}. No callback arrived within ` +
        `${input.options.callbackGraceMs} ms; look on the provider's dashboard for a task with prompt ` +
        `"${segment.prompt.slice(0, 60)}": if it is there, resume with --adopt-task TASK_ID; ` +
        'if not, a plain resume submits the segment again.',
      GUARD,
    );
  }

  /**
   * The chain is being cancelled and `segment`'s create ended without a task. A create cancelled before it
   * ran, or refused, made nothing: the segment is pending again. Any other end (an ambiguous answer, a
   * time-out) leaves it `submitting`, which the chain's next run treats as an ambiguous create.
   */
  function cancelledCreate(segment: SegmentState, err: unknown): CancelledFailure {
    const failure = applicationFailure(err);
    const madeNothing = isCancellation(err) || (failure && failure.type !== FailureTypes.AmbiguousCreate);
    if (madeNothing) chain.notSubmitted(segment, 'the chain was cancelled before this create made a task');
    return err instanceof CancelledFailure
      ? err
      : new CancelledFailure('cancelled while a create was in flight');
  }

  /**
   * Wait for a task's end: the callback for this create, or a poll, whichever comes first. When a callback
   * is expected the poll is only a safety net, held back one poll interval by a timer (a new task is
   * queued then anyway): when the callback wins, no poll activity was scheduled nor has to be cancelled.
   */
  async function awaitOutcome(
    segment: SegmentState,
    attempt: number,
    taskId: string,
    expectCallback = false,
  ) {
    const key = `${segment.index}:${attempt}`;
    const callbackArrived = () => callbacks.get(key)?.taskId === taskId;
    const byCallback = (): TaskOutcome & { by: 'callback' | 'poll' } => ({
      ...callbacks.get(key)!,
      by: 'callback',
    });
    if (
      expectCallback &&
      patched(POLL_BEHIND_CALLBACK) &&
      (await condition(callbackArrived, input.options.pollIntervalMs))
    ) {
      return byCallback();
    }
    const summary = `await ${segment.index}/${chain.segments.length}`;
    let unreadable = 0;
    for (;;) {
      const scope = new CancellationScope();
      const polled = scope.run(() => awaitTaskResult.executeWithOptions({ summary }, [{ taskId }]));
      polled.catch(() => undefined); // cancelled when the callback wins
      try {
        return await Promise.race([
          polled.then((o): TaskOutcome & { by: 'callback' | 'poll' } => ({ ...o, by: 'poll' })),
          condition(callbackArrived).then(byCallback),
        ]);
      } catch (err) {
        // An answer we cannot read: look again a few times (a passing glitch), then pause for a person
        // (an upgrade, say) rather than poll for ever; the task stays the segment's, paid once.
        const failure = applicationFailure(err);
        if (failure?.type !== FailureTypes.UnreadableAnswer) throw err;
        // Answers in a row: a poll that read other answers first (its attempt > 1) starts the count again.
        const [{ attempt = 1 } = {}] = (failure.details ?? []) as Array<{ attempt?: number }>;
        unreadable = attempt > 1 ? 1 : unreadable + 1;
        if (unreadable >= input.options.maxUnreadableAnswers) {
          throw new PauseChain(
            `segment ${segment.index}: ${unreadable} answers in a row about task ${taskId} could not be read ` +
              `(${failure.message}). The task is paid for and kept: once the provider or long-video is ` +
              `fixed, \`long-video resume ${workflowInfo().workflowId}\` awaits it again without paying.`,
            'unreadable provider answer',
            true,
          );
        }
        if (await condition(callbackArrived, input.options.pollIntervalMs)) return byCallback();
      } finally {
        scope.cancel();
      }
    }
  }

  /**
   * An operator's task is awaited like ours, but first proven to be this segment's: same prompt, continuing
   * the previous segment's task. A wrong or unknown id pauses the chain again and costs nothing more.
   */
  async function awaitAdopted(segment: SegmentState, taskId: string) {
    const wrong = (why: string) => {
      chain.charged(-costOf(segment));
      return new PauseChain(
        `segment ${segment.index}: the adopted task ${taskId} ${why}; resume with the right --adopt-task, ` +
          'or without it to submit the segment again',
        'operator',
      );
    };
    let outcome;
    try {
      outcome = await awaitOutcome(segment, segment.attempts, taskId);
    } catch (err) {
      if (err instanceof PauseChain) throw err; // unreadable answers: the task stays adopted
      // The chain's cancel is no verdict on the task: it stays adopted and paid, for a resume to await.
      if (isCancellation(err) && patched(CANCEL_KEEPS_ADOPTED_TASK)) throw err;
      throw wrong(`cannot be awaited (${applicationFailure(err)?.message ?? (err as Error).message})`);
    }
    if (!isSegmentsTask(outcome, segment, chain.previousTaskId(segment))) {
      throw wrong(`is not this segment's (its prompt or the task it continues differ)`);
    }
    return outcome;
  }

  const { archiveSegment } = proxyActivities<DeliverableActivities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '20 seconds',
    retry: { initialInterval: '2s', maximumAttempts: 5 },
  });
  const { stitchChain, writeChainReport } = proxyActivities<DeliverableActivities>({
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '1 minute',
    retry: { initialInterval: '5s', maximumAttempts: 3 },
  });

  /** Archive a succeeded segment in the background; the chain goes on generating meanwhile. */
  function archive(segment: SegmentState): void {
    const { index, taskId, videoUrl, imageUrl } = segment;
    if (!taskId || !videoUrl || archiving.has(index)) return;
    archiveFailures.delete(index);
    const previewFiles = chain.segments.slice(0, index - 1).map((s) => s.archive?.video);
    const job = archiveSegment
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
        ({ archive, preview }) => {
          // A redo may have replaced the segment meanwhile: only its own task's files count.
          if (segment.taskId === taskId && chain.segments[index - 1] === segment)
            chain.archived(segment, archive, preview);
        },
        (err: unknown) =>
          void archiveFailures.set(index, applicationFailure(err)?.message ?? (err as Error).message),
      )
      .finally(() => archiving.delete(index));
    archiving.set(index, job);
  }

  /** Wait for every archive; pause with the reason when one cannot be made. */
  async function settleArchives(): Promise<void> {
    const unarchived = () => chain.segments.filter((s) => s.state === 'succeeded' && !s.archive);
    for (const s of unarchived()) archive(s);
    await Promise.all([...archiving.values()]);
    // A redone segment's archive waits for its discarded task's (they share the segment's files): once
    // that one is done, archive it; never deliver a segment without its file.
    if (archiveFailures.size === 0 && unarchived().length > 0 && patched(ARCHIVE_AFTER_DISCARDED)) {
      for (const s of unarchived()) archive(s);
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
  async function deliver(): Promise<void> {
    const files = chain.segments.map((s) => s.archive!.video);
    const stitched = await stitchChain.executeWithOptions({ summary: `stitch ${files.length} segments` }, [
      {
        workflowId: workflowInfo().workflowId,
        files,
        trimBoundaryFrame: input.options.trimBoundaryFrame,
        crossfadeSeconds: input.options.crossfadeSeconds,
      },
    ]);
    chain.delivered({ video: stitched.file });
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
    chain.delivered(report);
  }

  /** One segment, from create (or a task carried over from an earlier run) to success or failure. */
  async function runSegment(segment: SegmentState): Promise<void> {
    inFlight = segment;
    try {
      // A task created by an earlier run is awaited, never paid again.
      const carried = segment.state === 'generating' && segment.taskId;
      // A create an earlier run sent and never heard back from: it may have made a task.
      const unanswered = !carried && segment.state === 'submitting' && patched(CANCEL_LETS_CREATES_FINISH);
      const {
        taskId,
        attempt,
        callbacks: expectCallback,
      } = carried
        ? { taskId: segment.taskId!, attempt: segment.attempts, callbacks: false }
        : unanswered
          ? await awaitAmbiguousCreate(
              segment,
              segment.attempts,
              `the create sent by an earlier run of the chain (attempt ${segment.attempts}) never answered`,
              true,
            )
          : await submit(segment, segment.attempts + 1);
      chain.generating(segment, taskId);
      const outcome = segment.adopted
        ? await awaitAdopted(segment, taskId)
        : await awaitOutcome(segment, attempt, taskId, expectCallback);
      if (outcome.state === 'success') {
        chain.succeeded(segment, outcome, outcome.by);
        if (input.options.deliver) archive(segment);
        segmentsThisRun++;
        return;
      }
      const classified = patched(CLASSIFY_TASK_FAILURES);
      const kind = classifyTaskFailure(outcome);
      chain.taskFailed(segment, outcome, classified ? kind : undefined);
      if (classified && kind !== 'transient') throw refusal(segment, outcome, kind);
      if (segment.failures > input.options.maxTaskFailures) {
        const said = `${outcome.failCode ?? ''} ${outcome.failMsg ?? 'no reason'}`.trim();
        throw new PauseChain(
          `segment ${segment.index} failed ${segment.failures} times; the provider said: ${said}`,
          'failure budget',
        );
      }
      if (classified) {
        // Back off before paying again; a pause or a redo cuts the wait short.
        const backoffMs = Math.min(
          input.options.pollIntervalMs * 2 ** (segment.failures - 1),
          MAX_RESUBMIT_BACKOFF_MS,
        );
        await condition(() => chain.paused !== undefined || redosWaiting > 0, backoffMs);
      }
    } finally {
      inFlight = undefined;
    }
  }

  /** A task failure that paying again cannot cure: pause with the provider's words and the way out. */
  function refusal(segment: SegmentState, outcome: TaskOutcome, kind: TaskFailureKind): PauseChain {
    const id = workflowInfo().workflowId;
    const what = `segment ${segment.index}: task ${outcome.taskId} failed`;
    const code = outcome.failCode ? ` (failCode ${outcome.failCode})` : '';
    const said = outcome.failMsg
      ? `the provider said ${quote(outcome.failMsg)}${code}`
      : `no reason given${code}`;
    const redo = `\`long-video redo ${id} --from ${segment.index} --prompt "…"\``;
    const resume = `\`long-video resume ${id}\``;
    if (kind === 'input') {
      return new PauseChain(
        `${what}: the provider refused its input: ${said}. Nothing more was paid: give the segment a new prompt with ${redo}.`,
        'provider (input refused)',
      );
    }
    if (kind === 'plan') {
      return new PauseChain(
        `${what}: ${said}, a limit of the provider account's plan. Change the plan (or the chain's quality), then ${resume}.`,
        'provider (plan limit)',
      );
    }
    return new PauseChain(
      `${what}: ${said}, a reason not known to pass by itself. Nothing more was paid: ${resume} pays for one ` +
        `more try, ${redo} changes the prompt.`,
      'provider (unknown failure)',
    );
  }

  try {
    for (;;) {
      // No new paid call while paused or while a redo is being applied.
      await condition(() => !chain.paused && redosWaiting === 0);
      const segment = chain.next();
      if (!segment) {
        // Updates that arrived with the last segment (an append, say) count before the chain closes;
        // an append while archiving or stitching sends the chain back to work.
        await condition(allHandlersFinished);
        if (chain.next()) continue;
        try {
          if (input.options.deliver) {
            await settleArchives();
            if (chain.next()) continue;
            await deliver();
          }
        } catch (err) {
          if (!(err instanceof PauseChain)) throw err;
          chain.pause(err.reason, err.by);
          continue;
        }
        await condition(allHandlersFinished);
        if (chain.next()) continue;
        break;
      }
      if (
        !cannotContinueAsNew &&
        (workflowInfo().continueAsNewSuggested || segmentsThisRun >= input.options.continueAsNewEvery)
      ) {
        await Promise.all([...archiving.values()]); // their results travel in the carried state
        await condition(allHandlersFinished);
        const { next, problem } = nextRunInput(input, chain.carry(), chain.maxCredits);
        if (!problem || !patched(VALIDATE_NEXT_RUN)) return await continueAsNew<typeof longVideo>(next);
        cannotContinueAsNew = problem;
        log.warn('the chain goes on in this run: its next run would refuse its input', { problem });
        continue;
      }
      try {
        await runSegment(segment);
      } catch (err) {
        if (!(err instanceof PauseChain)) throw err;
        if (err.keepTask) chain.stalled(segment, err.reason);
        else if (segment.state !== 'failed') chain.notSubmitted(segment, err.reason);
        chain.pause(err.reason, err.by);
      }
    }
    chain.finish('completed');
    return chain.progress();
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => chain.finish('cancelled', 'cancelled by request'));
      throw err;
    }
    const reason = applicationFailure(err)?.message ?? (err as Error).message;
    chain.finish('failed', reason);
    throw ApplicationFailure.create({
      type: 'ChainFailed',
      nonRetryable: true,
      message: reason,
      details: [chain.progress()],
    });
  }
}

/**
 * Whether a finished task is `segment`'s: the same prompt, continuing the previous segment's task. A field
 * the provider leaves out refutes nothing (the docs' own answers carry neither); the callback URL or the
 * operator's word then stands.
 */
function isSegmentsTask(
  task: Pick<TaskOutcome, 'prompt' | 'parentTaskId'>,
  segment: SegmentState,
  previousTaskId: string | undefined,
): boolean {
  return (
    (task.prompt === undefined || task.prompt === segment.prompt) &&
    (task.parentTaskId === undefined || task.parentTaskId === (previousTaskId ?? ''))
  );
}
