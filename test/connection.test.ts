/**
 * Temporal connection settings (src/config/connection.ts over @temporalio/envconfig: the TEMPORAL_*
 * variables and TOML profiles): what options a local server, a Temporal Cloud API key, an mTLS
 * certificate and a profile produce, and the combinations the configuration refuses. No server: the
 * options are what `Connection.connect` and `NativeConnection.connect` receive.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toNativeClientOptions } from '@temporalio/worker/lib/connection-options';
import { loadConfig } from '../src/config/config';
import { describeTemporalConnection, temporalConnectionOptions } from '../src/config/connection';

const API_KEY = 'tmprl-api-key-0123456789-secret';
let dir: string;
let certPath: string;
let keyPath: string;
let caPath: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'long-video-tls-'));
  certPath = path.join(dir, 'client.pem');
  keyPath = path.join(dir, 'client.key');
  caPath = path.join(dir, 'ca.pem');
  writeFileSync(certPath, '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n');
  writeFileSync(keyPath, '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n');
  writeFileSync(caPath, '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The configuration from exactly these variables (no `.env`, no dev stack). */
const config = (env: Record<string, string>) => loadConfig(env);

describe('connection options', () => {
  test('a plain address: no TLS, no key', async () => {
    const options = await temporalConnectionOptions(config({ TEMPORAL_ADDRESS: 'temporal:7233' }));
    expect(options).toEqual({ address: 'temporal:7233' });
  });

  test('defaults to the local dev server', async () => {
    const c = config({});
    expect(await temporalConnectionOptions(c)).toEqual({ address: '127.0.0.1:7233' });
    expect(c.TEMPORAL_NAMESPACE).toBe('default');
  });

  test('a Temporal Cloud API key implies TLS', async () => {
    const c = config({
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'ns.acct',
      TEMPORAL_API_KEY: API_KEY,
    });
    expect(await temporalConnectionOptions(c)).toEqual({
      address: 'ns.acct.tmprl.cloud:7233',
      apiKey: API_KEY,
      tls: true,
    });
    expect(c.TEMPORAL_NAMESPACE).toBe('ns.acct');
  });

  test('mTLS: the certificate and key files are read into the client pair', async () => {
    const options = await temporalConnectionOptions(
      config({
        TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
        TEMPORAL_TLS_CLIENT_CERT_PATH: certPath,
        TEMPORAL_TLS_CLIENT_KEY_PATH: keyPath,
      }),
    );
    expect(options.apiKey).toBeUndefined();
    const tls = options.tls as Exclude<typeof options.tls, boolean | undefined>;
    expect(Buffer.from(tls.clientCertPair!.crt).toString()).toContain('client');
    expect(Buffer.from(tls.clientCertPair!.key).toString()).toContain('PRIVATE KEY');
    expect(tls.serverRootCACertificate).toBeUndefined();
  });

  test('a CA and a server name go into the TLS settings', async () => {
    const options = await temporalConnectionOptions(
      config({
        TEMPORAL_ADDRESS: '10.0.0.5:7233',
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: caPath,
        TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
      }),
    );
    const tls = options.tls as Exclude<typeof options.tls, boolean | undefined>;
    expect(Buffer.from(tls.serverRootCACertificate!).toString()).toContain('ca');
    expect(tls.serverNameOverride).toBe('temporal.internal');
    expect(tls.clientCertPair).toBeUndefined();
  });

  test('TEMPORAL_TLS=true turns TLS on by itself; false or unset leaves it off', async () => {
    expect((await temporalConnectionOptions(config({ TEMPORAL_TLS: 'true' }))).tls).toBe(true);
    expect((await temporalConnectionOptions(config({ TEMPORAL_TLS: '1' }))).tls).toBe(true);
    expect((await temporalConnectionOptions(config({ TEMPORAL_TLS: 'false' }))).tls).toBe(false);
    expect((await temporalConnectionOptions(config({}))).tls).toBeUndefined();
  });

  test('empty values (compose writes `${KEY:-}`) count as unset', async () => {
    const c = config({
      TEMPORAL_API_KEY: '',
      TEMPORAL_TLS: '',
      TEMPORAL_TLS_CLIENT_CERT_PATH: '',
      TEMPORAL_ADDRESS: '',
    });
    expect(await temporalConnectionOptions(c)).toEqual({ address: '127.0.0.1:7233' });
  });

  test('a certificate file that cannot be read names the key and the path', async () => {
    const missing = path.join(dir, 'nope.pem');
    await expect(
      temporalConnectionOptions(
        config({ TEMPORAL_TLS_CLIENT_CERT_PATH: missing, TEMPORAL_TLS_CLIENT_KEY_PATH: keyPath }),
      ),
    ).rejects.toThrow(`TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read ${missing}`);
  });
});

describe('what the worker SDK makes of them', () => {
  test('plain is http; an API key is https with the key; mTLS is https with the client pair', async () => {
    const plain = toNativeClientOptions(
      await temporalConnectionOptions(config({ TEMPORAL_ADDRESS: 'temporal:7233' })),
    );
    expect(plain.targetUrl).toBe('http://temporal:7233');
    expect(plain.tls).toBeNull();
    expect(plain.apiKey).toBeNull();

    const cloud = toNativeClientOptions(
      await temporalConnectionOptions(
        config({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: API_KEY }),
      ),
    );
    expect(cloud.targetUrl).toBe('https://ns.acct.tmprl.cloud:7233');
    expect(cloud.apiKey).toBe(API_KEY);
    expect(cloud.tls?.clientTlsOptions).toBeNull();

    const mtls = toNativeClientOptions(
      await temporalConnectionOptions(
        config({
          TEMPORAL_TLS_CLIENT_CERT_PATH: certPath,
          TEMPORAL_TLS_CLIENT_KEY_PATH: keyPath,
          TEMPORAL_TLS_SERVER_NAME: 'x.internal',
        }),
      ),
    );
    expect(mtls.targetUrl).toBe('https://127.0.0.1:7233');
    expect(mtls.tls?.domain).toBe('x.internal');
    expect(mtls.tls?.clientTlsOptions?.clientCert?.toString()).toContain('BEGIN CERTIFICATE');
    expect(mtls.apiKey).toBeNull();
  });
});

describe('refused combinations', () => {
  test('a certificate without its key, and a key without its certificate', () => {
    expect(() => config({ TEMPORAL_TLS_CLIENT_CERT_PATH: certPath })).toThrow(
      /TEMPORAL_TLS_CLIENT_KEY_PATH: TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together/,
    );
    expect(() => config({ TEMPORAL_TLS_CLIENT_KEY_PATH: keyPath })).toThrow(
      /TEMPORAL_TLS_CLIENT_CERT_PATH: TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together/,
    );
  });

  test('TLS forced off with an API key or certificates', () => {
    expect(() => config({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: API_KEY })).toThrow(
      /TEMPORAL_TLS=false contradicts TEMPORAL_API_KEY/,
    );
    expect(() =>
      config({
        TEMPORAL_TLS: 'false',
        TEMPORAL_TLS_CLIENT_CERT_PATH: certPath,
        TEMPORAL_TLS_CLIENT_KEY_PATH: keyPath,
      }),
    ).toThrow(/TEMPORAL_TLS=false contradicts TEMPORAL_TLS_CLIENT_CERT_PATH/);
  });

  test('TEMPORAL_TLS must be a boolean word', () => {
    expect(() => config({ TEMPORAL_TLS: 'yes' })).toThrow(/TEMPORAL_TLS must be true or false/);
  });

  test('callers that bypass the schema get the same refusals', async () => {
    const base = config({});
    await expect(
      temporalConnectionOptions({ ...base, temporal: { tls: { clientCert: { path: certPath } } } }),
    ).rejects.toThrow('TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together');
    await expect(
      temporalConnectionOptions({ ...base, temporal: { apiKey: API_KEY, tls: { disabled: true } } }),
    ).rejects.toThrow('TEMPORAL_TLS=false contradicts');
  });
});

describe('the API key is never shown', () => {
  test('describing the connection says how, never the key', () => {
    const c = config({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: API_KEY });
    expect(describeTemporalConnection(c)).toBe('ns.acct.tmprl.cloud:7233 (API key)');
    expect(
      describeTemporalConnection(
        config({
          TEMPORAL_TLS_CLIENT_CERT_PATH: certPath,
          TEMPORAL_TLS_CLIENT_KEY_PATH: keyPath,
          TEMPORAL_ADDRESS: 'a:1',
        }),
      ),
    ).toBe('a:1 (mTLS)');
    expect(describeTemporalConnection(config({}))).toBe('127.0.0.1:7233');
  });

  test('a configuration error does not echo the key', () => {
    let message = '';
    try {
      config({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: API_KEY });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/TEMPORAL_TLS/);
    expect(message).not.toContain(API_KEY);
  });
});

describe('TOML profiles (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE)', () => {
  let toml: string;
  beforeAll(() => {
    toml = path.join(dir, 'temporal.toml');
    writeFileSync(
      toml,
      [
        '[profile.default]',
        'address = "local.example:7233"',
        '',
        '[profile.cloud]',
        'address = "ns.acct.tmprl.cloud:7233"',
        'namespace = "ns.acct"',
        `api_key = "${API_KEY}"`,
        '',
        '[profile.mtls]',
        'address = "10.0.0.5:7233"',
        '[profile.mtls.tls]',
        `client_cert_path = "${certPath}"`,
        `client_key_path = "${keyPath}"`,
        '[profile.mtls.grpc_meta]',
        'x-tenant = "blue"',
        '',
      ].join('\n'),
    );
  });

  test('the default profile, then the one TEMPORAL_PROFILE names', async () => {
    const local = config({ TEMPORAL_CONFIG_FILE: toml });
    expect(await temporalConnectionOptions(local)).toEqual({ address: 'local.example:7233' });
    expect(local.TEMPORAL_NAMESPACE).toBe('default');

    const cloud = config({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'cloud' });
    expect(await temporalConnectionOptions(cloud)).toEqual({
      address: 'ns.acct.tmprl.cloud:7233',
      apiKey: API_KEY,
      tls: true,
    });
    expect(cloud.TEMPORAL_NAMESPACE).toBe('ns.acct');
    expect(describeTemporalConnection(cloud)).toBe(
      `ns.acct.tmprl.cloud:7233 (API key; profile cloud of ${toml})`,
    );
  });

  test('a variable wins over the profile', async () => {
    const c = config({
      TEMPORAL_CONFIG_FILE: toml,
      TEMPORAL_PROFILE: 'cloud',
      TEMPORAL_NAMESPACE: 'other.acct',
      TEMPORAL_ADDRESS: 'other.acct.tmprl.cloud:7233',
    });
    expect(c.TEMPORAL_NAMESPACE).toBe('other.acct');
    expect((await temporalConnectionOptions(c)).address).toBe('other.acct.tmprl.cloud:7233');
    expect((await temporalConnectionOptions(c)).apiKey).toBe(API_KEY);
  });

  test('mTLS and gRPC headers from a profile', async () => {
    const options = await temporalConnectionOptions(
      config({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'mtls' }),
    );
    const tls = options.tls as Exclude<typeof options.tls, boolean | undefined>;
    expect(Buffer.from(tls.clientCertPair!.crt).toString()).toContain('client');
    expect(options.metadata).toEqual({ 'x-tenant': 'blue' });
  });

  test('a missing file, an unknown profile and half a pair fail early', () => {
    const missing = path.join(dir, 'nope.toml');
    expect(() => config({ TEMPORAL_CONFIG_FILE: missing })).toThrow(
      `configuration: TEMPORAL_CONFIG_FILE: no such file ${missing}`,
    );
    expect(() => config({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'prod' })).toThrow(
      /Temporal profile prod of .*: Profile 'prod' not found/,
    );
    expect(() =>
      config({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'mtls', TEMPORAL_TLS: 'false' }),
    ).toThrow(/TEMPORAL_TLS=false contradicts TEMPORAL_TLS_CLIENT_CERT_PATH/);
  });

  test('a TOML syntax error does not quote the line (it may hold the key)', () => {
    const broken = path.join(dir, 'broken.toml');
    writeFileSync(broken, `[profile.default]\napi_key = ${API_KEY}\n`);
    let message = '';
    try {
      config({ TEMPORAL_CONFIG_FILE: broken });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/Temporal profile default of .*broken.toml: Invalid TOML document.*\(line 2\)/);
    expect(message).not.toContain(API_KEY);
  });
});
