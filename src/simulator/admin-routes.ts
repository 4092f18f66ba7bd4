/**
 * The simulator's admin API under `/admin/` (Bearer admin token), the same in both API modes: ledger,
 * stats, tasks, fault injection, credits, the clock, reset.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { describeZodError } from '../chain/requests';
import { readJsonBody, sendJson } from '../http/json-server';
import type { SimClock } from './clock';
import { type LedgerEntry, accountOf } from './ledger';
import type { FaultConfig, ResolvedSimulatorOptions } from './options';

/** What the admin API drives: the reseller mode's `SimulatedProvider` or the official mode's `RunwaymlProvider`. */
export interface AdminTarget {
  readonly clock: SimClock;
  readonly faults: FaultConfig;
  ledger(): LedgerEntry[];
  stats(): unknown;
  callbackRecords(): unknown[];
  taskTimes(): unknown[];
  setCredits(credits: number, apiKey?: string): void;
  setFaults(patch: unknown): FaultConfig;
  startBurst429(ms: number): void;
  reset(): void;
}

const BODY_LIMIT = 64 * 1024;

const CreditsBody = z.object({ credits: z.number().nonnegative(), apiKey: z.string().optional() }).strict();
const ClockBody = z
  .object({ timeScale: z.number().positive().optional(), advanceMs: z.number().nonnegative().optional() })
  .strict();

export async function handleAdmin(
  provider: AdminTarget,
  options: ResolvedSimulatorOptions,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  if (bearer(req) !== options.adminToken) return sendJson(res, 401, { error: 'admin token required' });
  const route = `${req.method} ${url.pathname}`;
  let body: unknown = {};
  try {
    if (req.method === 'POST')
      body = await readJsonBody(req, BODY_LIMIT).catch((e) =>
        e.message.includes('empty') ? {} : Promise.reject(e),
      );
    switch (route) {
      case 'GET /admin/ledger':
        return sendJson(res, 200, provider.ledger());
      case 'GET /admin/stats':
        return sendJson(res, 200, provider.stats());
      case 'GET /admin/callbacks':
        return sendJson(res, 200, provider.callbackRecords());
      case 'GET /admin/tasks':
        return sendJson(res, 200, provider.taskTimes());
      case 'POST /admin/credits': {
        const { credits, apiKey } = CreditsBody.parse(body);
        if (apiKey && !options.apiKeys.includes(apiKey))
          return sendJson(res, 404, { error: 'unknown API key' });
        provider.setCredits(credits, apiKey);
        return sendJson(res, 200, { credits, account: apiKey ? accountOf(apiKey) : 'all' });
      }
      case 'GET /admin/faults':
        return sendJson(res, 200, provider.faults);
      case 'POST /admin/faults': {
        const { startBurst429Ms, ...patch } = body as { startBurst429Ms?: unknown };
        const faults = provider.setFaults(patch);
        if (startBurst429Ms !== undefined)
          provider.startBurst429(z.number().nonnegative().parse(startBurst429Ms));
        return sendJson(res, 200, faults);
      }
      case 'GET /admin/clock':
        return sendJson(res, 200, {
          now: new Date(provider.clock.now()).toISOString(),
          timeScale: provider.clock.timeScale,
        });
      case 'POST /admin/clock': {
        const { timeScale, advanceMs } = ClockBody.parse(body);
        if (timeScale !== undefined) provider.clock.setTimeScale(timeScale);
        if (advanceMs !== undefined) provider.clock.advance(advanceMs);
        return sendJson(res, 200, {
          now: new Date(provider.clock.now()).toISOString(),
          timeScale: provider.clock.timeScale,
        });
      }
      case 'POST /admin/reset':
        provider.reset();
        return sendJson(res, 200, { reset: true });
      default:
        return sendJson(res, 404, { error: `No admin route ${route}` });
    }
  } catch (err) {
    const message = err instanceof z.ZodError ? describeZodError(err) : (err as Error).message;
    sendJson(res, 400, { error: message });
  }
}

export function bearer(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1]?.trim();
}
