/**
 * How every long-running process reaches Temporal: one set of options, from the `Config`, for both the
 * client's `Connection.connect` and the worker's `NativeConnection.connect`. A local dev server needs only
 * the address; Temporal Cloud takes an API key or an mTLS client certificate. Type-only imports keep the
 * worker's native module out of the CLI's client commands.
 */
import { readFile } from 'node:fs/promises';
import type { TLSConfig } from '@temporalio/client';
import type { Config } from './config';

/** Assignable to both `ConnectionOptions` (client) and `NativeConnectionOptions` (worker). */
export interface TemporalConnectionOptions {
  address: string;
  /** Absent: plaintext. `true`: TLS with the system's roots. */
  tls?: TLSConfig | true;
  /** The Temporal Cloud API key, sent as `Authorization: Bearer ...`. */
  apiKey?: string;
}

type ConnectionSettings = Pick<
  Config,
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_API_KEY'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_CLIENT_CERT_PATH'
  | 'TEMPORAL_TLS_CLIENT_KEY_PATH'
  | 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'
  | 'TEMPORAL_TLS_SERVER_NAME'
>;

/** Connection options for this configuration; certificate files are read now, so a bad path fails here. */
export async function temporalConnectionOptions(
  config: ConnectionSettings,
  readPem: (path: string) => Promise<Buffer> = readFile,
): Promise<TemporalConnectionOptions> {
  const options: TemporalConnectionOptions = { address: config.TEMPORAL_ADDRESS };
  if (config.TEMPORAL_API_KEY) options.apiKey = config.TEMPORAL_API_KEY;
  if (config.TEMPORAL_TLS === false) {
    // Config refuses TEMPORAL_TLS=false with an API key or certificates; this guards direct callers.
    if (options.apiKey || config.TEMPORAL_TLS_CLIENT_CERT_PATH || config.TEMPORAL_TLS_SERVER_CA_CERT_PATH) {
      throw new Error('TEMPORAL_TLS=false contradicts the API key or certificates set for Temporal');
    }
    return options;
  }
  if (Boolean(config.TEMPORAL_TLS_CLIENT_CERT_PATH) !== Boolean(config.TEMPORAL_TLS_CLIENT_KEY_PATH)) {
    throw new Error('TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together');
  }
  const read = (key: keyof ConnectionSettings, file: string) =>
    readPem(file).catch((err: Error) => {
      throw new Error(`${key}: cannot read ${file} (${err.message})`);
    });
  const tls: TLSConfig = {};
  if (config.TEMPORAL_TLS_CLIENT_CERT_PATH && config.TEMPORAL_TLS_CLIENT_KEY_PATH) {
    const [crt, key] = await Promise.all([
      read('TEMPORAL_TLS_CLIENT_CERT_PATH', config.TEMPORAL_TLS_CLIENT_CERT_PATH),
      read('TEMPORAL_TLS_CLIENT_KEY_PATH', config.TEMPORAL_TLS_CLIENT_KEY_PATH),
    ]);
    tls.clientCertPair = { crt, key };
  }
  if (config.TEMPORAL_TLS_SERVER_CA_CERT_PATH) {
    tls.serverRootCACertificate = await read(
      'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
      config.TEMPORAL_TLS_SERVER_CA_CERT_PATH,
    );
  }
  if (config.TEMPORAL_TLS_SERVER_NAME) tls.serverNameOverride = config.TEMPORAL_TLS_SERVER_NAME;
  if (Object.keys(tls).length > 0) options.tls = tls;
  else if (options.apiKey || config.TEMPORAL_TLS) options.tls = true;
  return options;
}

/** For logs and error messages: the address and how we authenticate, never the key itself. */
export function describeTemporalConnection(config: ConnectionSettings): string {
  const auth = config.TEMPORAL_API_KEY
    ? 'API key'
    : config.TEMPORAL_TLS_CLIENT_CERT_PATH
      ? 'mTLS'
      : config.TEMPORAL_TLS
        ? 'TLS'
        : undefined;
  return auth ? `${config.TEMPORAL_ADDRESS} (${auth})` : config.TEMPORAL_ADDRESS;
}
