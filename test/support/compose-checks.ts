/**
 * What test/compose.test.ts holds the production stack to, without a Docker engine: docker-compose.yml,
 * the Dockerfile, .env.example and deploy/ parsed and compared with the code: the Config schema (every env
 * key and value), the CLI's commands and usage (every command and flag), the search attributes, the task
 * queues. Each check lists problems, so that a test can break a copy of the stack and see it reported.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_ENV_KEYS, loadConfig, readEnvFile } from '../../src/config/config';
import { DEFAULT_BASE_URL } from '../../src/provider/client';
import { buildProgram } from '../../src/cli/main';
import { SEARCH_ATTRIBUTES } from '../../src/chain/search-attributes';
import { PROVIDER_READ_TASK_QUEUE, PROVIDER_TASK_QUEUE } from '../../src/chain/queues';
import { interpolate } from '../../tools/production/compose';

export type Env = Record<string, string>;
interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: string[];
  profiles?: string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: unknown;
  volumes?: string[];
  stop_grace_period?: string;
  restart?: string;
}
export interface Stack {
  compose: { services: Record<string, Service> };
  composeText: string;
  dockerfile: string;
  envExample: Env;
  dryRunEnv: Env;
  namespaceScript: string;
  schemaScript: string;
  dynamicConfig: Record<string, Array<{ value: unknown; constraints?: { taskQueueName?: string } }>>;
}

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const CONFIG_KEYS = new Set(CONFIG_ENV_KEYS);
/** Keys only docker-compose.yml reads (image versions, the Temporal server's database, ports, profiles). */
const COMPOSE_ONLY_KEYS = new Set([
  'COMPOSE_PROFILES',
  'POSTGRES_PASSWORD',
  'POSTGRESQL_VERSION',
  'TEMPORAL_VERSION',
  'TEMPORAL_ADMINTOOLS_VERSION',
  'TEMPORAL_UI_VERSION',
  'TEMPORAL_UI_PORT',
  'CALLBACK_BIND',
  'SIMULATOR_TIME_SCALE',
  'SIMULATOR_RATE_LIMIT',
  'SIMULATOR_MEDIA',
  'WORKER_NODE_OPTIONS',
]);
/** Read by Node itself, not by our Config. */
const NODE_KEYS = new Set(['NODE_OPTIONS']);
/** What a production `.env` must set (the `${KEY:?}` of the compose file). */
const PRODUCTION_ENV: Env = {
  RUNWAY_API_KEY: 'rk-production',
  CALLBACK_PUBLIC_URL: 'https://callbacks.example.com',
  CALLBACK_SECRET: 'production-callback-secret',
};

export function loadStack(): Stack {
  const composeText = read('docker-compose.yml');
  return {
    compose: parse(composeText, { merge: true }),
    composeText,
    dockerfile: read('Dockerfile'),
    envExample: readEnvFile(path.join(ROOT, '.env.example')),
    dryRunEnv: readEnvFile(path.join(ROOT, 'deploy/dry-run.env')),
    namespaceScript: read('deploy/create-namespace.sh'),
    schemaScript: read('deploy/setup-schema.sh'),
    dynamicConfig: parse(read('deploy/dynamicconfig/development-sql.yaml')),
  };
}

const variablesIn = (text: string) => new Set([...text.matchAll(/\$\{([A-Za-z_]\w*)/g)].map((m) => m[1]!));

/** A service's environment keys with their raw (not interpolated) values. */
function keysOf(service: Service): Record<string, unknown> {
  const raw = service.environment ?? {};
  return Array.isArray(raw) ? Object.fromEntries(raw.map((line) => [line.split('=')[0]!, line])) : raw;
}

function environmentOf(service: Service, env: Env): Env {
  const raw = service.environment ?? {};
  const entries = Array.isArray(raw)
    ? raw.map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string])
    : Object.entries(raw).map(([k, v]) => [k, v === null ? '' : String(v)] as [string, string]);
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(v, env)]));
}
const words = (command: Service['command'], env: Env) =>
  (Array.isArray(command) ? command : (command ?? '').split(/\s+/).filter(Boolean)).map((w) =>
    interpolate(w, env),
  );
/** The services built from this repository: the long-video CLI. */
export const ourServices = (s: Stack) =>
  Object.entries(s.compose.services).filter(([, svc]) => svc.build !== undefined);
const durationMs = (d: string) =>
  [...d.matchAll(/(\d+)(ms|s|m|h)/g)].reduce(
    (sum, [, n, unit]) => sum + Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms'],
    0,
  );

/** No problem when `ok`, else this one. */
const unless = (ok: boolean, problem: string) => (ok ? [] : [problem]);

export const CHECKS: Record<string, (s: Stack) => string[]> = {
  'env keys and values match the Config schema': (s) =>
    ourServices(s).flatMap(([name, svc]) => {
      const env = environmentOf(svc, PRODUCTION_ENV);
      const unknown = Object.keys(env)
        .filter((k) => !CONFIG_KEYS.has(k) && !NODE_KEYS.has(k))
        .map((k) => `${name}: environment key ${k} is not in the Config schema`);
      const invalid = (() => {
        try {
          return loadConfig(env) && [];
        } catch (err) {
          return [`${name}: ${(err as Error).message}`];
        }
      })();
      return [...unknown, ...invalid];
    }),

  'commands and flags are the CLI’s': (s) =>
    ourServices(s).flatMap(([name, svc]) => {
      const [command, ...args] = words(svc.command, PRODUCTION_ENV);
      const known = buildProgram().commands.find((c) => c.name() === command);
      if (!known) return [`${name}: command '${command}' is not a long-video command`];
      // The command's own definition: the options its parser takes and its --help lists.
      const flags = new Set(known.options.map((o) => o.long));
      return args
        .filter((a) => a.startsWith('--'))
        .filter((flag) => !flags.has(flag.split('=')[0]))
        .map((flag) => `${name}: ${flag} is not in the usage of 'long-video ${command}'`);
    }),

  'the worker leaves callbacks to the receiver service': (s) =>
    unless(
      !s.compose.services.receiver || words(s.compose.services.worker?.command, {}).includes('--no-receiver'),
      'worker: runs without --no-receiver although the receiver service serves callbacks',
    ),

  'the files service serves the workers’ folder on OUTPUT_PORT, and the workers link there': (s) => {
    const { files, worker } = s.compose.services;
    if (!files || !worker) return ['files: no such service'];
    return [
      PRODUCTION_ENV,
      { ...PRODUCTION_ENV, OUTPUT_PORT: '9912', OUTPUT_PUBLIC_URL: 'http://h:9912' },
    ].flatMap((env) => {
      const f = environmentOf(files, env);
      const w = environmentOf(worker, env);
      const published = (files.ports ?? []).map((p) => interpolate(p, env).split(':'));
      const volumeAt = (svc: Service, dir: string) =>
        (svc.volumes ?? []).find((v) => v.split(':')[1] === dir)?.split(':')[0];
      const hostPort = published.find((p) => p.at(-1) === f.OUTPUT_PORT)?.at(-2);
      return [
        ...unless(
          Boolean(f.OUTPUT_DIR) && volumeAt(files, f.OUTPUT_DIR!) === volumeAt(worker, w.OUTPUT_DIR ?? ''),
          'files: does not serve the volume the workers write',
        ),
        ...unless(Boolean(hostPort), `files: ports do not publish OUTPUT_PORT ${f.OUTPUT_PORT}`),
        ...unless(f.OUTPUT_HOST === '0.0.0.0', `files: OUTPUT_HOST ${f.OUTPUT_HOST} is not reachable`),
        ...unless(
          words(worker.command, env).includes('--no-files'),
          'worker: serves files itself (no --no-files) beside the files service',
        ),
        ...unless(
          env.OUTPUT_PUBLIC_URL !== undefined || new URL(w.OUTPUT_PUBLIC_URL ?? 'x:').port === hostPort,
          `worker: OUTPUT_PUBLIC_URL ${w.OUTPUT_PUBLIC_URL} is not the files service's port ${hostPort}`,
        ),
        ...unless(
          env.OUTPUT_PUBLIC_URL === undefined || w.OUTPUT_PUBLIC_URL === env.OUTPUT_PUBLIC_URL,
          'worker: OUTPUT_PUBLIC_URL from .env is not passed on',
        ),
      ];
    });
  },

  'only the worker holds the provider key': (s) =>
    ourServices(s)
      .filter(([name, service]) => name !== 'worker' && 'RUNWAY_API_KEY' in keysOf(service))
      .map(([name]) => `${name}: is given RUNWAY_API_KEY, but only the worker calls the provider`),

  'the receiver publishes CALLBACK_PORT on the host’s loopback and listens on every interface': (s) => {
    const receiver = s.compose.services.receiver;
    if (!receiver) return ['receiver: no such service'];
    return [PRODUCTION_ENV, { ...PRODUCTION_ENV, CALLBACK_PORT: '9911' }].flatMap((env) => {
      const { CALLBACK_PORT: port, CALLBACK_HOST: host } = environmentOf(receiver, env);
      const published = (receiver.ports ?? []).map((p) => interpolate(p, env).split(':'));
      const targets = published.map((p) => p.at(-1));
      return [
        ...unless(
          published.every((p) => p.length === 3 && p[0] === '127.0.0.1'),
          'receiver: publishes plain HTTP on every interface of the host (bind it to 127.0.0.1 by default)',
        ),
        ...unless(
          targets.includes(port),
          `receiver: ports ${targets.join(', ')} do not publish CALLBACK_PORT ${port}`,
        ),
        ...unless(
          host === '0.0.0.0',
          `receiver: CALLBACK_HOST ${host} is not reachable from other containers`,
        ),
      ];
    });
  },

  'our long-running services have a healthcheck on their own port': (s) =>
    (
      [
        ['worker', 'WORKER_HEALTH_PORT'],
        ['receiver', 'CALLBACK_PORT'],
        ['files', 'OUTPUT_PORT'],
      ] as const
    ).flatMap(([name, key]) => {
      const svc = s.compose.services[name];
      if (!svc) return [`${name}: no such service`];
      const test = JSON.stringify((svc.healthcheck as { test?: unknown } | undefined)?.test ?? '');
      const port = environmentOf(svc, PRODUCTION_ENV)[key];
      return [
        ...unless(test.includes(`process.env.${key}`), `${name}: no healthcheck on ${key}`),
        ...unless(Boolean(port), `${name}: ${key} is not set, so its healthcheck reaches nothing`),
      ];
    }),

  'the simulator runs only in the dry-run profile': (s) =>
    Object.entries(s.compose.services).flatMap(([name, svc]) => {
      const inDryRun = JSON.stringify(svc.profiles ?? []) === '["dry-run"]';
      if (name === 'simulator') return unless(inDryRun, 'simulator: profiles must be exactly [dry-run]');
      return unless(
        !svc.profiles,
        `${name}: has profiles ${svc.profiles?.join(', ')}; only the simulator should`,
      );
    }),

  'the provider by default, the simulator in a dry run': (s) => {
    const base = (env: Env) => environmentOf(s.compose.services.worker ?? {}, env).RUNWAY_BASE_URL;
    const sim = words(s.compose.services.simulator?.command, s.dryRunEnv);
    const simUrl = `http://simulator:${sim[sim.indexOf('--port') + 1]}`;
    const receiverUrl = `http://receiver:${environmentOf(s.compose.services.receiver ?? {}, s.dryRunEnv).CALLBACK_PORT}`;
    const dry = s.dryRunEnv;
    return [
      ...unless(
        base(PRODUCTION_ENV) === DEFAULT_BASE_URL,
        `worker: RUNWAY_BASE_URL defaults to ${base(PRODUCTION_ENV)}`,
      ),
      ...unless(base(dry) === simUrl, `dry run: RUNWAY_BASE_URL ${base(dry)} is not ${simUrl}`),
      ...unless(
        sim[sim.indexOf('--api-key') + 1] === dry.RUNWAY_API_KEY,
        'dry run: the simulator refuses RUNWAY_API_KEY',
      ),
      ...unless(
        dry.CALLBACK_PUBLIC_URL === receiverUrl,
        `dry run: CALLBACK_PUBLIC_URL is not the receiver service`,
      ),
      ...unless(dry.COMPOSE_PROFILES === 'dry-run', 'dry run: COMPOSE_PROFILES is not dry-run'),
    ];
  },

  'the Temporal server and its schema setup use the same PostgreSQL': (s) => {
    const env = { ...PRODUCTION_ENV, POSTGRES_PASSWORD: 'not-the-default' };
    const db = environmentOf(s.compose.services.postgresql ?? {}, env);
    const runs = (name: string, script: string) =>
      words(s.compose.services[name]?.command, {}).includes(`/deploy/${script}`) &&
      Boolean(s.compose.services[name]?.volumes?.includes('./deploy:/deploy:ro'));
    return [
      ...['temporal', 'temporal-admin-tools'].flatMap((name) => {
        const e = environmentOf(s.compose.services[name] ?? {}, env);
        return unless(
          e.POSTGRES_PWD === db.POSTGRES_PASSWORD &&
            e.POSTGRES_USER === db.POSTGRES_USER &&
            s.compose.services[e.POSTGRES_SEEDS ?? ''] === s.compose.services.postgresql,
          `${name}: not the postgresql service's user, password and host`,
        );
      }),
      ...unless(
        runs('temporal-admin-tools', 'setup-schema.sh'),
        'temporal-admin-tools: not deploy/setup-schema.sh',
      ),
      ...unless(
        environmentOf(s.compose.services.temporal ?? {}, env).DB === 'postgres12' &&
          s.schemaScript.includes('--plugin postgres12') &&
          /for db in temporal temporal_visibility;/.test(s.schemaScript) &&
          ['create', 'setup-schema -v 0.0', 'update-schema -d'].every((step) =>
            s.schemaScript.includes(step),
          ),
        'the schema setup does not create and update both databases for the postgres12 plugin',
      ),
      ...unless(runs('temporal-create-namespace', 'create-namespace.sh'), 'not deploy/create-namespace.sh'),
    ];
  },

  'the namespace setup registers SEARCH_ATTRIBUTES, in the namespace the workers use': (s) => {
    const registered = [...s.namespaceScript.matchAll(/^ensure_search_attribute\s+(\w+)\s+(\w+)\s*$/gm)].map(
      ([, name, type]) => `${name}=${type}`,
    );
    const expected = SEARCH_ATTRIBUTES.map((a) => `${a.name}=${a.type}`);
    const problems = [
      ...expected
        .filter((a) => !registered.includes(a))
        .map((a) => `search attribute ${a} is not registered`),
      ...registered
        .filter((a) => !expected.includes(a))
        .map((a) => `search attribute ${a} is not in SEARCH_ATTRIBUTES`),
    ];
    const setup = s.compose.services['temporal-create-namespace'];
    for (const env of [PRODUCTION_ENV, { ...PRODUCTION_ENV, TEMPORAL_NAMESPACE: 'chains' }]) {
      const ns = environmentOf(setup ?? {}, env).TEMPORAL_NAMESPACE;
      // (The simulator and the file server do not talk to Temporal.)
      for (const [name] of ourServices(s).filter(([n]) => n !== 'simulator' && n !== 'files')) {
        const used = environmentOf(s.compose.services[name]!, env).TEMPORAL_NAMESPACE;
        if (used !== ns) problems.push(`${name}: namespace ${used}, but the setup creates ${ns}`);
      }
    }
    return problems;
  },

  'depends_on targets exist, with valid conditions the targets can meet': (s) =>
    Object.entries(s.compose.services).flatMap(([name, svc]) => {
      const deps = Array.isArray(svc.depends_on)
        ? svc.depends_on.map((d) => [d, 'service_started'] as const)
        : Object.entries(svc.depends_on ?? {}).map(
            ([d, c]) => [d, c.condition ?? 'service_started'] as const,
          );
      return deps.flatMap(([target, condition]) => {
        const dep = s.compose.services[target];
        if (!dep) return [`${name}: depends on ${target}, which is not a service`];
        if (!['service_started', 'service_healthy', 'service_completed_successfully'].includes(condition))
          return [`${name}: depends on ${target} with unknown condition ${condition}`];
        if (condition === 'service_healthy' && !dep.healthcheck)
          return [`${name}: waits for ${target} to be healthy, but ${target} has no healthcheck`];
        if (
          condition === 'service_completed_successfully' &&
          ['always', 'unless-stopped'].includes(dep.restart ?? '')
        )
          return [`${name}: waits for ${target} to complete, but ${target} restarts ${dep.restart}`];
        return [];
      });
    }),

  'every image is pinned': (s) =>
    Object.entries(s.compose.services).flatMap(([name, svc]) => {
      if (svc.image === undefined) return svc.build === undefined ? [`${name}: neither image nor build`] : [];
      const image = interpolate(svc.image, PRODUCTION_ENV);
      const tag = /^[^:@\s]+(?::[^:/@\s]+)?:([\w][\w.-]*)(@sha256:[0-9a-f]{64})?$/.exec(image)?.[1];
      return unless(Boolean(tag) && tag !== 'latest', `${name}: image ${image} has no pinned tag`);
    }),

  'workers outlast their shutdown grace': (s) => {
    const worker = s.compose.services.worker;
    const grace = Number(environmentOf(worker ?? {}, PRODUCTION_ENV).WORKER_SHUTDOWN_GRACE_MS ?? 10_000);
    const stop = durationMs(worker?.stop_grace_period ?? '10s');
    return unless(
      stop > grace,
      `worker: stop_grace_period ${stop} ms is not longer than the ${grace} ms grace`,
    );
  },

  'the workers write their files to a volume': (s) => {
    const worker = s.compose.services.worker ?? {};
    const dir = environmentOf(worker, PRODUCTION_ENV).OUTPUT_DIR;
    const mounted = (worker.volumes ?? []).some((v) => v.split(':')[1] === dir);
    return unless(mounted, `worker: OUTPUT_DIR ${dir} is not a mounted volume`);
  },

  'one partition for each provider queue': (s) =>
    [PROVIDER_TASK_QUEUE, PROVIDER_READ_TASK_QUEUE].flatMap((queue) =>
      ['matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions']
        .filter(
          (key) =>
            !s.dynamicConfig[key]?.some((e) => e.value === 1 && e.constraints?.taskQueueName === queue),
        )
        .map((key) => `dynamic config: ${key} is not 1 for ${queue}`),
    ),

  'the Dockerfile builds lib/ and runs the CLI as a non-root user': (s) => {
    const lines = s.dockerfile
      .replace(/\\\n/g, ' ')
      .split('\n')
      .map((l) => l.trim());
    const finalStage = lines.slice(lines.map((l) => l.startsWith('FROM ')).lastIndexOf(true));
    const entrypoint = finalStage.find((l) => l.startsWith('ENTRYPOINT '))?.slice('ENTRYPOINT '.length);
    const user = finalStage
      .filter((l) => l.startsWith('USER '))
      .pop()
      ?.split(/\s+/)[1];
    let exec: unknown;
    try {
      exec = JSON.parse(entrypoint ?? '');
    } catch {
      exec = entrypoint;
    }
    return [
      ...unless(
        JSON.stringify(exec) === '["node","bin/long-video.js"]',
        `ENTRYPOINT ${entrypoint} is not the CLI`,
      ),
      ...unless(
        lines.some((l) => /^RUN .*npm ci\b/.test(l)),
        'no RUN npm ci',
      ),
      ...unless(
        lines.some((l) => /^RUN .*npm run build\b/.test(l)),
        'no RUN npm run build',
      ),
      ...unless(
        finalStage.some((l) => /^COPY .*\blib lib$/.test(l)),
        'the final stage does not copy lib/',
      ),
      ...unless(Boolean(user) && !['root', '0'].includes(user!), `runs as ${user ?? 'root'}`),
    ];
  },

  '.env.example and deploy/dry-run.env name only keys the code or the compose file reads': (s) => {
    const used = variablesIn(s.composeText);
    const documented = new Set([...Object.keys(s.envExample), ...Object.keys(s.dryRunEnv)]);
    // A copied .env overrides the compose file's defaults: its version pins must be those defaults.
    const defaults = new Map(
      [...s.composeText.matchAll(/\$\{(\w+_VERSION):-([^}]+)\}/g)].map((m) => [m[1]!, m[2]!]),
    );
    return [
      ...[...defaults]
        .filter(([k, v]) => k in s.envExample && s.envExample[k] !== v)
        .map(([k, v]) => `.env.example: ${k}=${s.envExample[k]} is not the compose file's ${v}`),
      ...[...Object.keys(s.envExample), ...Object.keys(s.dryRunEnv)]
        .filter(
          (k) =>
            !CONFIG_KEYS.has(k) && !(COMPOSE_ONLY_KEYS.has(k) && (used.has(k) || k === 'COMPOSE_PROFILES')),
        )
        .map((k) => `env file: ${k} is neither a Config key nor read by docker-compose.yml`),
      ...[...used]
        .filter((k) => !documented.has(k))
        .map((k) => `docker-compose.yml reads ${k}, documented in no env file`),
    ];
  },
};
