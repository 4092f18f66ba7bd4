/** `long-video simulator --provider runwayml` as a user runs it: the start line names the API it speaks. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { eventually } from './support/simulator';

const BIN = path.join(__dirname, '..', 'bin', 'long-video.js');

jest.setTimeout(60_000);

async function startCli(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'simulator', '--quiet', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const line = await eventually(() => /^listening on .*$/m.exec(output)?.[0], 30_000).catch((err) => {
    child.kill();
    throw new Error(`${(err as Error).message}: ${output}`);
  });
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  return { line, url: /http:\/\/127\.0\.0\.1:\d+/.exec(line)![0], stop };
}

test('--provider runwayml serves the official API and says so on its start line', async () => {
  const cli = await startCli(['--provider', 'runwayml', '--api-key', 'k1', '--credits', '500']);
  try {
    expect(cli.line).toMatch(/\(runwayml: Runway's developer API\)$/);
    const headers = { authorization: 'Bearer k1', 'x-runway-version': '2024-11-06' };
    const res = await fetch(`${cli.url}/v1/organization`, { headers });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ creditBalance: 500 });
    // The reseller's paths are not served in this mode.
    expect((await fetch(`${cli.url}/api/v1/chat/credit`, { headers })).status).toBe(404);
  } finally {
    await cli.stop();
  }
});

test('the default start line names the reseller API; an unknown provider is a usage error', async () => {
  const cli = await startCli([]);
  try {
    expect(cli.line).toMatch(/\(kie-runway: the reseller's API\)$/);
  } finally {
    await cli.stop();
  }
  const bad = spawn(process.execPath, [BIN, 'simulator', '--provider', 'openai'], { stdio: 'pipe' });
  let err = '';
  bad.stderr.on('data', (d) => (err += d));
  const code = await new Promise((resolve) => bad.once('exit', resolve));
  expect(code).not.toBe(0);
  expect(err).toMatch(/provider/);
});
