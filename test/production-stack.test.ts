/**
 * The native production stack (`npm run stack:production -- --dry-run`, tools/production/): up in a scratch
 * folder, one 3-segment chain on the provider simulator paid exactly once per segment, the chain found by
 * `LongVideoState` in PostgreSQL visibility and shown with its User Metadata by the UI server's Web UI in
 * Chromium, then down with every process gone. It needs the binaries of
 * scripts/build-temporal.sh and PostgreSQL; without them it is skipped, loudly (CI does not build them).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SimulatorAdmin } from '../src/simulator/admin-client';
import { isRecordedProcessAlive } from '../src/temporal/processes';
import { browserTestsWanted, gotoWhenUp, launchChromium, saveScreenshot } from './support/browser';
import type { StackState } from '../tools/production/stack';
import { type ScratchStack, describeWhenStackBuilt, scratchStack } from './support/production-stack';

const maybe = describeWhenStackBuilt('test/production-stack.test.ts');

maybe('the native production stack (dry run)', () => {
  // Under a scratch folder: PostgreSQL's user must reach it, and nothing of the repo's .env is read there.
  let scratch: ScratchStack | undefined;
  beforeAll(() => {
    scratch = scratchStack('production-stack-');
  });
  const stack = (args: string[]) => scratch!.stack(args);
  const cli = (args: string[], temporal: string) => scratch!.cli(args, temporal);
  const state = () => scratch!.state();
  const dir = () => scratch!.dir;

  afterAll(() => scratch?.remove(), 120_000);

  test('up, a 3-segment chain paid once per segment, LongVideoState search, down', async () => {
    const started = Date.now();
    const { stdout } = await stack(['--dry-run', '--json']);
    const urls = JSON.parse(stdout.trim().split('\n').pop()!) as StackState['urls'];
    const upMs = Date.now() - started;
    const { processes } = state();
    expect(processes.map((p) => p.role)).toEqual([
      'postgresql',
      'temporal',
      'ui',
      'simulator',
      'receiver',
      'files',
      'worker-1',
      'worker-2',
      'worker-3',
    ]);
    expect(processes.every(isRecordedProcessAlive)).toBe(true);
    expect(urls.ui).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${urls.ui}/api/v1/namespaces/default`)).ok).toBe(true);

    const chain = await cli(
      [
        'start',
        '--id',
        'native-stack-chain',
        '--aspect-ratio',
        '16:9',
        '--prompt',
        'a paper boat',
        '--prompt',
        'it drifts away',
        '--prompt',
        'into the sunset',
        '--wait',
        '--json',
      ],
      urls.temporal,
    );
    const result = JSON.parse(chain.stdout) as {
      state: string;
      segmentsDone: number;
      outputUrls: { video: string };
    };
    expect(result).toMatchObject({ state: 'completed', segmentsDone: 3 });
    expect(result.outputUrls.video.startsWith(urls.files)).toBe(true);
    // What the provider charged, by its own ledger: one generate and two extends, nothing twice.
    const ledger = await new SimulatorAdmin(urls.simulator!, 'sim-admin-token').ledger();
    expect(ledger.map((e) => e.endpoint)).toEqual(['generate', 'extend', 'extend']);

    // Visibility is PostgreSQL's (eventually consistent): the chain is found by its search attribute.
    const deadline = Date.now() + 30_000;
    let listed: Array<{ workflowId: string; state: string }> = [];
    while (Date.now() < deadline) {
      listed = JSON.parse((await cli(['list', '--state', 'completed', '--json'], urls.temporal)).stdout);
      if (listed.length > 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(listed).toEqual([
      expect.objectContaining({ workflowId: 'native-stack-chain', state: 'completed' }),
    ]);
    const running = JSON.parse((await cli(['list', '--state', 'running', '--json'], urls.temporal)).stdout);
    expect(running).toEqual([]);
    if (browserTestsWanted()) await expectUserMetadataInWebUi(urls.ui, 'native-stack-chain');

    const downStarted = Date.now();
    const down = await stack(['--down']);
    expect(down.stdout).toContain('production stack down');
    expect(processes.filter(isRecordedProcessAlive).map((p) => p.role)).toEqual([]);
    expect(existsSync(path.join(dir(), 'stack', 'pg', 'PG_VERSION'))).toBe(true); // the data stays
    console.log(
      `production stack: up ${upMs} ms, chain + search ${downStarted - started - upMs} ms, down ${Date.now() - downStarted} ms`,
    );
  }, 300_000);
});

/**
 * The UI server's Web UI (not the dev server's): the chain found by `LongVideoState`, and its summary under
 * the User Metadata tab, which older UI releases (2.34) do not have.
 */
async function expectUserMetadataInWebUi(ui: string, workflowId: string): Promise<void> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const query = encodeURIComponent('LongVideoState="completed"');
    await gotoWhenUp(page, `${ui}/namespaces/default/workflows?query=${query}`);
    await page.getByRole('link', { name: workflowId, exact: true }).click({ timeout: 30_000 });
    await page.getByText('User Metadata', { exact: true }).click({ timeout: 30_000 });
    const summary = page.frameLocator('#user-metadata-summary');
    await summary.getByText(/^3 segments · 720p · [“"]a paper boat[”"]$/).waitFor({ timeout: 30_000 });
    const current = page.frameLocator('#user-metadata-current-details');
    await current.getByText(/^completed · 3 of 3 segments/).waitFor({ timeout: 30_000 });
    await saveScreenshot(page, 'production-ui-user-metadata.png');
  } finally {
    await browser.close();
  }
}
