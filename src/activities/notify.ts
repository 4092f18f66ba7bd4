/**
 * A chain's notifications: one POST of a `ChainNotice` as JSON to the chain's `notifyUrl`, signed when the
 * worker has NOTIFY_SECRET (the secret stays here: never in workflow input or history). Runs on the
 * workflow queue, retried by its caller (the `chainNotification` workflow) for up to an hour.
 */
import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { ChainNotice } from '../chain/notice';
import { redactUrl } from '../chain/redact';

export interface NotifyDeps {
  /** Signs each notice (HMAC-SHA256) in `X-Long-Video-Signature`. */
  secret?: string;
  /** One POST's time limit. */
  timeoutMs?: number;
}

export const SIGNATURE_HEADER = 'x-long-video-signature';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: a receiver checks it and the time's freshness. */
export function signNotice(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export function createNotifyActivities(deps: NotifyDeps = {}) {
  return {
    async sendChainNotice({ url, notice }: { url: string; notice: ChainNotice }): Promise<number> {
      const body = JSON.stringify(notice);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'long-video-notify',
      };
      if (deps.secret)
        headers[SIGNATURE_HEADER] = signNotice(deps.secret, body, Math.floor(Date.now() / 1000));
      const where = redactUrl(url);
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
        });
      } catch (err) {
        // Down, unreachable, too slow: tried again.
        throw ApplicationFailure.retryable(
          `notify ${where}: ${(err as Error).cause ?? (err as Error).message}`,
          'NotifyUnreachable',
        );
      }
      await response.body?.cancel().catch(() => undefined);
      const { status } = response;
      if (status >= 200 && status < 300) return status;
      // A receiver that refuses the request (a wrong URL, a redirect) will not change its mind; one that
      // is busy or broken may.
      const final = status < 500 && status !== 408 && status !== 429;
      throw ApplicationFailure.create({
        type: final ? 'NotifyRefused' : 'NotifyFailed',
        nonRetryable: final,
        message: `notify ${where}: HTTP ${status}`,
      });
    },
  };
}
