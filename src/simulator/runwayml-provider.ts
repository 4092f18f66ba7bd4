/**
 * The official Runway API's behaviour in the simulator, apart from HTTP: tasks and their statuses over
 * provider time, cancel and delete, credits and the shared charge ledger, the rate limit, fault decisions,
 * media, and the continuity check (which clip's last frame an image_to_video create started from).
 *
 * Charges: a create is charged when it is accepted, as in the reseller mode. Runway's API reference says
 * nothing of refunds for a task cancelled with DELETE (nor for a FAILED one), so the charge stands and the
 * ledger entry gets `cancelledAt`: spend checks count cancelled tasks (the worst case for a budget).
 */
import { randomUUID } from 'node:crypto';
import { SeededRandom, SimClock } from './clock';
import { CreditLedger, type LedgerEntry, accountOf } from './ledger';
import { FaultConfig, type ResolvedSimulatorOptions } from './options';
import { RateLimiter } from './rate-limit';
import { type CreateRequest, ledgerBody, readCreate, sizeOf } from './runwayml-requests';
import { RunwaymlMedia } from './runwayml-media';
import { RunwaymlTaskRunner } from './runwayml-task-runner';
import { type RunwaymlTask, describeRunwaymlTask, isFinal, planTask, statusOf } from './runwayml-tasks';

/** What an endpoint answers: an HTTP status and JSON body (none for 204), and how to deliver it. */
export interface RunwaymlAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Wall ms to wait before answering. */
  delayMs?: number;
  /** Never answer (the socket is dropped after `delayMs`). */
  hang?: boolean;
}

const error = (status: number, message: string): RunwaymlAnswer => ({ status, body: { error: message } });

export class RunwaymlProvider {
  readonly clock: SimClock;
  faults: FaultConfig;
  private random: SeededRandom;
  private readonly tasks: RunwaymlTaskRunner;
  private readonly accounts = new CreditLedger();
  private readonly rateLimiter: RateLimiter;
  readonly requestCounts: Record<string, Record<string, number>> = {};

  constructor(
    private readonly opts: ResolvedSimulatorOptions,
    readonly publicUrl: string,
    dataDir: string,
    private readonly log: (line: string) => void,
  ) {
    this.clock = new SimClock(opts.timeScale);
    this.faults = opts.faults;
    this.random = new SeededRandom(opts.seed);
    const media = new RunwaymlMedia({ dataDir, concurrency: opts.renderConcurrency, media: opts.media });
    this.tasks = new RunwaymlTaskRunner(this.clock, media, log);
    this.rateLimiter = new RateLimiter(opts.rateLimit, 10_000);
    this.resetCredits(opts.credits);
  }

  // ---- API endpoints ------------------------------------------------------------------------------

  async create(endpoint: RunwaymlTask['endpoint'], apiKey: string, body: unknown): Promise<RunwaymlAnswer> {
    const faults = this.faults;
    if (faults.maintenance) return error(503, 'Service unavailable');
    const read = readCreate(endpoint, body);
    if (!read.ok) return error(400, read.error);
    const { request } = read;
    const cost = request.cost;

    const account = accountOf(apiKey);
    const now = Date.now();
    const burst = this.random.chance(faults.burst429Probability) ? faults.burst429Ms : undefined;
    const waitMs = this.rateLimiter.refusal(account, now, burst);
    if (waitMs > 0) {
      const answer = error(429, 'Too many requests. Please slow down.');
      return { ...answer, headers: { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) } };
    }
    if (this.random.chance(faults.createFailBefore)) return error(503, 'Service unavailable');
    if (this.accounts.balanceOf(account) < cost)
      return error(400, 'You do not have enough credits to run this task.');

    let startedFrom: string | null = null;
    let firstFrame: Buffer | undefined;
    if (request.promptImage !== undefined) {
      try {
        const image = await this.tasks.lastFrames.matchImage(request.promptImage);
        startedFrom = this.opts.media === 'full' ? image.match : null;
        firstFrame = image.bytes;
      } catch (err) {
        return error(400, `Invalid promptImage: ${(err as Error).message}`);
      }
    }

    this.rateLimiter.record(account, now);
    const task = this.startTask(account, endpoint, request, startedFrom, firstFrame);
    this.accounts.charge({
      taskId: task.id,
      endpoint,
      parentTaskId: '',
      callBackUrl: '',
      prompt: task.promptText,
      cost,
      createdAt: new Date(now).toISOString(),
      account,
      body: ledgerBody(body),
      model: request.model,
      ...(endpoint === 'image_to_video' ? { duration: request.seconds, startedFrom } : {}),
    });
    if (this.random.chance(faults.createFailAfter)) return error(502, 'Bad gateway');
    return this.withLatencyFaults({ status: 200, body: { id: task.id } });
  }

  get(apiKey: string, id: string): RunwaymlAnswer {
    const failed = this.readFault();
    if (failed) return failed;
    const task = this.ownTask(apiKey, id);
    if (!task) return error(404, 'Task not found');
    return this.withLatencyFaults({
      status: 200,
      body: describeRunwaymlTask(task, this.clock.now(), this.publicUrl),
    });
  }

  /** `GET /v1/organization`, reduced to the balance. */
  organization(apiKey: string): RunwaymlAnswer {
    return (
      this.readFault() ?? { status: 200, body: { creditBalance: this.accounts.balanceOf(accountOf(apiKey)) } }
    );
  }

  /** DELETE: cancels a task still PENDING, THROTTLED or RUNNING; deletes a finished one (and its files). */
  async remove(apiKey: string, id: string): Promise<RunwaymlAnswer> {
    const failed = this.readFault();
    if (failed) return failed;
    const task = this.ownTask(apiKey, id);
    if (!task) return error(404, 'Task not found');
    if (!isFinal(statusOf(task, this.clock.now()))) {
      this.tasks.cancel(task);
      this.accounts.markCancelled(id, new Date().toISOString());
      this.log(`task ${id} cancelled`);
    } else {
      // Its last frame stays known: a client may delete a clip it archived, then continue from it.
      await this.tasks.delete(id);
    }
    return { status: 204 };
  }

  /** The local file behind a public file name (`<id>.mp4` or `<id>.png`), unless gone or expired. */
  async resolveFile(name: string): Promise<string | undefined> {
    const match = /^([\w-]+)\.(mp4|png)$/.exec(name);
    const task = match && this.tasks.get(match[1]!);
    if (!task || !task.media || task.finishedAt === undefined || task.outcome.status !== 'SUCCEEDED')
      return undefined;
    if (task.cancelledAt !== undefined) return undefined;
    const file = (await task.media).file;
    if (this.clock.now() >= task.finishedAt + this.opts.fileTtlMs) {
      await this.tasks.expire(task, this.opts.media === 'shared');
      return undefined;
    }
    return file.endsWith(`.${match![2]}`) ? file : undefined;
  }

  // ---- admin --------------------------------------------------------------------------------------

  ledger(): LedgerEntry[] {
    return this.accounts.list();
  }

  stats() {
    return {
      requests: this.requestCounts,
      rateLimited: Object.values(this.requestCounts).reduce((n, byCode) => n + (byCode['429'] ?? 0), 0),
      rateLimit: {
        limit: this.opts.rateLimit,
        windowMs: 10_000,
        maxCreatesInWindow: this.rateLimiter.maxInWindow,
        rejectedAt: this.rateLimiter.rejectedAt,
      },
      tasks: this.tasks.all().length,
      charged: this.accounts.total(),
      ignoredRequestKeys: { generate: {}, extend: {} },
    };
  }

  /** The official API has no webhooks. */
  callbackRecords() {
    return [];
  }

  taskTimes() {
    return this.tasks.all().map((t) => ({
      taskId: t.id,
      parentTaskId: t.startedFrom ?? '',
      state: statusOf(t, this.clock.now()),
      shape: t.endpoint,
      finishedAt: t.finishedAtWall ?? null,
    }));
  }

  setCredits(credits: number, apiKey?: string): void {
    if (apiKey) this.accounts.setBalance(accountOf(apiKey), credits);
    else this.resetCredits(credits);
  }

  setFaults(patch: unknown): FaultConfig {
    this.faults = FaultConfig.parse({ ...this.faults, ...(patch as object) });
    return this.faults;
  }

  startBurst429(ms: number): void {
    this.rateLimiter.startBurst(ms);
  }

  reset(): void {
    this.tasks.clear();
    this.accounts.clear();
    for (const k of Object.keys(this.requestCounts)) delete this.requestCounts[k];
    this.rateLimiter.reset();
    this.faults = this.opts.faults;
    this.random = new SeededRandom(this.opts.seed);
    this.resetCredits(this.opts.credits);
  }

  /** Stops timers and renders; resolves once no render writes any more. */
  close(): Promise<void> {
    return this.tasks.close();
  }

  // ---- internals ----------------------------------------------------------------------------------

  private resetCredits(credits: number): void {
    for (const key of this.opts.apiKeys) this.accounts.setBalance(accountOf(key), credits);
  }

  private ownTask(apiKey: string, id: string): RunwaymlTask | undefined {
    const task = this.tasks.get(id);
    return task && task.account === accountOf(apiKey) ? task : undefined;
  }

  private readFault(): RunwaymlAnswer | undefined {
    if (this.faults.maintenance) return error(503, 'Service unavailable');
    if (this.random.chance(this.faults.readFail)) return error(502, 'Bad gateway');
    return undefined;
  }

  private withLatencyFaults(answer: RunwaymlAnswer): RunwaymlAnswer {
    if (this.random.chance(this.faults.hangProbability))
      return { ...answer, hang: true, delayMs: this.faults.hangMs };
    if (this.random.chance(this.faults.slowProbability)) return { ...answer, delayMs: this.faults.slowMs };
    return answer;
  }

  private startTask(
    account: string,
    endpoint: RunwaymlTask['endpoint'],
    request: CreateRequest,
    startedFrom: string | null,
    firstFrame: Buffer | undefined,
  ): RunwaymlTask {
    const id = randomUUID();
    const createdAt = this.clock.now();
    const { promptText, seconds } = request;
    const parent = startedFrom ? this.tasks.get(startedFrom) : undefined;
    const task: RunwaymlTask = {
      id,
      account,
      endpoint,
      model: request.model,
      promptText,
      ...sizeOf(request.ratio),
      seconds,
      startedFrom,
      chainKey: parent?.chainKey ?? id,
      segment: parent ? parent.segment + 1 : 1,
      timelineStart: parent ? parent.timelineStart + parent.seconds : 0,
      createdAt,
      ...planTask(this.random, this.faults, this.opts, createdAt, seconds, promptText),
    };
    this.tasks.start(task, firstFrame);
    return task;
  }
}
