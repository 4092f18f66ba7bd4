/**
 * Replay guard: histories recorded from real runs (test/fixtures/histories, written by the integration
 * suite with RECORD_HISTORIES=1) must replay against the current workflow code. A change that would break
 * running chains fails here; make intended changes with `patched()` (see the README).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { quietRuntime } from './support/temporal';

jest.setTimeout(60_000);

const dir = path.join(__dirname, 'fixtures', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

test('there are recorded histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(3);
});

test.each(files)('%s replays against the current workflow code', async (file) => {
  quietRuntime();
  const history = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  // A fixture is named by its chain's workflow id, which a chain's notification child ids hold.
  const workflowId = file.replace(/\.json$/, '');
  await Worker.runReplayHistory({ workflowsPath: require.resolve('../src/workflows') }, history, workflowId);
});
