/**
 * docker-compose.yml read the way `docker compose` reads it, so that the native production stack runs
 * each service with the environment and command compose would give it: one definition for both.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { readEnvFile } from '../../src/config/config';

export type Env = Record<string, string>;

export interface ComposeService {
  image?: string;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
}

export const REPO = path.join(__dirname, '..', '..');

/** Compose's variable interpolation: `${K}`, `${K:-default}`, `${K-default}`, `${K:?error}`, `$$`. */
export function interpolate(text: string, env: Env): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_]\w*)(?:(:?[-?])([^}]*))?\}/g,
    (whole, key: string, op: string | undefined, arg: string) => {
      if (whole === '$$') return '$';
      const value = env[key];
      const missing = value === undefined || (op?.startsWith(':') === true && value === '');
      if (!op) return value ?? '';
      if (op.endsWith('-')) return missing ? arg : value!;
      if (missing) throw new Error(`required variable ${key}: ${arg}`);
      return value!;
    },
  );
}

export interface Compose {
  service(name: string): ComposeService;
  /** A service's environment as compose would set it (blank values left out: our config reads them as unset). */
  environment(name: string): Env;
  /** A service's command, interpolated. */
  command(name: string): string[];
  /** The variables compose interpolates with: the shell's over the env file's. */
  vars: Env;
}

/** docker-compose.yml with `envFile` (`.env`, or deploy/dry-run.env for a dry run) under the shell's env. */
export function loadCompose(envFile: string): Compose {
  const { services } = parse(readFileSync(path.join(REPO, 'docker-compose.yml'), 'utf8'), {
    merge: true,
  }) as {
    services: Record<string, ComposeService>;
  };
  const fromShell = Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined);
  const vars: Env = { ...readEnvFile(envFile), ...Object.fromEntries(fromShell) };
  const service = (name: string) => {
    const found = services[name];
    if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
    return found;
  };
  return {
    vars,
    service,
    environment(name) {
      const raw = service(name).environment ?? {};
      const entries = Array.isArray(raw)
        ? raw.map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string])
        : Object.entries(raw).map(([k, v]) => [k, v === null ? '' : String(v)] as [string, string]);
      return Object.fromEntries(
        entries.map(([k, v]) => [k, interpolate(v, vars)] as const).filter(([, v]) => v !== ''),
      );
    },
    command(name) {
      const command = service(name).command;
      const words = Array.isArray(command) ? command : (command ?? '').split(/\s+/).filter(Boolean);
      return words.map((w) => interpolate(w, vars));
    },
  };
}

/** Replace the value after `flag` in an argument list (the flag must be there). */
export function setFlag(args: string[], flag: string, value: string): string[] {
  const at = args.indexOf(flag);
  if (at < 0 || at + 1 >= args.length) throw new Error(`expected ${flag} in ${args.join(' ')}`);
  return [...args.slice(0, at + 1), value, ...args.slice(at + 2)];
}
