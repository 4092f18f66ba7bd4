/**
 * How long closed chains are kept: the dev server's namespace gets CHAIN_RETENTION_DAYS (30 by default,
 * more than the provider's 14 days of files) instead of `start-dev`'s 24 hours, on every start, so a
 * changed setting reaches a database that already holds the namespace.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { loadConfig } from '../src/config/config';
import { startDevServer } from '../src/temporal/dev-server';
import { retentionDays } from './support/temporal';

jest.setTimeout(120_000);

const dir = mkdtempSync(path.join(os.tmpdir(), 'long-video-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('CHAIN_RETENTION_DAYS is 30 days unless set, and a whole number of days', () => {
  expect(loadConfig({}).CHAIN_RETENTION_DAYS).toBe(30);
  expect(loadConfig({ CHAIN_RETENTION_DAYS: '60' }).CHAIN_RETENTION_DAYS).toBe(60);
  for (const bad of ['0', '1.5', 'two weeks'])
    expect(() => loadConfig({ CHAIN_RETENTION_DAYS: bad })).toThrow();
});

async function retentionOfServer(days: number | undefined, dbFilename: string): Promise<number> {
  const server = await startDevServer({ ui: false, dbFilename, retentionDays: days });
  const connection = await Connection.connect({ address: server.address });
  try {
    return await retentionDays(connection, server.namespace);
  } finally {
    await connection.close();
    await server.stop();
  }
}

test("the dev server's namespace keeps closed chains the configured days, set again on each start", async () => {
  const db = path.join(dir, 'temporal.db');
  expect(await retentionOfServer(undefined, db)).toBe(1); // start-dev's own default: what we replace
  expect(await retentionOfServer(45, db)).toBe(45);
  expect(await retentionOfServer(30, db)).toBe(30); // the same database, a changed setting
});
