/**
 * How every long-running process reaches Temporal. The settings are Temporal's own environment
 * configuration (`@temporalio/envconfig`, the same as the `temporal` CLI and the other SDKs): the
 * TEMPORAL_* variables over a profile of a TOML file (TEMPORAL_CONFIG_FILE, else the user's
 * temporalio/temporal.toml; TEMPORAL_PROFILE, else `default`). Here we only add what envconfig leaves
 * out: defaults for a local dev server, early errors for combinations it would accept silently, and
 * messages that never show a secret. Type-only imports keep the worker's native module out of the CLI's
 * client commands.
 */
import { existsSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { type ClientConfigTLS, loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';

const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
const DEFAULT_TEMPORAL_NAMESPACE = 'default';

/** The variables envconfig reads (besides `TEMPORAL_GRPC_META_<HEADER>`, one gRPC header each). */
export const TEMPORAL_ENV_KEYS = [
  'TEMPORAL_CONFIG_FILE',
  'TEMPORAL_PROFILE',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_TLS_SERVER_NAME',
] as const;

/** How to authenticate to Temporal: the connection part of an envconfig profile (address apart). */
export interface TemporalAuth {
  /** A Temporal Cloud API key (sent as a bearer token; implies TLS). Never logged. */
  apiKey?: string;
  tls?: ClientConfigTLS;
  grpcMeta?: Record<string, string>;
  /** The TOML profile these came from, for messages: `profile "prod" of ~/.config/...`. */
  profile?: string;
}

/** The Temporal part of the `Config`. */
export interface TemporalSettings {
  TEMPORAL_ADDRESS: string;
  TEMPORAL_NAMESPACE: string;
  temporal: TemporalAuth;
}

/** Assignable to both `ConnectionOptions` (client) and `NativeConnectionOptions` (worker). */
export interface TemporalConnectionOptions {
  address: string;
  /** Absent: plaintext (false: explicitly). `true`: TLS with the system's roots. */
  tls?: TLSConfig | boolean;
  /** The Temporal Cloud API key, sent as `Authorization: Bearer ...`. */
  apiKey?: string;
  metadata?: Record<string, string>;
}

/**
 * The Temporal settings from these variables (already merged with `.env` and the dev stack's; blanks
 * removed) and the TOML profile they point at. Throws, naming the variable, on what would otherwise
 * fail late or silently; the message never holds a value.
 */
export function loadTemporalSettings(env: Record<string, string | undefined>): TemporalSettings {
  const vars = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  );
  const tlsFlag = vars.TEMPORAL_TLS;
  if (tlsFlag !== undefined && !['true', 'false', '1', '0'].includes(tlsFlag)) {
    // envconfig reads anything but true/1 as false: `yes` would turn TLS off.
    throw new Error('TEMPORAL_TLS: TEMPORAL_TLS must be true or false');
  }
  if (vars.TEMPORAL_CONFIG_FILE && !existsSync(vars.TEMPORAL_CONFIG_FILE)) {
    // envconfig skips a missing file silently: a typo would connect with the defaults.
    throw new Error(`TEMPORAL_CONFIG_FILE: no such file ${vars.TEMPORAL_CONFIG_FILE}`);
  }
  const profileName = vars.TEMPORAL_PROFILE ?? 'default';
  const fileName = vars.TEMPORAL_CONFIG_FILE ?? 'temporalio/temporal.toml in the user config folder';
  const load = (disableEnv: boolean) => {
    try {
      return loadClientConfigProfile({ overrideEnvVars: vars, disableEnv });
    } catch (err) {
      // A TOML syntax error quotes the offending line, which may hold the API key: first line only.
      const e = err as Error & { line?: number };
      const where = e.line ? ` (line ${e.line})` : '';
      throw new Error(`Temporal profile ${profileName} of ${fileName}: ${e.message.split('\n')[0]}${where}`);
    }
  };
  const fromFile = load(true);
  const profile = load(false);
  const temporal: TemporalAuth = {
    ...(profile.apiKey ? { apiKey: profile.apiKey } : {}),
    ...(profile.tls ? { tls: profile.tls } : {}),
    ...(profile.grpcMeta ? { grpcMeta: profile.grpcMeta } : {}),
    ...(Object.keys(fromFile).length > 0 ? { profile: `profile ${profileName} of ${fileName}` } : {}),
  };
  checkTemporalAuth(temporal, tlsFlag !== undefined);
  return {
    TEMPORAL_ADDRESS: profile.address || DEFAULT_TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: profile.namespace || DEFAULT_TEMPORAL_NAMESPACE,
    temporal,
  };
}

/** The combinations envconfig would accept and the connection would regret; `TEMPORAL_...:` names each. */
function checkTemporalAuth(auth: TemporalAuth, tlsFromEnv = true): void {
  const tls = auth.tls ?? {};
  if (Boolean(tls.clientCert) !== Boolean(tls.clientKey)) {
    const missing = tls.clientCert ? 'TEMPORAL_TLS_CLIENT_KEY_PATH' : 'TEMPORAL_TLS_CLIENT_CERT_PATH';
    throw new Error(
      `${missing}: TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together (the mTLS client certificate and its key)`,
    );
  }
  if (tls.disabled) {
    const needTls = [
      auth.apiKey && 'TEMPORAL_API_KEY',
      tls.clientCert && 'TEMPORAL_TLS_CLIENT_CERT_PATH',
      tls.serverCACert && 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
      tls.serverName && 'TEMPORAL_TLS_SERVER_NAME',
    ].filter(Boolean);
    if (needTls.length > 0) {
      const off = tlsFromEnv ? 'TEMPORAL_TLS=false' : 'tls.disabled in the Temporal profile';
      throw new Error(`TEMPORAL_TLS: ${off} contradicts ${needTls.join(', ')} (they need TLS)`);
    }
  }
}

/** Connection options for this configuration; certificate files are read now, so a bad path fails here. */
export async function temporalConnectionOptions(
  config: TemporalSettings,
): Promise<TemporalConnectionOptions> {
  checkTemporalAuth(config.temporal);
  let connect: ReturnType<typeof toClientOptions>;
  try {
    connect = toClientOptions({ ...config.temporal, address: config.TEMPORAL_ADDRESS });
  } catch (err) {
    throw new Error(unreadableFile(config.temporal.tls, err as NodeJS.ErrnoException));
  }
  const { apiKey, tls } = connect.connectionOptions;
  const metadata = config.temporal.grpcMeta;
  return {
    address: config.TEMPORAL_ADDRESS,
    ...(apiKey ? { apiKey } : {}),
    ...(tls !== undefined && tls !== null ? { tls: tlsOptions(tls) } : {}),
    ...(metadata && Object.keys(metadata).length > 0 ? { metadata } : {}),
  };
}

/** envconfig's TLS settings without its unset fields: none left means the system's roots (`true`). */
function tlsOptions(tls: TLSConfig | boolean): TLSConfig | boolean {
  if (typeof tls === 'boolean') return tls;
  const set = Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined)) as TLSConfig;
  return Object.keys(set).length > 0 ? set : true;
}

function unreadableFile(tls: ClientConfigTLS | undefined, err: NodeJS.ErrnoException): string {
  const files: Array<[string, ClientConfigTLS['clientCert']]> = [
    ['TEMPORAL_TLS_CLIENT_CERT_PATH', tls?.clientCert],
    ['TEMPORAL_TLS_CLIENT_KEY_PATH', tls?.clientKey],
    ['TEMPORAL_TLS_SERVER_CA_CERT_PATH', tls?.serverCACert],
  ];
  const [key, source] = files.find(([, s]) => s && 'path' in s && s.path === err.path) ?? [];
  if (!key || !source || !('path' in source)) return `Temporal TLS settings: ${err.message}`;
  return `${key}: cannot read ${source.path} (${err.code ?? err.message})`;
}

/** For logs and error messages: the address and how we authenticate, never the key itself. */
export function describeTemporalConnection(config: TemporalSettings): string {
  const { apiKey, tls, profile } = config.temporal;
  const auth = apiKey ? 'API key' : tls?.clientCert ? 'mTLS' : tls && !tls.disabled ? 'TLS' : undefined;
  const how = [auth, profile].filter(Boolean).join('; ');
  return how ? `${config.TEMPORAL_ADDRESS} (${how})` : config.TEMPORAL_ADDRESS;
}
