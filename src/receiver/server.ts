/**
 * The callback receiver: the provider POSTs here when a task finishes. A callback is only a hint: once
 * its URL's capability token (and the provider's signature, when the account signs) checks out, we answer
 * 2xx at once, re-fetch the task from the provider, and signal the workflow with what the provider says.
 * Forged or unknown URLs get 401 and signal nothing; duplicates are harmless.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { WorkflowClient } from '@temporalio/client';
import { outcomeOf } from '../activities/provider';
import { BodyError, closeServer, listen, readJsonBody, sendJson } from '../http/json-server';
import { parseCallback, verifyCallbackSignature } from '../runway/callbacks';
import type { RunwayClient } from '../runway/client';
import { taskFinishedSignal } from '../workflows/definitions';
import { type CallbackTarget, verifyCallbackPath } from './tokens';

export interface ReceiverOptions {
  host: string;
  port: number;
  /** Our secret for the capability tokens in callback URLs. */
  secret: string;
  /** The provider's webhook HMAC key, when the account signs callbacks. */
  webhookHmacKey?: string;
  provider: RunwayClient;
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

export async function startCallbackReceiver(options: ReceiverOptions): Promise<RunningReceiver> {
  const log = options.log ?? (() => undefined);
  const pending = new Set<Promise<void>>();
  const server = http.createServer((req, res) => {
    void accept(req, res).then((followUp) => {
      if (!followUp) return;
      const job = followUp().finally(() => pending.delete(job));
      pending.add(job);
    });
  });

  /** Answer the HTTP request; if the callback is ours, answers the follow-up to run. */
  async function accept(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<(() => Promise<void>) | undefined> {
    const url = new URL(req.url ?? '/', 'http://receiver');
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
    const taskId = payload.data.task_id;
    if (options.webhookHmacKey) {
      try {
        verifyCallbackSignature({ hmacKey: options.webhookHmacKey, taskId, headers: req.headers });
      } catch (err) {
        return reject(res, target, 401, (err as Error).message);
      }
    }
    sendJson(res, 200, { received: true });
    return () => signalFromProvider(target, taskId);
  }

  function reject(res: ServerResponse, target: CallbackTarget, status: number, reason: string): undefined {
    log(`callback for ${target.workflowId} segment ${target.segment} rejected: ${reason}`);
    sendJson(res, status, { error: reason });
    return undefined;
  }

  async function signalFromProvider(target: CallbackTarget, taskId: string): Promise<void> {
    try {
      const detail = await options.provider.recordDetail(taskId);
      if (detail.state !== 'success' && detail.state !== 'fail') {
        log(`callback for task ${taskId} ignored: the provider says it is ${detail.state}`);
        return;
      }
      await options.workflows.getHandle(target.workflowId).signal(taskFinishedSignal, {
        ...outcomeOf(detail),
        segment: target.segment,
        attempt: target.attempt,
      });
      log(`callback: ${target.workflowId} segment ${target.segment} task ${taskId} ${detail.state}`);
    } catch (err) {
      // The workflow's poll finds the task anyway: a lost hint only costs time.
      log(`callback for ${target.workflowId} task ${taskId} not signalled: ${(err as Error).message}`);
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
