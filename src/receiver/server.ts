/**
 * The callback receiver: the provider POSTs here when a task finishes. One hop: once the URL's capability
 * token (and the provider's signature, when the account signs) checks out, the receiver signals the chain
 * a hint `{ segment, attempt, taskId, state }` taken from the body, and answers. It holds no provider key
 * and reads nothing from the provider: the chain confirms the task with its own read, on the read queue.
 *
 * Answers: 401 for a forged or unknown URL or a bad signature, 400 for a body that is not a callback (both
 * signal nothing); 200 once the signal is recorded, or when there is nothing to signal (a repeat of a URL
 * already used, a failure without a task id, a chain that is not running); 503 when the signal could not
 * be delivered (Temporal unreachable past the client's own retries): the URL is free again, so that a
 * provider that retries delivers it later. The chain's poll is the safety net either way.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { WorkflowNotFoundError, type WorkflowClient } from '@temporalio/client';
import { BodyError, closeServer, listen, readJsonBody, sendJson } from '../http/json-server';
import { isSuccessCallback, parseCallback, verifyCallbackSignature } from '../provider/callbacks';
import { type CallbackHint, taskFinishedSignal } from '../workflows/messages';
import { UsedCallbackUrls } from './callback-guards';
import { type CallbackTarget, verifyCallbackPath } from '../provider/callback-tokens';

export interface ReceiverOptions {
  host: string;
  port: number;
  /** Our secret for the capability tokens in callback URLs. */
  secret: string;
  /** The provider's webhook HMAC key, when the account signs callbacks. */
  webhookHmacKey?: string;
  workflows: WorkflowClient;
  /**
   * How long a signal may take, the Temporal client's own retries included, before the callback is
   * answered 503: below the provider's time-out for a callback delivery (5 s in the simulator).
   */
  signalTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface RunningReceiver {
  url: string;
  /** Callbacks being answered (each signals before it answers): for tests and a graceful stop. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const BODY_LIMIT = 16 * 1024;
const SIGNAL_TIMEOUT_MS = 4_000;

export async function startCallbackReceiver(options: ReceiverOptions): Promise<RunningReceiver> {
  const log = options.log ?? (() => undefined);
  const pending = new Set<Promise<void>>();
  const usedUrls = new UsedCallbackUrls();
  const signalTimeoutMs = options.signalTimeoutMs ?? SIGNAL_TIMEOUT_MS;
  const server = http.createServer((req, res) => {
    const job = accept(req, res)
      .catch((err: unknown) => {
        // Whatever a request carries must not become an unhandled rejection: that ends the worker process.
        log(`callback request failed: ${(err as Error).message}`);
        if (!res.headersSent) sendJson(res, 400, { error: 'malformed request' });
        else res.destroy();
      })
      .finally(() => pending.delete(job));
    pending.add(job);
  });

  /** Answer the HTTP request, signalling the chain first if the callback is ours and new. */
  async function accept(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://receiver');
    } catch {
      // e.g. `POST //host:port-that-is-not-a-number`: no URL of ours looks like that.
      return sendJson(res, 400, { error: 'malformed request URL' });
    }
    if (req.method === 'GET' && url.pathname === '/healthz') return sendJson(res, 200, { ok: true });
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'POST only' });
    const target = verifyCallbackPath(options.secret, url.pathname);
    if (!target) {
      req.resume();
      log(`callback rejected: unknown or forged URL`);
      return sendJson(res, 401, { error: 'unknown callback URL' });
    }
    let payload;
    try {
      payload = parseCallback(await readJsonBody(req, BODY_LIMIT));
    } catch (err) {
      return reject(res, target, err instanceof BodyError ? err.status : 400, (err as Error).message);
    }
    const taskId = payload.data?.task_id;
    if (!taskId) {
      if (isSuccessCallback(payload))
        return reject(res, target, 400, 'a success callback must name its task');
      // A failure callback may come without `data`: nothing to name. The chain's poll, which knows the
      // task, learns the outcome; the provider is told we have it, so it does not send again.
      log(`callback for ${target.workflowId} segment ${target.segment} has no task id: left to the poll`);
      return sendJson(res, 200, { received: true });
    }
    if (options.webhookHmacKey) {
      try {
        verifyCallbackSignature({ hmacKey: options.webhookHmacKey, taskId, headers: req.headers });
      } catch (err) {
        return reject(res, target, 401, (err as Error).message);
      }
    }
    // A callback URL is single-use: a replay (or the provider's duplicate) signals nothing.
    const key = `${target.workflowId}/${target.segment}/${target.attempt}`;
    if (!usedUrls.take(key)) {
      log(`callback for ${target.workflowId} segment ${target.segment} repeated: ignored`);
      return sendJson(res, 200, { received: true });
    }
    const hint: CallbackHint = {
      segment: target.segment,
      attempt: target.attempt,
      taskId,
      state: isSuccessCallback(payload) ? 'success' : 'fail',
    };
    const signalled = await signal(target, hint);
    if (signalled === 'unreachable') {
      usedUrls.giveBack(key); // the provider's retry, if it makes one, may deliver it
      return sendJson(res, 503, { error: 'the chain could not be signalled; try again later' });
    }
    sendJson(res, 200, { received: true });
  }

  function reject(res: ServerResponse, target: CallbackTarget, status: number, reason: string): void {
    log(`callback for ${target.workflowId} segment ${target.segment} rejected: ${reason}`);
    sendJson(res, status, { error: reason });
  }

  /**
   * Signal the chain. The Temporal client retries what is worth retrying (an unavailable server) within
   * the deadline; a chain that is not running is final: nothing waits for the hint.
   */
  async function signal(
    target: CallbackTarget,
    hint: CallbackHint,
  ): Promise<'signalled' | 'no chain' | 'unreachable'> {
    const { workflowId } = target;
    try {
      await options.workflows.connection.withDeadline(Date.now() + signalTimeoutMs, () =>
        options.workflows.getHandle(workflowId).signal(taskFinishedSignal, hint),
      );
      log(`callback: ${workflowId} segment ${hint.segment} task ${hint.taskId} ${hint.state}: signalled`);
      return 'signalled';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        log(`callback for ${workflowId} task ${hint.taskId} not signalled: no such running chain`);
        return 'no chain';
      }
      // A poll still finds a task whose id the workflow has: a lost hint then only costs time.
      log(`callback for ${workflowId} task ${hint.taskId} not signalled: ${(err as Error).message}`);
      return 'unreachable';
    }
  }

  const url = await listen(server, options.host, options.port);
  return {
    url,
    async idle() {
      while (pending.size) await Promise.all([...pending]);
    },
    async close() {
      await closeServer(server);
      await Promise.all([...pending]);
    },
  };
}
