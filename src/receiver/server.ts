/**
 * The callback receiver: the provider POSTs here when a task finishes. A callback is only a hint: once
 * its URL's capability token (and the provider's signature, when the account signs) checks out, we answer
 * 2xx at once, re-fetch the task from the provider, and signal the workflow with what the provider says.
 * Forged or unknown URLs get 401 and signal nothing. Each URL is used once: a repeat (a replay, or the
 * provider's duplicate) gets 200 and neither reads nor signals, and reads are paced to the read budget.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { WorkflowNotFoundError, type WorkflowClient } from '@temporalio/client';
import { outcomeOf } from '../activities/provider';
import { BodyError, closeServer, listen, readJsonBody, sendJson } from '../http/json-server';
import { parseCallback, verifyCallbackSignature } from '../provider/callbacks';
import type { RunwayClient } from '../provider/client';
import { RunwayError } from '../provider/errors';
import { taskFinishedSignal } from '../workflows/messages';
import { ReadPacer, UsedCallbackUrls } from './callback-guards';
import { type CallbackTarget, verifyCallbackPath } from '../provider/callback-tokens';

export interface ReceiverOptions {
  host: string;
  port: number;
  /** Our secret for the capability tokens in callback URLs. */
  secret: string;
  /** The provider's webhook HMAC key, when the account signs callbacks. */
  webhookHmacKey?: string;
  provider: RunwayClient;
  /** The provider reads a second this receiver may make (the workers' PROVIDER_READS_PER_SECOND); none: no limit. */
  readsPerSecond?: number;
  workflows: WorkflowClient;
  log?: (line: string) => void;
}

export interface RunningReceiver {
  url: string;
  /** Callbacks accepted and not yet turned into signals: for tests and a graceful stop. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const BODY_LIMIT = 16 * 1024;
/** Re-fetch and signal retries: about 30 s in all, enough to ride out a provider hiccup or a server restart. */
const RETRY_ATTEMPTS = 8;
const RETRY_BASE_MS = 250;
const isFinal = (err: unknown) => err instanceof WorkflowNotFoundError;

export async function startCallbackReceiver(options: ReceiverOptions): Promise<RunningReceiver> {
  const log = options.log ?? (() => undefined);
  const pending = new Set<Promise<void>>();
  const usedUrls = new UsedCallbackUrls();
  const reads = new ReadPacer(options.readsPerSecond);
  let closing = false;
  const server = http.createServer((req, res) => {
    accept(req, res).then(
      (followUp) => {
        if (!followUp) return;
        const job = followUp().finally(() => pending.delete(job));
        pending.add(job);
      },
      (err: unknown) => {
        // Whatever a request carries must not become an unhandled rejection: that ends the worker process.
        log(`callback request failed: ${(err as Error).message}`);
        if (!res.headersSent) sendJson(res, 400, { error: 'malformed request' });
        else res.destroy();
      },
    );
  });

  /** Answer the HTTP request; if the callback is ours, answers the follow-up to run. */
  async function accept(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<(() => Promise<void>) | undefined> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://receiver');
    } catch {
      // e.g. `POST //host:port-that-is-not-a-number`: no URL of ours looks like that.
      return void sendJson(res, 400, { error: 'malformed request URL' });
    }
    if (req.method === 'GET' && url.pathname === '/healthz') return void sendJson(res, 200, { ok: true });
    if (req.method !== 'POST') return void sendJson(res, 405, { error: 'POST only' });
    const target = verifyCallbackPath(options.secret, url.pathname);
    if (!target) {
      req.resume();
      log(`callback rejected: unknown or forged URL`);
      return void sendJson(res, 401, { error: 'unknown callback URL' });
    }
    let payload;
    try {
      payload = parseCallback(await readJsonBody(req, BODY_LIMIT));
    } catch (err) {
      return reject(res, target, err instanceof BodyError ? err.status : 400, (err as Error).message);
    }
    const taskId = payload.data?.task_id;
    if (!taskId) {
      if (payload.code === 200) return reject(res, target, 400, 'a success callback must name its task');
      // A failure callback may come without `data`: nothing to re-fetch. The chain's poll, which knows
      // the task, learns the outcome; the provider is told we have it, so it does not send again.
      log(`callback for ${target.workflowId} segment ${target.segment} has no task id: left to the poll`);
      return void sendJson(res, 200, { received: true });
    }
    if (options.webhookHmacKey) {
      try {
        verifyCallbackSignature({ hmacKey: options.webhookHmacKey, taskId, headers: req.headers });
      } catch (err) {
        return reject(res, target, 401, (err as Error).message);
      }
    }
    sendJson(res, 200, { received: true });
    // A callback URL is single-use: a replay (or the provider's duplicate) reads and signals nothing.
    const key = `${target.workflowId}/${target.segment}/${target.attempt}`;
    if (!usedUrls.take(key)) {
      log(`callback for ${target.workflowId} segment ${target.segment} repeated: ignored`);
      return undefined;
    }
    // The callback's own failure code and message fill in what record-detail leaves out.
    const reported = payload.code === 200 ? {} : { failCode: String(payload.code), failMsg: payload.msg };
    return async () => {
      if (!(await signalFromProvider(target, taskId, reported))) usedUrls.giveBack(key);
    };
  }

  function reject(res: ServerResponse, target: CallbackTarget, status: number, reason: string): undefined {
    log(`callback for ${target.workflowId} segment ${target.segment} rejected: ${reason}`);
    sendJson(res, status, { error: reason });
    return undefined;
  }

  /** Confirm the task with the provider and signal the chain; answers whether it signalled. */
  async function signalFromProvider(
    target: CallbackTarget,
    taskId: string,
    reported: { failCode?: string; failMsg?: string },
  ): Promise<boolean> {
    try {
      // For a create whose answer was lost, this callback is the only way to learn the task's id: a
      // failed read or an unreachable Temporal server is retried for a while before the hint is dropped.
      const detail = await retryTransient(async () => {
        await reads.turn();
        return options.provider.recordDetail(taskId);
      });
      if (detail.state !== 'success' && detail.state !== 'fail') {
        log(`callback for task ${taskId} ignored: the provider says it is ${detail.state}`);
        return false;
      }
      await retryTransient(() =>
        options.workflows.getHandle(target.workflowId).signal(taskFinishedSignal, {
          ...(detail.state === 'fail' ? reported : {}),
          ...outcomeOf(detail),
          segment: target.segment,
          attempt: target.attempt,
        }),
      );
      log(`callback: ${target.workflowId} segment ${target.segment} task ${taskId} ${detail.state}`);
      return true;
    } catch (err) {
      // A poll still finds a task whose id the workflow has: a lost hint then only costs time.
      log(`callback for ${target.workflowId} task ${taskId} not signalled: ${(err as Error).message}`);
      return false;
    }
  }

  /** Retry provider errors marked retryable and Temporal connection errors, with doubling pauses. */
  async function retryTransient<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        const transient =
          (err instanceof RunwayError && err.retryable) || (!(err instanceof RunwayError) && !isFinal(err));
        if (!transient || closing || attempt >= RETRY_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, RETRY_BASE_MS * 2 ** (attempt - 1)));
      }
    }
  }

  const url = await listen(server, options.host, options.port);
  return {
    url,
    async idle() {
      while (pending.size) await Promise.all([...pending]);
    },
    async close() {
      closing = true;
      await closeServer(server);
      await Promise.all([...pending]);
    },
  };
}
