/**
 * `long-video simulator` as a user runs it, driven with curl: the quick start, the contract's refusals,
 * the admin API, both error styles, and a request log that never shows a key.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = path.join(__dirname, '..', 'bin', 'long-video.js');
const KEY = 'sk-cli-test-key-123';
const ADMIN = 'cli-admin-token';

jest.setTimeout(60_000);

interface Cli {
  child: ChildProcess;
  url: string;
  output: () => string;
  exit: Promise<number | null>;
}

async function startCli(args: string[]): Promise<Cli> {
  const child = spawn(process.execPath, [BIN, 'simulator', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'listening on' line: ${output}`)), 15_000);
    child.stdout!.on('data', () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exit.then((code) => reject(new Error(`exited ${code}: ${output}`)));
  });
  return { child, url, output: () => output, exit };
}

async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', ['-sS', '-w', '\n%{http_code}', ...args]);
  const i = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i) };
}

const auth = (token: string) => ['-H', `Authorization: Bearer ${token}`];
const json = (body: unknown) => ['-H', 'Content-Type: application/json', '-d', JSON.stringify(body)];

describe('long-video simulator', () => {
  let cli: Cli;
  beforeAll(async () => {
    cli = await startCli(['--port', '0', '--api-key', KEY, '--admin-token', ADMIN, '--time-scale', '0.01']);
  });
  afterAll(async () => {
    cli.child.kill('SIGTERM');
    expect(await cli.exit).toBe(0);
  });

  test('the quick start with curl: generate → record-detail → download → extend → parentTaskId', async () => {
    const gen = await curl([
      ...auth(KEY),
      ...json({ prompt: 'A fox in the snow', duration: 5, quality: '720p', aspectRatio: '16:9' }),
      `${cli.url}/api/v1/runway/generate`,
    ]);
    const { code, data } = JSON.parse(gen.body);
    expect(code).toBe(200);
    const detail = await pollDetail(data.taskId);
    const file = await run('curl', [
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{size_download} %{content_type}',
      detail.videoInfo.videoUrl,
    ]);
    const [status, size, type] = file.stdout.split(' ');
    expect([status, type]).toEqual(['200', 'video/mp4']);
    expect(Number(size)).toBeGreaterThan(1000);

    const ext = await curl([
      ...auth(KEY),
      ...json({ taskId: data.taskId, prompt: 'The fox runs off', quality: '720p' }),
      `${cli.url}/api/v1/runway/extend`,
    ]);
    const extended = await pollDetail(JSON.parse(ext.body).data.taskId);
    expect(extended.parentTaskId).toBe(data.taskId);
  });

  test('1080p with 10 s is refused with a clear message, and nothing is charged', async () => {
    const before = JSON.parse((await curl([...auth(ADMIN), `${cli.url}/admin/ledger`])).body).length;
    const res = await curl([
      ...auth(KEY),
      ...json({ prompt: 'too much', duration: 10, quality: '1080p', aspectRatio: '16:9' }),
      `${cli.url}/api/v1/runway/generate`,
    ]);
    expect(res.status).toBe(200); // the envelope style: the code is in the body
    expect(JSON.parse(res.body)).toMatchObject({
      code: 422,
      msg: expect.stringMatching(/1080p is only available with a 5 s/),
    });
    const ledger = JSON.parse((await curl([...auth(ADMIN), `${cli.url}/admin/ledger`])).body);
    expect(ledger).toHaveLength(before);
  });

  test('malformed JSON is a 400, a missing key a 401, and the admin API wants its token', async () => {
    const bad = await curl([
      ...auth(KEY),
      '-H',
      'Content-Type: application/json',
      '-d',
      '{"prompt":',
      `${cli.url}/api/v1/runway/generate`,
    ]);
    expect(JSON.parse(bad.body)).toMatchObject({ code: 400, msg: 'body is not valid JSON' });
    const anon = await curl([`${cli.url}/api/v1/chat/credit`]);
    expect(JSON.parse(anon.body).code).toBe(401);
    expect((await curl([...auth(KEY), `${cli.url}/admin/ledger`])).status).toBe(401);
    const badFault = await curl([...auth(ADMIN), ...json({ createFailAfter: 2 }), `${cli.url}/admin/faults`]);
    expect(badFault.status).toBe(400);
    expect(JSON.parse(badFault.body).error).toMatch(/createFailAfter/);
  });

  test('the request log has one line per request and never the key', () => {
    expect(cli.output()).toMatch(/POST \/api\/v1\/runway\/generate -> 200/);
    expect(cli.output()).not.toContain(KEY);
    expect(cli.output()).not.toContain(ADMIN);
  });

  async function pollDetail(taskId: string) {
    for (;;) {
      const res = await curl([...auth(KEY), `${cli.url}/api/v1/runway/record-detail?taskId=${taskId}`]);
      const { data } = JSON.parse(res.body);
      if (data.state === 'success') return data;
      expect(data.state).not.toBe('fail');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
});

test('--error-style http answers errors with the HTTP status', async () => {
  const cli = await startCli(['--error-style', 'http', '--quiet']);
  try {
    const res = await curl([...auth('wrong'), `${cli.url}/api/v1/chat/credit`]);
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).code).toBe(401);
    expect(cli.output()).not.toMatch(/GET/); // --quiet
  } finally {
    cli.child.kill('SIGINT');
    expect(await cli.exit).toBe(0);
  }
});

test("--shapes docs answers record-detail with only the keys of the docs page's example", async () => {
  const cli = await startCli(['--shapes', 'docs', '--quiet', '--time-scale', '0.01', '--media', 'shared']);
  try {
    const gen = await curl([
      ...auth('sim-api-key'),
      ...json({ prompt: 'A heron', duration: 5, quality: '720p', aspectRatio: '1:1', model: 'gen3' }),
      `${cli.url}/api/v1/runway/generate`,
    ]);
    const { taskId } = JSON.parse(gen.body).data;
    for (;;) {
      const res = await curl([
        ...auth('sim-api-key'),
        `${cli.url}/api/v1/runway/record-detail?taskId=${taskId}`,
      ]);
      const { data } = JSON.parse(res.body);
      if (data.state === 'success') {
        expect(Object.keys(data)).toEqual(['taskId', 'state', 'generateTime', 'videoInfo', 'expireFlag']);
        expect(Object.keys(data.videoInfo)).toEqual(['videoId', 'videoUrl', 'imageUrl']);
        break;
      }
      expect(data.state).not.toBe('fail');
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    cli.child.kill('SIGINT');
    expect(await cli.exit).toBe(0);
  }
});

test.each([
  [['--time-scale=-1'], /--time-scale <s>' argument '-1' is invalid/],
  [['--time-scale', '0'], /timeScale/],
  [['--shapes', 'bogus'], /shapes: Invalid option.*"docs"/],
  [['--port', 'eighty'], /port/],
  [['--faults', '{bad'], /--faults must be JSON/],
  [['--faults', '{"nope":1}'], /nope/],
  [['--no-such-flag'], /no-such-flag/],
])('bad flags %p exit 2 with a clear message', async (args, message) => {
  const err = await run(process.execPath, [BIN, 'simulator', ...args]).catch((e) => e);
  expect(err.code).toBe(2);
  expect(err.stderr).toMatch(message);
});
