/** A Temporal client for chain operations, from the configured connection. */
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config/config';
import { describeTemporalConnection, temporalConnectionOptions } from '../config/connection';

export async function connectClient(config: Config): Promise<Client> {
  const options = await temporalConnectionOptions(config);
  const connection = await Connection.connect({ ...options, connectTimeout: '5s' }).catch((err: Error) => {
    throw new Error(
      `cannot reach Temporal at ${describeTemporalConnection(config)} (${err.message}); is \`long-video dev\` running?`,
    );
  });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}
