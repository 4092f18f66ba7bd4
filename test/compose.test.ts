/**
 * The production stack without a Docker engine: docker-compose.yml, the Dockerfile, .env.example and
 * deploy/ are parsed and held against the code (test/support/compose-checks.ts lists the checks). Every
 * check passes on the stack as written, and reports each way of breaking a copy of it.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { resolveTemporalCli } from '../src/temporal/binaries';
import { type RunningDevServer, startDevServer } from '../src/temporal/dev-server';
import { SEARCH_ATTRIBUTES } from '../src/chain/search-attributes';
import { CHECKS, type Env, type Stack, loadStack, ourServices } from './support/compose-checks';
import { retentionDays } from './support/temporal';

const run = promisify(execFile);

describe('the stack as written', () => {
  const stack = loadStack();
  test.each(Object.keys(CHECKS))('%s', (name) => {
    expect(CHECKS[name]!(stack)).toEqual([]);
  });

  test('the long-video services are the worker, the receiver, the file server and the simulator', () => {
    expect(ourServices(stack).map(([name]) => name)).toEqual(['worker', 'receiver', 'files', 'simulator']);
  });
});

describe('each check bites', () => {
  type Break = [mutate: (s: Stack) => unknown, problem: RegExp];
  const svc = (s: Stack, name: string) => s.compose.services[name]!;
  const env = (s: Stack, name: string) => svc(s, name).environment as Env;
  const sub = (from: string | RegExp, to: string) => (s: Stack) => {
    s.dockerfile = s.dockerfile.replace(from, to);
    s.namespaceScript = s.namespaceScript.replace(from, to);
  };
  /** For each check (in the order of CHECKS), ways to break the stack and the problem it must report. */
  const BREAKS: Array<Record<string, Break>> = [
    {
      'an unknown key': [
        (s) => (env(s, 'worker').PROVIDER_RATE = '3'),
        /worker: environment key PROVIDER_RATE/,
      ],
      'a value the schema refuses': [
        (s) => (env(s, 'receiver').CALLBACK_PORT = 'http'),
        /receiver: .*CALLBACK_PORT/,
      ],
      'half an mTLS pair': [
        (s) => (env(s, 'worker').TEMPORAL_TLS_CLIENT_CERT_PATH = '/c.pem'),
        /TEMPORAL_TLS_CLIENT_KEY_PATH/,
      ],
    },
    {
      'an unknown command': [
        (s) => (svc(s, 'worker').command = ['wroker']),
        /'wroker' is not a long-video command/,
      ],
      'a flag the command lacks': [
        (s) => (svc(s, 'simulator').command = ['simulator', '--speed']),
        /--speed is not/,
      ],
      'a flag only mentioned': [
        (s) => (svc(s, 'receiver').command = ['receiver', '--no-receiver']),
        /receiver: --no/,
      ],
    },
    { 'a worker serving callbacks too': [(s) => (svc(s, 'worker').command = ['worker']), /--no-receiver/] },
    {
      'another volume': [
        (s) => (svc(s, 'files').volumes = ['elsewhere:/data/output:ro']),
        /files: does not serve the volume/,
      ],
      'an unpublished port': [
        (s) => (svc(s, 'files').ports = ['127.0.0.1:8788:8788']),
        /do not publish OUTPUT_PORT 9912/,
      ],
      'loopback only': [(s) => (env(s, 'files').OUTPUT_HOST = '127.0.0.1'), /127.0.0.1 is not reachable/],
      'workers serving files too': [
        (s) => (svc(s, 'worker').command = ['worker', '--no-receiver']),
        /worker: serves files itself/,
      ],
      'links to another port': [
        (s) => (env(s, 'worker').OUTPUT_PUBLIC_URL = '${OUTPUT_PUBLIC_URL:-http://127.0.0.1:9999}'),
        /9999 is not the files service's port 8788/,
      ],
      'a public URL dropped': [
        (s) => (env(s, 'worker').OUTPUT_PUBLIC_URL = 'http://127.0.0.1:8788'),
        /OUTPUT_PUBLIC_URL from .env is not passed on/,
      ],
    },
    {
      'a receiver with the key': [
        (s) => (env(s, 'receiver').RUNWAY_API_KEY = '${RUNWAY_API_KEY}'),
        /receiver: is given RUNWAY_API_KEY/,
      ],
    },
    {
      'a fixed port mapping': [
        (s) => (svc(s, 'receiver').ports = ['127.0.0.1:8787:8787']),
        /do not publish CALLBACK_PORT 9911/,
      ],
      'every interface': [
        (s) => (svc(s, 'receiver').ports = ['${CALLBACK_PORT:-8787}:${CALLBACK_PORT:-8787}']),
        /publishes plain HTTP on every interface/,
      ],
      'loopback only': [
        (s) => (env(s, 'receiver').CALLBACK_HOST = '127.0.0.1'),
        /127.0.0.1 is not reachable/,
      ],
    },
    {
      'a worker without one': [
        (s) => delete svc(s, 'worker').healthcheck,
        /worker: no healthcheck on WORKER/,
      ],
      'a worker health port unset': [
        (s) => delete env(s, 'worker').WORKER_HEALTH_PORT,
        /worker: WORKER_HEALTH_PORT is not set/,
      ],
      'files checked elsewhere': [
        (s) => ((svc(s, 'files').healthcheck as { test: string[] }).test = ['CMD', 'true']),
        /files: no healthcheck on OUTPUT_PORT/,
      ],
    },
    {
      'a simulator always on': [(s) => delete svc(s, 'simulator').profiles, /simulator: profiles must be/],
      'a worker only in the dry run': [
        (s) => (svc(s, 'worker').profiles = ['dry-run']),
        /worker: has profiles/,
      ],
    },
    {
      'the simulator by default': [
        (s) => (env(s, 'worker').RUNWAY_BASE_URL = '${RUNWAY_BASE_URL:-http://simulator:8090}'),
        /worker: RUNWAY_BASE_URL defaults to http:\/\/simulator:8090/,
      ],
      'a dry run on the wrong port': [
        (s) => (s.dryRunEnv.RUNWAY_BASE_URL = 'http://simulator:9'),
        /is not http:/,
      ],
      'a dry run calling back nowhere': [
        (s) => (s.dryRunEnv.CALLBACK_PUBLIC_URL = 'http://x'),
        /not the receiver/,
      ],
    },
    {
      'another password': [
        (s) => (env(s, 'temporal').POSTGRES_PWD = 'temporal'),
        /temporal: not the postgresql/,
      ],
      'another host': [
        (s) => (env(s, 'temporal-admin-tools').POSTGRES_SEEDS = 'db'),
        /admin-tools: not the post/,
      ],
      'another plugin': [(s) => (env(s, 'temporal').DB = 'postgres'), /for the postgres12 plugin/],
      'one database only': [
        (s) => (s.schemaScript = s.schemaScript.replace('temporal temporal_visibility', 'temporal')),
        /create and update both databases/,
      ],
      'no namespace setup': [
        (s) => (svc(s, 'temporal-create-namespace').command = ['true']),
        /create-namespace/,
      ],
    },
    {
      'a wrong type': [
        sub('LongVideoState Keyword', 'LongVideoState Text'),
        /LongVideoState=Text is not in SEARCH/,
      ],
      'a missing attribute': [
        sub(/^ensure_\w+ LongVideoSegmentsTotal Int$/m, ''),
        /SegmentsTotal=Int is not reg/,
      ],
      'another namespace': [
        (s) => (env(s, 'temporal-create-namespace').TEMPORAL_NAMESPACE = 'default'),
        /worker: namespace chains, but the setup creates default/,
      ],
    },
    {
      'a missing target': [
        (s) => (svc(s, 'temporal-ui').depends_on = ['postgres']),
        /postgres, which is not a/,
      ],
      'an unknown condition': [
        (s) => (svc(s, 'temporal-ui').depends_on = { temporal: { condition: 'service_ready' } }),
        /unknown condition service_ready/,
      ],
      'no healthcheck to wait for': [
        (s) => delete svc(s, 'temporal').healthcheck,
        /temporal has no healthcheck/,
      ],
      'a one-shot that never ends': [
        (s) => (svc(s, 'temporal-admin-tools').restart = 'always'),
        /to complete/,
      ],
    },
    {
      latest: [(s) => (svc(s, 'temporal-ui').image = 'temporalio/ui:latest'), /ui:latest has no pinned tag/],
      'no tag': [(s) => (svc(s, 'temporal').image = 'temporalio/server'), /server has no pinned tag/],
      'an empty default': [(s) => (svc(s, 'postgresql').image = 'postgres:${PG}'), /postgres: has no pinned/],
    },
    {
      'a short stop': [
        (s) => (svc(s, 'worker').stop_grace_period = '5s'),
        /5000 ms is not longer than the 10000 ms grace/,
      ],
    },
    {
      'files in the container': [
        (s) => (env(s, 'worker').OUTPUT_DIR = '/app/out'),
        /\/app\/out is not a mounted/,
      ],
    },
    {
      'a queue left out': [
        (s) => s.dynamicConfig['matching.numTaskqueueReadPartitions']!.pop(),
        /numTaskqueueReadPartitions is not 1 for long-video-provider-reads/,
      ],
    },
    {
      'another entrypoint': [sub('"bin/long-video.js"', '"lib/starter.js"'), /is not the CLI/],
      'no build': [sub('npm run build', 'npx tsc'), /no RUN npm run build/],
      root: [sub(/^USER .*$/m, ''), /runs as root/],
    },
    {
      'a stray key': [(s) => (s.envExample.RUNWAY_SECRET = 'x'), /RUNWAY_SECRET is neither a Config key/],
      'an undocumented variable': [
        (s) => (s.composeText += '# ${REPLICAS:-1}'),
        /reads REPLICAS, documented in no/,
      ],
      'an older UI in the env file': [
        (s) => (s.envExample.TEMPORAL_UI_VERSION = '2.34.0'),
        /TEMPORAL_UI_VERSION=2.34.0 is not the compose file's 2.54.1/,
      ],
    },
  ];
  const titles = Object.keys(CHECKS);
  const cases = BREAKS.flatMap((breaks, i) =>
    Object.entries(breaks).map(([what, [mutate, problem]]) => [titles[i]!, what, mutate, problem] as const),
  );

  test('every check has ways to break it', () => {
    expect(BREAKS.map((b) => Object.keys(b).length > 0)).toEqual(titles.map(() => true));
  });

  test.each(cases)('%s: %s', (check, _what, mutate, problem) => {
    const stack = loadStack();
    mutate(stack);
    expect(CHECKS[check]!(stack).join('\n')).toMatch(problem);
  });
});

describe('deploy/create-namespace.sh with the real Temporal CLI', () => {
  let server: RunningDevServer;
  let connection: Connection;
  beforeAll(async () => {
    server = await startDevServer({ ui: false });
    connection = await Connection.connect({ address: server.address });
  }, 60_000);
  afterAll(async () => {
    await connection?.close();
    await server?.stop();
  });

  test('creates the namespace with exactly SEARCH_ATTRIBUTES, and a second run changes nothing', async () => {
    const script = path.join(__dirname, '..', 'deploy', 'create-namespace.sh');
    const env = {
      PATH: `${path.dirname(resolveTemporalCli())}:${process.env.PATH ?? ''}`,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: 'compose-chains',
      TEMPORAL_VERSION_CHECK_DISABLED: '1',
    };
    const first = await run('sh', [script], { env, timeout: 60_000 });
    expect(first.stdout).toContain('namespace compose-chains ready');
    expect(await retentionDays(connection, 'compose-chains')).toBe(30); // CHAIN_RETENTION_DAYS unset
    // A second run (CHAIN_RETENTION_DAYS changed) sets the retention of the namespace that exists.
    const second = await run('sh', [script], {
      env: { ...env, CHAIN_RETENTION_DAYS: '45' },
      timeout: 60_000,
    });
    expect(second.stdout).toContain('namespace compose-chains exists');
    expect(second.stdout).toContain('namespace compose-chains keeps closed chains 45 days');
    expect(second.stdout).not.toMatch(/added|created/i);
    expect(await retentionDays(connection, 'compose-chains')).toBe(45);
    const bad = await run('sh', [script], { env: { ...env, CHAIN_RETENTION_DAYS: '2w' } }).catch((e) => e);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('CHAIN_RETENTION_DAYS must be') });

    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace: 'compose-chains',
    });
    const types = temporal.api.enums.v1.IndexedValueType;
    const registered = Object.entries(customAttributes ?? {}).map(([name, type]) => `${name}=${types[type]}`);
    expect(registered.sort()).toEqual(
      SEARCH_ATTRIBUTES.map((a) => `${a.name}=INDEXED_VALUE_TYPE_${a.type.toUpperCase()}`).sort(),
    );
  }, 120_000);
});
