import { existsSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { registerSearchAttributes } from '../../src/temporal/register-search-attributes';

/** The time-skipping test server binary (installed by scripts/install-temporal.sh). */
export function testServerPath(): string {
  const candidates = [
    process.env.TEMPORAL_TEST_SERVER_PATH,
    path.join(__dirname, '..', '..', '.tools', 'bin', 'temporal-test-server'),
  ];
  const found = candidates.find((p) => p && existsSync(p));
  if (!found) throw new Error('temporal-test-server not found: run bash scripts/install-temporal.sh');
  return found;
}

let runtimeInstalled = false;

/** Worker logs at WARN and above only: tests print what matters. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  runtimeInstalled = true;
}

/** A time-skipping environment from the local binary, with the chain's search attributes registered. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath() } },
  });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}
