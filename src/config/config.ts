/**
 * Configuration from the environment (and `.env`), validated in one place. The API key and the callback
 * secret live here and in the activities' closure only: never in workflow input, results, history or logs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeZodError } from '../chain/requests';
import { DEFAULT_BASE_URL } from '../provider/client';
import { readDevState } from './dev-state';

const optionalUrl = z
  .string()
  .url()
  .optional()
  .or(z.literal('').transform(() => undefined));
const int = (min: number) => z.coerce.number().int().min(min);

export const Config = z
  .object({
    /** Needed by the worker only (the receiver makes no provider call). */
    RUNWAY_API_KEY: z.string().min(1).optional(),
    RUNWAY_BASE_URL: z.string().url().default(DEFAULT_BASE_URL),
    RUNWAY_TIMEOUT_MS: int(100).default(30_000),
    /** The provider's webhook HMAC key, when the account signs callbacks. */
    RUNWAY_WEBHOOK_HMAC_KEY: z.string().min(1).optional(),
    TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    /** A Temporal Cloud API key (sent as a bearer token; implies TLS). Never logged. */
    TEMPORAL_API_KEY: z.string().min(1).optional(),
    /** mTLS: the client certificate and its private key (PEM files, read at connect time); set both. */
    TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
    TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
    /** A CA to trust for the server's certificate, when the system's roots do not cover it. */
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional(),
    /** The name to check the server's certificate against (SNI), when it differs from the address. */
    TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
    /** Force TLS on (`true`) with no other TLS setting, or off (`false`); unset: on when any TLS key is set. */
    TEMPORAL_TLS: z
      .enum(['true', 'false', '1', '0'], { message: 'TEMPORAL_TLS must be true or false' })
      .transform((v) => v === 'true' || v === '1')
      .optional(),
    /** Where the provider can reach our callback receiver; without it chains poll only. */
    CALLBACK_PUBLIC_URL: optionalUrl,
    /** Signs the capability tokens in callback URLs. Required with CALLBACK_PUBLIC_URL. */
    CALLBACK_SECRET: z.string().min(16, 'CALLBACK_SECRET must be at least 16 characters').optional(),
    CALLBACK_HOST: z.string().default('127.0.0.1'),
    /** The Web UI, for links printed by the CLI. */
    TEMPORAL_UI_URL: optionalUrl,
    CALLBACK_PORT: int(0).max(65535).default(8787),
    /** Provider calls per second across every worker (Temporal enforces it on the provider task queue). */
    PROVIDER_RATE_LIMIT_PER_SECOND: z.coerce.number().positive().default(1.5),
    /** Task polls (record-detail) per second across every worker: reads do not count against creates. */
    PROVIDER_READS_PER_SECOND: z.coerce.number().positive().default(10),
    /** Concurrent provider calls per worker process. */
    PROVIDER_CONCURRENCY: int(1).default(20),
    POLL_INTERVAL_MS: int(10).default(6_000),
    WORKER_SHUTDOWN_GRACE_MS: int(0).default(10_000),
    /** Where each chain's files go (one folder per workflow id). */
    OUTPUT_DIR: z.string().min(1).default('.data/output'),
    /** Hosts segment files may be downloaded from, besides the provider's own (comma-separated). */
    MEDIA_HOSTS: z
      .string()
      .default('')
      .transform((s) =>
        s
          .split(',')
          .map((h) => h.trim())
          .filter(Boolean),
      ),
    MEDIA_MAX_BYTES: int(1).default(512 * 1024 * 1024),
    MEDIA_DOWNLOAD_TIMEOUT_MS: int(100).default(120_000),
    /** The worker's log level (read by `src/temporal/logging.ts`). */
    LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  })
  .superRefine((c, ctx) => {
    if (c.CALLBACK_PUBLIC_URL && !c.CALLBACK_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['CALLBACK_SECRET'],
        message: 'CALLBACK_SECRET is required with CALLBACK_PUBLIC_URL',
      });
    }
    if (Boolean(c.TEMPORAL_TLS_CLIENT_CERT_PATH) !== Boolean(c.TEMPORAL_TLS_CLIENT_KEY_PATH)) {
      ctx.addIssue({
        code: 'custom',
        path: [
          c.TEMPORAL_TLS_CLIENT_CERT_PATH ? 'TEMPORAL_TLS_CLIENT_KEY_PATH' : 'TEMPORAL_TLS_CLIENT_CERT_PATH',
        ],
        message:
          'TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together (the mTLS client certificate and its key)',
      });
    }
    const needsTls = tlsSettingsIn(c);
    if (c.TEMPORAL_TLS === false && needsTls.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['TEMPORAL_TLS'],
        message: `TEMPORAL_TLS=false contradicts ${needsTls.join(', ')} (they need TLS)`,
      });
    }
  });
export type Config = z.infer<typeof Config>;

/** The Temporal connection settings that only make sense over TLS. */
export function tlsSettingsIn(
  c: Pick<
    Config,
    | 'TEMPORAL_API_KEY'
    | 'TEMPORAL_TLS_CLIENT_CERT_PATH'
    | 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'
    | 'TEMPORAL_TLS_SERVER_NAME'
  >,
): string[] {
  const keys = [
    'TEMPORAL_API_KEY',
    'TEMPORAL_TLS_CLIENT_CERT_PATH',
    'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
    'TEMPORAL_TLS_SERVER_NAME',
  ] as const;
  return keys.filter((k) => c[k] !== undefined);
}

/** `KEY=value` lines of a `.env` file; the real environment wins. */
export function readDotEnv(file = '.env'): Record<string, string> {
  if (!existsSync(file)) return {};
  const entries: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) entries[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return entries;
}

/** The environment, over `.env`, over a running `long-video dev` stack's settings. */
export function loadConfig(
  env: NodeJS.ProcessEnv = {
    ...withoutBlanks(readDevState()?.env ?? {}),
    ...withoutBlanks(readDotEnv()),
    ...withoutBlanks(process.env),
  },
): Config {
  const parsed = Config.safeParse(withoutBlanks(env));
  if (!parsed.success) throw new Error(`configuration: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** `KEY=` (as in `.env.example`, or compose's `${KEY:-}`) means unset, not an empty value. */
function withoutBlanks(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
}

/** The provider key, for the processes that call the provider. */
export function providerApiKey(config: Config): string {
  if (!config.RUNWAY_API_KEY) {
    throw new Error(
      'RUNWAY_API_KEY is not set: the worker needs the provider API key (or run `long-video dev`)',
    );
  }
  return config.RUNWAY_API_KEY;
}
