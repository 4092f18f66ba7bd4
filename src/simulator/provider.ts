/**
 * The simulated provider's behaviour, apart from HTTP: tasks and their state machine, credits and the
 * charge ledger, the rate limit, fault decisions, media and callbacks. `server.ts` turns its answers into
 * HTTP in the configured error style.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { priceOf } from '../chain/prices';
import { ExtendRequest, GenerateRequest, describeZodError } from '../chain/requests';
import { type TaskState } from '../provider/answers';
import { callbackOf, describeTask, detailMsg } from './answer-shapes';
import { CallbackDelivery } from './callback-delivery';
import { SeededRandom, SimClock } from './clock';
import { FaultConfig, type ResolvedSimulatorOptions } from './options';
import { CreditLedger, type LedgerEntry, accountOf } from './ledger';
import { RateLimiter } from './rate-limit';
import { IgnoredRequestKeys } from './request-keys';
import { type SimTask, type TaskShape, isExpired, taskState } from './task';
import { TaskMedia } from './task-media';
import { shapeOfTask } from './task-shape';
import { decideTask } from './task-decision';

/** What an endpoint answers: the envelope, plus how the HTTP layer should deliver it. */
export interface ApiAnswer {
  code: number;
  /** `null` only where an answer shape says so. */
  msg: string | null;
  data?: unknown;
  headers?: Record<string, string>;
  /** Wall ms to wait before answering. */
  delayMs?: number;
  /** Never answer (the socket is dropped after `delayMs`). */
  hang?: boolean;
}

export class SimulatedProvider {
  readonly clock: SimClock;
  faults: FaultConfig;
  private random: SeededRandom;
  private readonly tasks = new Map<string, SimTask>();
  private readonly accounts = new CreditLedger();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly downloads = new Map<string, { file: string; expiresAt: number }>();
  private readonly media: TaskMedia;
  private readonly rateLimiter: RateLimiter;
  private readonly callbacks: CallbackDelivery;
  private readonly ignoredKeys = new IgnoredRequestKeys();
  readonly requestCounts: Record<string, Record<string, number>> = {};

  constructor(
    private readonly opts: ResolvedSimulatorOptions,
    readonly publicUrl: string,
    private readonly dataDir: string,
    private readonly log: (line: string) => void,
  ) {
    this.clock = new SimClock(opts.timeScale);
    this.faults = opts.faults;
    this.random = new SeededRandom(opts.seed);
    this.media = new TaskMedia({
      dataDir,
      concurrency: opts.renderConcurrency,
      media: opts.media,
      extensionMedia: opts.extensionMedia,
    });
    this.rateLimiter = new RateLimiter(opts.rateLimit, 10_000);
    this.callbacks = new CallbackDelivery({
      random: this.random,
      faults: () => this.faults,
      retryBaseMs: () => Math.max(50, 1000 * this.clock.timeScale),
      hmacKey: opts.webhookHmacKey,
      log,
    });
    this.resetCredits(opts.credits);
    this.clock.onChange(() => this.rescheduleAll());
  }

  // ---- provider endpoints -------------------------------------------------------------------------

  async create(endpoint: 'generate' | 'extend', apiKey: string, body: unknown): Promise<ApiAnswer> {
    const faults = this.faults;
    if (faults.maintenance) return { code: 455, msg: 'Service under maintenance' };
    const schema = endpoint === 'generate' ? GenerateRequest : ExtendRequest;
    const parsed = schema.safeParse(this.ignoredKeys.documentedPart(endpoint, body));
    if (!parsed.success) return { code: 422, msg: describeZodError(parsed.error) };
    const request = parsed.data as GenerateRequest & ExtendRequest;

    const account = accountOf(apiKey);
    const now = Date.now();
    const burst = this.random.chance(faults.burst429Probability) ? faults.burst429Ms : undefined;
    const waitMs = this.rateLimiter.refusal(account, now, burst);
    if (waitMs > 0) return rateLimited(waitMs);
    if (this.random.chance(faults.createFailBefore)) return { code: 500, msg: 'Internal server error' };

    const shape = await shapeOfTask(
      endpoint,
      account,
      request,
      (id) => this.tasks.get(id),
      this.clock.now(),
      this.opts,
    );
    if ('code' in shape) return shape;
    const cost =
      endpoint === 'generate'
        ? priceOf({ endpoint, duration: request.duration, quality: request.quality }, this.opts.prices)
        : priceOf({ endpoint, quality: request.quality }, this.opts.prices);
    const balance = this.accounts.balanceOf(account);
    if (balance < cost) return { code: 402, msg: `Insufficient credits: ${cost} needed, ${balance} left` };

    this.rateLimiter.record(account, now);
    const task = this.startTask(account, endpoint, request, shape);
    this.accounts.charge({
      taskId: task.taskId,
      endpoint,
      parentTaskId: task.parentTaskId,
      callBackUrl: task.callBackUrl,
      prompt: task.prompt,
      cost,
      createdAt: new Date(now).toISOString(),
      account,
      body: body as Record<string, unknown>,
    });

    if (this.random.chance(faults.createFailAfter)) return { code: 500, msg: 'Internal server error' };
    const answer: ApiAnswer = { code: 200, msg: 'success', data: { taskId: task.taskId } };
    return this.withLatencyFaults(answer);
  }

  detail(apiKey: string, taskId: unknown): ApiAnswer {
    const failed = this.readFault();
    if (failed) return failed;
    const id = z.string().min(1).safeParse(taskId);
    if (!id.success) return { code: 422, msg: 'taskId is required' };
    const task = this.tasks.get(id.data);
    if (!task || task.account !== accountOf(apiKey)) return { code: 404, msg: `Task ${id.data} not found` };
    return this.withLatencyFaults({
      code: 200,
      msg: detailMsg(task),
      data: describeTask(task, this.clock.now(), this.opts, this.publicUrl),
    });
  }

  credits(apiKey: string): ApiAnswer {
    return (
      this.readFault() ??
      this.withLatencyFaults({ code: 200, msg: 'success', data: this.accounts.balanceOf(accountOf(apiKey)) })
    );
  }

  downloadUrl(apiKey: string, body: unknown): ApiAnswer {
    const failed = this.readFault();
    if (failed) return failed;
    const url = z.object({ url: z.string() }).safeParse(body);
    if (!url.success) return { code: 422, msg: 'url is required' };
    const file = this.fileFor(url.data.url);
    if (!file || file.task.account !== accountOf(apiKey)) {
      return { code: 422, msg: 'Only files generated by this service can be downloaded' };
    }
    if (this.isExpired(file.task)) return { code: 422, msg: 'The file has expired' };
    const token = randomBytes(16).toString('hex');
    this.downloads.set(token, { file: file.name, expiresAt: this.clock.now() + 20 * 60_000 });
    return this.withLatencyFaults({ code: 200, msg: 'success', data: `${this.publicUrl}/download/${token}` });
  }

  // ---- files --------------------------------------------------------------------------------------

  /** The local path behind a public file name (`<taskId>.mp4|.png|-last.png`) or download token. */
  async resolveFile(kind: 'files' | 'download', name: string): Promise<string | undefined> {
    let fileName = name;
    if (kind === 'download') {
      const link = this.downloads.get(name);
      if (!link || link.expiresAt < this.clock.now()) return undefined;
      fileName = link.file;
    }
    const match = /^([\w-]+?)(\.mp4|\.png|-last\.png)$/.exec(fileName);
    const task = match && this.tasks.get(match[1] as string);
    if (!task || task.finishedAt === undefined || task.outcome.state !== 'success' || !task.media)
      return undefined;
    const media = await task.media;
    if (this.isExpired(task)) {
      await this.media.delete(task.taskId);
      return undefined;
    }
    if (match![2] === '.mp4') return media.video;
    if (match![2] === '.png') return media.thumbnail;
    return this.media.lastFrame(media.video);
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
      tasks: this.tasks.size,
      charged: this.accounts.total(),
      ignoredRequestKeys: this.ignoredKeys.snapshot(),
    };
  }

  callbackRecords() {
    return this.callbacks.records;
  }

  taskTimes() {
    return [...this.tasks.values()].map((t) => ({
      taskId: t.taskId,
      parentTaskId: t.parentTaskId,
      state: this.stateOf(t),
      shape: t.answerShape,
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
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.tasks.clear();
    this.accounts.clear();
    this.downloads.clear();
    this.callbacks.records.length = 0;
    for (const k of Object.keys(this.requestCounts)) delete this.requestCounts[k];
    this.ignoredKeys.reset();
    this.rateLimiter.reset();
    this.faults = this.opts.faults;
    this.random = new SeededRandom(this.opts.seed);
    this.resetCredits(this.opts.credits);
  }

  close(): void {
    this.media.close();
    for (const t of this.timers.values()) clearTimeout(t);
    this.callbacks.close();
  }

  // ---- internals ----------------------------------------------------------------------------------

  private resetCredits(credits: number): void {
    for (const key of this.opts.apiKeys) this.accounts.setBalance(accountOf(key), credits);
  }

  private readFault(): ApiAnswer | undefined {
    if (this.faults.maintenance) return { code: 455, msg: 'Service under maintenance' };
    if (this.random.chance(this.faults.readFail)) return { code: 500, msg: 'Internal server error' };
    return undefined;
  }

  private withLatencyFaults(answer: ApiAnswer): ApiAnswer {
    if (this.random.chance(this.faults.hangProbability))
      return { ...answer, hang: true, delayMs: this.faults.hangMs };
    if (this.random.chance(this.faults.slowProbability)) return { ...answer, delayMs: this.faults.slowMs };
    return answer;
  }

  private startTask(
    account: string,
    endpoint: 'generate' | 'extend',
    request: GenerateRequest & ExtendRequest,
    shape: TaskShape,
  ): SimTask {
    const taskId = randomUUID();
    const createdAt = this.clock.now();
    const o = this.opts;
    const decision = decideTask(this.random, this.faults, o.shapes, request.prompt);
    const task: SimTask = {
      taskId,
      account,
      endpoint,
      ...shape,
      chainKey: shape.chainKey || taskId,
      prompt: request.prompt,
      imageUrl:
        endpoint === 'extend'
          ? `${this.publicUrl}/files/${shape.parentTaskId}-last.png`
          : (request.imageUrl ?? ''),
      quality: request.quality,
      callBackUrl: request.callBackUrl ?? '',
      createdAt,
      completeAt:
        createdAt +
        o.waitMs +
        o.queueMs +
        o.generateMs * (shape.seconds / 5) * (o.jitter ? 1 + o.jitter * (this.random.next() * 2 - 1) : 1),
      ...decision,
    };
    if (task.outcome.state === 'success') {
      task.media = this.media.render(task, this.tasks.get(task.parentTaskId)?.media, request.waterMark);
      task.media.catch((err) => this.log(`render of ${taskId} failed: ${(err as Error).message}`));
    }
    this.tasks.set(taskId, task);
    this.schedule(task);
    return task;
  }

  private schedule(task: SimTask): void {
    clearTimeout(this.timers.get(task.taskId));
    const timer = setTimeout(() => void this.finish(task), this.clock.wallDelayUntil(task.completeAt));
    this.timers.set(task.taskId, timer);
  }

  private rescheduleAll(): void {
    for (const task of this.tasks.values()) if (task.finishedAt === undefined) this.schedule(task);
  }

  private async finish(task: SimTask): Promise<void> {
    this.timers.delete(task.taskId);
    if (task.media) {
      try {
        await task.media;
      } catch (err) {
        task.outcome = {
          state: 'fail',
          failCode: 500,
          failMsg: `Rendering failed: ${(err as Error).message}`,
        };
      }
    }
    if (!this.tasks.has(task.taskId) || task.finishedAt !== undefined) return; // reset meanwhile
    task.finishedAt = Math.max(this.clock.now(), task.completeAt);
    task.finishedAtWall = new Date().toISOString();
    if (task.callBackUrl) {
      this.callbacks.deliver(task.callBackUrl, task.taskId, callbackOf(task, this.publicUrl));
    }
  }

  private stateOf(task: SimTask): TaskState {
    return taskState(task, this.clock.now(), this.opts);
  }

  private isExpired(task: SimTask): boolean {
    return isExpired(task, this.clock.now(), this.opts);
  }

  private fileFor(url: string): { task: SimTask; name: string } | undefined {
    const prefix = `${this.publicUrl}/files/`;
    if (!url.startsWith(prefix)) return undefined;
    const name = url.slice(prefix.length);
    const task = this.tasks.get(name.replace(/(\.mp4|\.png|-last\.png)$/, ''));
    return task && task.finishedAt !== undefined ? { task, name } : undefined;
  }
}

function rateLimited(waitMs: number): ApiAnswer {
  return {
    code: 429,
    msg: 'Rate limit exceeded, please retry later',
    headers: { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) },
  };
}
