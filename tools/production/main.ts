/**
 * `npm run stack:production [-- --dry-run | --down [--wipe] | --restart ROLE | --json]`: the command line of
 * tools/production/stack.ts. Exit codes: 0 done, 1 a service failed (its log's tail is printed), 2 bad usage.
 */
import path from 'node:path';
import { STACK_DIR, type StackState, down, restart, up } from './stack';

const USAGE = `usage: npm run stack:production -- [--dry-run] [--json] | --down [--wipe] | --restart ROLE

Starts docker-compose.yml's production stack as native processes on 127.0.0.1, detached: PostgreSQL,
the Temporal server (built by scripts/build-temporal.sh), its namespace, the Web UI, three workers, the
callback receiver and the files service. Settings come from .env as for compose (RUNWAY_API_KEY,
CALLBACK_PUBLIC_URL, CALLBACK_SECRET...); --dry-run takes deploy/dry-run.env and adds the provider
simulator instead. State, logs (logs/*.log) and data live in ${path.relative(process.cwd(), STACK_DIR) || '.'}
(PRODUCTION_STACK_DIR). Starting a stack that runs prints its addresses.

  --dry-run   against the provider simulator, nothing paid
  --json      print the addresses as JSON
  --down      stop every process of the stack; its data stays
  --wipe      with --down: remove the data too
  --restart ROLE
              start one service of the running stack again as it was started (stopped first if it
              runs): temporal, ui, simulator, receiver, files, worker-1, worker-2 or worker-3
`;

function print(state: StackState): void {
  const u = state.urls;
  console.log(`production stack up${state.dryRun ? ' (dry run: provider simulator)' : ''}:`);
  console.log(`  Temporal      ${u.temporal} (namespace ${state.namespace}, PostgreSQL)`);
  console.log(`  Web UI        ${u.ui}/namespaces/${encodeURIComponent(state.namespace)}/workflows`);
  console.log(`  files         ${u.files}`);
  console.log(`  receiver      ${u.receiver}`);
  if (u.simulator) console.log(`  simulator     ${u.simulator}`);
  const roles = state.processes.map((p) => p.role).join(', ');
  console.log(`  processes     ${roles}`);
  console.log(`  logs          ${path.join(STACK_DIR, 'logs')}`);
  console.log(`use it:  TEMPORAL_ADDRESS=${u.temporal} npx long-video list`);
  console.log('stop it: npm run stack:production -- --down');
}

async function main(args: string[]): Promise<number> {
  const known = new Set(['--dry-run', '--json', '--down', '--wipe', '--help', '-h']);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  if (args[0] === '--restart' && args.length === 2) {
    const p = await restart(args[1]!);
    console.log(`restarted ${p.role} (pid ${p.pid})`);
    return 0;
  }
  const unknown = args.filter((a) => !known.has(a));
  if (unknown.length > 0 || (args.includes('--wipe') && !args.includes('--down'))) {
    console.error(
      `stack:production: ${unknown.length ? `unknown option ${unknown[0]}` : '--wipe goes with --down'}`,
    );
    console.error(USAGE);
    return 2;
  }
  if (args.includes('--down')) {
    const said = await down({ wipe: args.includes('--wipe') });
    for (const line of said) console.log(`stopped ${line}`.replace('stopped removed', 'removed'));
    console.log(said.length ? 'production stack down' : 'production stack was not running');
    return 0;
  }
  const state = await up({ dryRun: args.includes('--dry-run') });
  if (args.includes('--json')) console.log(JSON.stringify(state.urls));
  else print(state);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`stack:production: ${err.message}`);
    process.exit(1);
  },
);
