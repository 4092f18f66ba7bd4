/**
 * Capability tokens in callback URLs: one URL per (workflow, segment, attempt), carrying an HMAC of those
 * three under our own secret, so a callback can only speak for the create it was made for.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface CallbackTarget {
  workflowId: string;
  segment: number;
  attempt: number;
}

function tokenFor(secret: string, t: CallbackTarget): string {
  return createHmac('sha256', secret)
    .update(`${t.workflowId}\n${t.segment}\n${t.attempt}`)
    .digest('base64url');
}

export function callbackUrl(publicUrl: string, secret: string, target: CallbackTarget): string {
  const base = publicUrl.replace(/\/$/, '');
  const id = encodeURIComponent(target.workflowId);
  return `${base}/callbacks/${id}/${target.segment}/${target.attempt}/${tokenFor(secret, target)}`;
}

/** The target of a callback path, if its token is right (compared in constant time); undefined otherwise. */
export function verifyCallbackPath(secret: string, pathname: string): CallbackTarget | undefined {
  const m = /^\/callbacks\/([^/]{1,1000})\/(\d{1,6})\/(\d{1,6})\/([A-Za-z0-9_-]{43})$/.exec(pathname);
  if (!m) return undefined;
  let workflowId: string;
  try {
    workflowId = decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
  const target = { workflowId, segment: Number(m[2]), attempt: Number(m[3]) };
  const expected = Buffer.from(tokenFor(secret, target));
  const given = Buffer.from(m[4]!);
  return given.length === expected.length && timingSafeEqual(given, expected) ? target : undefined;
}
