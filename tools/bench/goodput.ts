/**
 * P4 of `npm run bench`: the provider allows R creates per second (the simulator enforces R × 10 per 10 s
 * window and answers 429 beyond); three worker processes share `PROVIDER_RATE_LIMIT_PER_SECOND = R` on the
 * provider task queue, with more chains than R can serve. Goodput is the accepted creates per second over
 * the saturated stretch, against R; the 429 share is of every create request.
 */
import { startDrillStack } from '../stack';
import { awaitFleet, startFleet } from '../lab/fleet-chains';

export interface GoodputResult {
  limit: number;
  workers: number;
  creates: number;
  achieved: number;
  ratio: number;
  share429: number;
  /** Seconds after the first create when the limit refused creates: a burst at the start, or spread out. */
  rejectedAfterSeconds: number[];
  wallSeconds: number;
}

export async function measureGoodput(
  limit: number,
  chains: number,
  segments: number,
  timeScale: number,
): Promise<GoodputResult> {
  const started = Date.now();
  const stack = await startDrillStack({
    sim: { timeScale, rateLimit: limit * 10, media: 'shared', jitter: 0.25, log: false },
    callbacks: true,
    workerEnv: {
      PROVIDER_RATE_LIMIT_PER_SECOND: String(limit),
      PROVIDER_READS_PER_SECOND: '200',
    },
  });
  try {
    const workers = 3;
    await stack.startWorkers(workers);
    const fleet = await startFleet(stack.client, {
      prefix: 'goodput',
      chains,
      segments,
      options: { deliver: false, pollIntervalMs: 60_000 },
    });
    await awaitFleet(stack.client, fleet);
    const [ledger, stats] = await Promise.all([stack.admin.ledger(), stack.admin.stats()]);
    const times = ledger.map((e) => Date.parse(e.createdAt)).sort((a, b) => a - b);
    // The saturated stretch: from the first create to the last, less the tail where fewer chains remain
    // than the limit can serve (the last 10 % of creates).
    const busy = times.slice(0, Math.ceil(times.length * 0.9));
    const achieved = (busy.length - 1) / ((busy[busy.length - 1]! - busy[0]!) / 1000);
    const createRequests = ['generate', 'extend']
      .map((endpoint) => Object.values(stats.requests[endpoint] ?? {}).reduce((a, b) => a + b, 0))
      .reduce((a, b) => a + b, 0);
    const rejected = ['generate', 'extend']
      .map((endpoint) => stats.requests[endpoint]?.['429'] ?? 0)
      .reduce((a, b) => a + b, 0);
    return {
      limit,
      workers,
      creates: ledger.length,
      achieved: Math.round(achieved * 100) / 100,
      ratio: Math.round((achieved / limit) * 1000) / 1000,
      share429: Math.round((rejected / createRequests) * 10000) / 10000,
      rejectedAfterSeconds: stats.rateLimit.rejectedAt.map((t) => Math.round((t - times[0]!) / 100) / 10),
      wallSeconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    await stack.stop();
  }
}
