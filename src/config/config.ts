/**
 * Configuration from the environment (and `.env`), validated in one place. The API key and the callback
 * secret live here and in the activities' closure only: never in workflow input, results, history or logs.
 * Temporal's connection (TEMPORAL_ADDRESS, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TOML profiles) is Temporal's
 * own environment configuration (`./connection.ts`); the rest are our settings.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { NotifyUrl, describeZodError } from '../chain/requests';
import { DEFAULT_BASE_URL } from '../provider/client';
import { RUNWAYML_BASE_URL } from '../provider/runwayml/client';
import {
  DEFAULT_PROVIDER,
  PROVIDER_KEY_SETTING,
  PROVIDER_NAMES,
  type ProviderName,
} from '../chain/providers';
import { TEMPORAL_ENV_KEYS, type TemporalSettings, loadTemporalSettings } from './connection';
import { readDevState } from './dev-state';

const optionalUrl = z
  .string()
  .url()
  .optional()
  .or(z.literal('').transform(() => undefined));
const int = (min: number) => z.coerce.number().int().min(min);

export const Settings = z
  .object({
    /** Needed by the worker only (the receiver makes no provider call). */
    RUNWAY_API_KEY: z.string().min(1).optional(),
    RUNWAY_BASE_URL: z.string().url().default(DEFAULT_BASE_URL),
    RUNWAY_TIMEOUT_MS: int(100).default(30_000),
    /** The provider `long-video start` picks when not told (`--provider`); a chain keeps its own for life. */
    PROVIDER: z.enum(PROVIDER_NAMES).default(DEFAULT_PROVIDER),
    /** The official Runway API's key (the official SDK's name for it); needed by workers that run its chains. */
    RUNWAYML_API_SECRET: z.string().min(1).optional(),
    RUNWAYML_BASE_URL: z.string().url().default(RUNWAYML_BASE_URL),
    /** The provider's webhook HMAC key, when the account signs callbacks. */
    RUNWAY_WEBHOOK_HMAC_KEY: z.string().min(1).optional(),
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
    /** Where the worker answers `GET /healthz` (its three workers running: 200); unset, it does not listen. */
    WORKER_HEALTH_PORT: int(0).max(65535).optional(),
    WORKER_HEALTH_HOST: z.string().default('127.0.0.1'),
    /** Chains kept in memory between their workflow tasks (the SDK's maxCachedWorkflows); others replay. */
    WORKER_CACHED_CHAINS: int(0).optional(),
    /**
     * Days Temporal keeps a closed chain (its history: status, resume, redo) in the namespaces we create
     * (`long-video dev`, compose): at least the provider's 14 days of files, so a closed chain can be resumed
     * while its segments can still be extended.
     */
    CHAIN_RETENTION_DAYS: int(1).default(30),
    /** Where each chain's files go (one folder per workflow id). */
    OUTPUT_DIR: z.string().min(1).default('.data/output'),
    /** Where the worker serves OUTPUT_DIR over HTTP (the links of the Web UI, the CLI and the report). */
    OUTPUT_HOST: z.string().default('127.0.0.1'),
    OUTPUT_PORT: int(0).max(65535).default(8788),
    /** The base URL links use when the folder is served elsewhere (a proxy, a bucket); else OUTPUT_HOST:PORT. */
    OUTPUT_PUBLIC_URL: optionalUrl,
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
    /** `long-video start`'s default `--notify` URL: where chains POST their pauses and their end. */
    NOTIFY_URL: NotifyUrl.optional(),
    /** Signs notifications (X-Long-Video-Signature); read by the worker only, never put in a chain. */
    NOTIFY_SECRET: z.string().min(16, 'NOTIFY_SECRET must be at least 16 characters').optional(),
    /** The worker's log level (`workerLogger(config.LOG_LEVEL)`). */
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
  });
/** Our own settings: the provider, callbacks, workers, media and logs. */
export type Settings = z.infer<typeof Settings>;
export type Config = Settings & TemporalSettings;

/** Every variable the configuration reads (envconfig also reads `TEMPORAL_GRPC_META_<HEADER>`). */
export const CONFIG_ENV_KEYS: readonly string[] = [...Object.keys(Settings.shape), ...TEMPORAL_ENV_KEYS];

/** The variables of an env file (`KEY=value` lines, as `node --env-file` reads them); none when it is absent. */
export function readEnvFile(file = '.env'): Record<string, string> {
  return existsSync(file) ? (parseEnv(readFileSync(file, 'utf8')) as Record<string, string>) : {};
}

/** The environment, over `.env`, over a running `long-video dev` stack's settings. */
export function loadConfig(
  env: NodeJS.ProcessEnv = {
    ...withoutBlanks(readDevState()?.env ?? {}),
    ...withoutBlanks(readEnvFile()),
    ...withoutBlanks(process.env),
  },
): Config {
  const vars = withoutBlanks(env);
  const parsed = Settings.safeParse(vars);
  if (!parsed.success) throw new Error(`configuration: ${describeZodError(parsed.error)}`);
  try {
    return { ...parsed.data, ...loadTemporalSettings(vars) };
  } catch (err) {
    throw new Error(`configuration: ${(err as Error).message}`);
  }
}

/** `KEY=` (as in `.env.example`, or compose's `${KEY:-}`) means unset, not an empty value. */
function withoutBlanks(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
}

/** Each provider's key, for those this process has one for. */
export function providerKeys(config: Config): Partial<Record<ProviderName, string>> {
  return Object.fromEntries(
    [
      ['kie-runway', config.RUNWAY_API_KEY],
      ['runwayml', config.RUNWAYML_API_SECRET],
    ].filter(([, key]) => key),
  ) as Partial<Record<ProviderName, string>>;
}

/** A worker needs at least one provider key; each chain fails clearly when its own is missing. */
export function requireSomeProviderKey(config: Config): void {
  if (Object.keys(providerKeys(config)).length > 0) return;
  throw new Error(
    `${Object.values(PROVIDER_KEY_SETTING).join(' or ')} must be set: the worker needs a provider API key ` +
      '(or run `long-video dev`)',
  );
}
