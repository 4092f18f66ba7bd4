/**
 * The client's error mapping for every code of the contract, in both error styles, against a scripted
 * server; and proof that requests breaking the contract's rules never reach the network.
 */
import http from 'node:http';
import fc from 'fast-check';
import { closeServer, listen } from '../src/http/json-server';
import {
  BadRequestError,
  FeatureDisabledError,
  GenerationFailedError,
  ImageFetchError,
  InsufficientCreditsError,
  InvalidRequestError,
  MaintenanceError,
  NotFoundError,
  ProtocolError,
  RateLimitedError,
  RunwayError,
  ServerError,
  TransportError,
  UnauthorizedError,
  UnknownCodeError,
  UpstreamTimeoutError,
  ValidationError,
} from '../src/provider/errors';
import { RunwayClient } from '../src/provider/client';

type Script = (req: http.IncomingMessage, res: http.ServerResponse) => void;

let script: Script;
let requests = 0;
let server: http.Server;
let client: RunwayClient;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => script(req, res));
  });
  const url = await listen(server, '127.0.0.1', 0);
  client = new RunwayClient({ baseUrl: url, apiKey: 'test-key', timeoutMs: 2_000 });
});
afterAll(() => closeServer(server));
beforeEach(() => {
  requests = 0;
});

const GENERATE = { prompt: 'p', duration: 5, quality: '720p', aspectRatio: '16:9' } as const;

function answer(status: number, body: unknown, headers: Record<string, string> = {}): Script {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

const CODES: Array<[number, new (...a: never[]) => RunwayError, 'rejected' | 'may-have-created']> = [
  [400, BadRequestError, 'rejected'],
  [401, UnauthorizedError, 'rejected'],
  [402, InsufficientCreditsError, 'rejected'],
  [404, NotFoundError, 'rejected'],
  [408, UpstreamTimeoutError, 'rejected'],
  [422, ValidationError, 'rejected'],
  [429, RateLimitedError, 'rejected'],
  [451, ImageFetchError, 'rejected'],
  [455, MaintenanceError, 'rejected'],
  [500, ServerError, 'may-have-created'],
  [501, GenerationFailedError, 'may-have-created'],
  [502, ServerError, 'may-have-created'],
  [503, ServerError, 'may-have-created'],
  [505, FeatureDisabledError, 'rejected'],
  [499, UnknownCodeError, 'may-have-created'],
];

describe.each(['envelope', 'http'] as const)('error style %s', (style) => {
  test.each(CODES)('code %i is a %p; a create is %s', async (code, ErrorClass, outcome) => {
    script = answer(style === 'http' ? code : 200, { code, msg: `provider says ${code}`, data: null });
    const err = await client.generate(GENERATE).catch((e) => e);
    expect(err).toBeInstanceOf(ErrorClass);
    expect(err).toMatchObject({ code, endpoint: 'generate', createOutcome: outcome });
    expect(err.message).toContain(`provider says ${code}`);
    const read = await client.recordDetail('t').catch((e) => e);
    expect(read).toBeInstanceOf(ErrorClass);
    expect(read.createOutcome).toBeUndefined();
  });

  test('429 carries Retry-After in seconds or as a date', async () => {
    script = answer(style === 'http' ? 429 : 200, { code: 429, msg: 'slow down' }, { 'retry-after': '7' });
    expect(await client.extend({ taskId: 't', prompt: 'p', quality: '720p' }).catch((e) => e)).toMatchObject({
      retryAfterMs: 7000,
      retryable: true,
    });
    const at = new Date(Date.now() + 30_000).toUTCString();
    script = answer(style === 'http' ? 429 : 200, { code: 429, msg: 'slow down' }, { 'retry-after': at });
    const err = await client.generate(GENERATE).catch((e) => e);
    expect(err.retryAfterMs).toBeGreaterThan(25_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(30_000);
  });
});

describe('answers that break the contract', () => {
  test('an HTTP error without an envelope uses the HTTP status', async () => {
    script = answer(503, '<html>Service Unavailable</html>');
    expect(await client.generate(GENERATE).catch((e) => e)).toMatchObject({
      name: 'ServerError',
      code: 503,
      createOutcome: 'may-have-created',
    });
  });

  test.each([
    ['truncated JSON', '{"code":200,"msg":"success","data":{"taskI'],
    ['not JSON', 'OK'],
    ['no taskId', JSON.stringify({ code: 200, msg: 'success', data: {} })],
    ['taskId of the wrong type', JSON.stringify({ code: 200, msg: 'success', data: { taskId: { id: 42 } } })],
    ['an empty taskId', JSON.stringify({ code: 200, msg: 'success', data: { taskId: '' } })],
    ['an empty body', ''],
  ])('HTTP 200 with %s after a create is a protocol error that may have created a task', async (_, body) => {
    script = answer(200, body);
    const err = await client.generate(GENERATE).catch((e) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err.createOutcome).toBe('may-have-created');
  });

  test('a record-detail with an unknown state is a protocol error', async () => {
    script = answer(200, { code: 200, msg: 'success', data: { taskId: 't', state: 'exploded' } });
    await expect(client.recordDetail('t')).rejects.toBeInstanceOf(ProtocolError);
  });

  test('a connection reset after the request was read: may-have-created', async () => {
    script = (req) => req.socket.destroy();
    const err = await client.generate(GENERATE).catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.createOutcome).toBe('may-have-created');
  });

  test('success answers parse: taskId, detail, credits, download link', async () => {
    script = answer(200, { code: 200, msg: 'success', data: { taskId: 'abc' } });
    expect(await client.generate(GENERATE)).toBe('abc');
    script = answer(200, { code: 200, msg: 'success', data: 1234.5 });
    expect(await client.credits()).toBe(1234.5);
    script = answer(200, { code: 200, msg: 'success', data: 'https://cdn.example/x.mp4?sig=1' });
    expect(await client.downloadUrl('https://cdn.example/x.mp4')).toBe('https://cdn.example/x.mp4?sig=1');
    script = (req, res) => {
      expect(req.headers.authorization).toBe('Bearer test-key');
      expect(req.url).toBe('/api/v1/runway/record-detail?taskId=a%26b');
      answer(200, { code: 200, msg: 'success', data: { taskId: 'a&b', state: 'queueing', expireFlag: 0 } })(
        req,
        res,
      );
    };
    expect(await client.recordDetail('a&b')).toEqual({ taskId: 'a&b', state: 'queueing', expireFlag: 0 });
  });
});

describe('requests that break the contract never reach the network', () => {
  const notSent = async (call: () => Promise<unknown>) => {
    const err = (await call().catch((e) => e)) as InvalidRequestError;
    expect(err).toBeInstanceOf(InvalidRequestError);
    expect(err.createOutcome).toBe('not-sent');
    return err;
  };
  afterEach(() => expect(requests).toBe(0));

  test('the rules, each with a clear message', async () => {
    expect(
      (await notSent(() => client.generate({ ...GENERATE, quality: '1080p', duration: 10 }))).message,
    ).toMatch(/1080p is only available with a 5 s duration/);
    expect((await notSent(() => client.generate({ ...GENERATE, aspectRatio: undefined }))).message).toMatch(
      /aspectRatio is required for text-to-video/,
    );
    expect((await notSent(() => client.generate({ ...GENERATE, prompt: '   ' }))).message).toMatch(
      /must not be empty/,
    );
    expect((await notSent(() => client.generate({ ...GENERATE, prompt: 'x'.repeat(1801) }))).message).toMatch(
      /at most 1800/,
    );
    expect(
      (await notSent(() => client.generate({ ...GENERATE, imageUrl: 'ftp://x/y.png' }))).message,
    ).toMatch(/imageUrl: must be an absolute http\(s\) URL/);
    await notSent(() => client.extend({ taskId: '', prompt: 'p', quality: '720p' }));
    await expect(client.downloadUrl('not a url')).rejects.toBeInstanceOf(InvalidRequestError);
  });

  test('any invalid generate request (property)', async () => {
    const invalid = fc.oneof(
      fc.record({
        prompt: fc.constantFrom('', ' ', '\n\t'),
        duration: fc.constant(5),
        quality: fc.constant('720p'),
        aspectRatio: fc.constant('16:9'),
      }),
      fc.record({
        prompt: fc.string({ minLength: 1801, maxLength: 3000 }),
        duration: fc.constant(5),
        quality: fc.constant('720p'),
        aspectRatio: fc.constant('1:1'),
      }),
      fc.record({
        prompt: fc.constant('p'),
        duration: fc
          .oneof(fc.integer(), fc.double(), fc.constant(Number.NaN))
          .filter((d) => d !== 5 && d !== 10),
        quality: fc.constant('720p'),
        aspectRatio: fc.constant('1:1'),
      }),
      fc.record({
        prompt: fc.constant('p'),
        duration: fc.constant(10),
        quality: fc.constant('1080p'),
        aspectRatio: fc.constant('16:9'),
      }),
      fc.record({
        prompt: fc.constant('p'),
        duration: fc.constant(5),
        quality: fc.string().filter((q) => q !== '720p' && q !== '1080p'),
        aspectRatio: fc.constant('16:9'),
      }),
      fc.record({
        prompt: fc.constant('p'),
        duration: fc.constant(5),
        quality: fc.constant('720p'),
        aspectRatio: fc.string().filter((a) => !['16:9', '4:3', '1:1', '3:4', '9:16'].includes(a)),
      }),
      fc.record({
        prompt: fc.constant('p'),
        duration: fc.constant(5),
        quality: fc.constant('720p'),
        imageUrl: fc.string().filter((u) => !/^https?:\/\/\w/.test(u)),
      }),
      fc.record({
        prompt: fc.constant('p'),
        duration: fc.constant(5),
        quality: fc.constant('720p'),
        aspectRatio: fc.constant('16:9'),
        callBackUrl: fc.constantFrom('', '/relative', 'javascript:alert(1)', 'http://'),
      }),
    );
    await fc.assert(
      fc.asyncProperty(invalid, async (request) => {
        await notSent(() => client.generate(request as never));
      }),
      { numRuns: 300 },
    );
  });

  test('any invalid extend request (property)', async () => {
    const invalid = fc.oneof(
      fc.record({ taskId: fc.constant(''), prompt: fc.constant('p'), quality: fc.constant('720p') }),
      fc.record({
        taskId: fc.constant('t'),
        prompt: fc.constantFrom('', '  '),
        quality: fc.constant('720p'),
      }),
      fc.record({ taskId: fc.constant('t'), prompt: fc.constant('p'), quality: fc.constant('4k') }),
      fc.record({
        taskId: fc.constant('t'),
        prompt: fc.constant('p'),
        quality: fc.constant('720p'),
        duration: fc.constant(5),
      }),
    );
    await fc.assert(
      fc.asyncProperty(invalid, async (request) => {
        await notSent(() => client.extend(request as never));
      }),
      { numRuns: 100 },
    );
  });
});
