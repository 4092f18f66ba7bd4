/**
 * Where the Temporal binaries are: an env var naming one wins, then PATH (so `brew install temporal`
 * serves), then the project's `.tools/bin` filled by `scripts/install-temporal.sh`.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

const PROJECT_BIN = path.join(__dirname, '..', '..', '.tools', 'bin');

function resolveBinary(envVar: string, name: string): string {
  const fromEnv = process.env[envVar];
  const candidates = [
    ...(fromEnv ? [fromEnv] : []),
    ...(process.env.PATH ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .map((dir) => path.join(dir, name)),
    path.join(PROJECT_BIN, name),
  ];
  const found = candidates.find(isExecutable);
  if (!found) {
    throw new Error(
      `${name} not found (${envVar}, PATH, ${PROJECT_BIN}): run bash scripts/install-temporal.sh`,
    );
  }
  if (fromEnv && found !== fromEnv) throw new Error(`${envVar}=${fromEnv} is not an executable file`);
  return found;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Temporal CLI (`temporal server start-dev`, `temporal operator ...`). */
export const resolveTemporalCli = () => resolveBinary('TEMPORAL_CLI_PATH', 'temporal');
/** The time-skipping test server used by `TestWorkflowEnvironment.createTimeSkipping`. */
export const resolveTestServer = () => resolveBinary('TEMPORAL_TEST_SERVER_PATH', 'temporal-test-server');
