/** Register the chain's search attributes in a namespace (idempotent): for clusters we did not start. */
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../chain/search-attributes';

const GRPC_UNIMPLEMENTED = 12;

const INDEXED = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
} as const;

export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  // The time-skipping test server can add but not list: then add them all.
  const existing = await connection.operatorService
    .listSearchAttributes({ namespace })
    .catch((err: { code?: number }) => (err.code === GRPC_UNIMPLEMENTED ? undefined : Promise.reject(err)));
  const known = new Set(Object.keys(existing?.customAttributes ?? {}));
  const missing = SEARCH_ATTRIBUTES.filter((a) => !known.has(a.name));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((a) => [a.name, INDEXED[a.type]])),
  });
}
