import type { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { resolveTestServer } from '../../src/temporal/binaries';
import { registerSearchAttributes } from '../../src/temporal/register-search-attributes';

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
    server: { executable: { type: 'existing-path', path: resolveTestServer() } },
  });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

/** How many days `namespace` keeps a closed workflow, as the server says. */
export async function retentionDays(connection: Connection, namespace: string): Promise<number> {
  const { config } = await connection.workflowService.describeNamespace({ namespace });
  return Number(config?.workflowExecutionRetentionTtl?.seconds ?? 0) / 86_400;
}
