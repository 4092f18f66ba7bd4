/**
 * The provider's task-finished callbacks: parsing the (snake_case) body and the optional signature.
 *
 * Signature per the contract: `X-Webhook-Signature` = Base64(HMAC-SHA256(key, `<task_id>.<timestamp>`)),
 * `X-Webhook-Timestamp` in Unix seconds.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CallbackPayload, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from './answers';
import { describeZodError } from '../chain/requests';

export class CallbackRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallbackRejected';
  }
}

/** Parse and validate a callback body (a string, a Buffer or already-parsed JSON). */
export function parseCallback(body: unknown): CallbackPayload {
  let json = body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    try {
      json = JSON.parse(body.toString());
    } catch {
      throw new CallbackRejected('callback body is not JSON');
    }
  }
  const parsed = CallbackPayload.safeParse(json);
  if (!parsed.success) throw new CallbackRejected(`callback body: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** True when the callback reports a finished, successful task. */
export function isSuccessCallback(payload: CallbackPayload): boolean {
  return payload.code === 200;
}

export function signCallback(hmacKey: string, taskId: string, timestampSeconds: number): string {
  return createHmac('sha256', hmacKey).update(`${taskId}.${timestampSeconds}`).digest('base64');
}

/** The headers a signed callback carries. */
export function callbackSignatureHeaders(
  hmacKey: string,
  taskId: string,
  nowMs = Date.now(),
): Record<string, string> {
  const ts = Math.floor(nowMs / 1000);
  return {
    [WEBHOOK_TIMESTAMP_HEADER]: String(ts),
    [WEBHOOK_SIGNATURE_HEADER]: signCallback(hmacKey, taskId, ts),
  };
}

export interface VerifyOptions {
  hmacKey: string;
  taskId: string;
  headers: Record<string, string | string[] | undefined>;
  /** How far the timestamp may be from now, either way. */
  toleranceSeconds?: number;
  nowMs?: number;
}

/** Throws `CallbackRejected` unless the signature headers are present, fresh and right. */
export function verifyCallbackSignature(options: VerifyOptions): void {
  const header = (name: string) => {
    const v = options.headers[name] ?? options.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  const tsRaw = header(WEBHOOK_TIMESTAMP_HEADER);
  const signature = header(WEBHOOK_SIGNATURE_HEADER);
  if (!tsRaw || !signature) throw new CallbackRejected('callback signature headers missing');
  if (!/^\d{1,12}$/.test(tsRaw)) throw new CallbackRejected('callback timestamp is not Unix seconds');
  const ts = Number(tsRaw);
  const tolerance = options.toleranceSeconds ?? 300;
  const now = Math.floor((options.nowMs ?? Date.now()) / 1000);
  if (Math.abs(now - ts) > tolerance) {
    throw new CallbackRejected(`callback timestamp is ${now - ts} s away from now (limit ${tolerance} s)`);
  }
  const expected = Buffer.from(signCallback(options.hmacKey, options.taskId, ts));
  const given = Buffer.from(signature);
  // timingSafeEqual needs equal lengths; comparing against itself keeps the time constant.
  const same = given.length === expected.length && timingSafeEqual(given, expected);
  if (!same) throw new CallbackRejected('callback signature does not match');
}
