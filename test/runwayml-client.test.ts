/**
 * The official API's client over real HTTP, against a tiny local server that records what it receives:
 * the headers on every request, bodies checked before anything is sent, each HTTP status's error class and
 * what it says about a create, no retries, and the API key never in an error.
 */
import http from 'node:http';
import { closeServer, listen } from '../src/http/json-server';
import {
  BadRequestError,
  InsufficientCreditsError,
  InvalidRequestError,
  MethodNotAllowedError,
  NotFoundError,
  ProtocolError,
  RateLimitedError,
  RunwayError,
  ServerError,
  TransportError,
  UnauthorizedError,
  UnknownCodeError,
} from '../src/provider/errors';
import { RUNWAYML_API_VERSION, RunwayMlClient } from '../src/provider/runwayml/client';

const KEY = `key_${'ab12'.repeat(32)}`;

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let received: Received[] = [];
/** What the server answers next: status, body (a string is sent as is), headers. */
let reply: { status: number; body?: unknown; headers?: Record<string, string> } = { status: 200, body: {} };
let server: http.Server;
let baseUrl: string;
let client: RunwayMlClient;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const text =
        reply.body === undefined
          ? ''
          : typeof reply.body === 'string'
            ? reply.body
            : JSON.stringify(reply.body);
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(text);
    });
  });
  baseUrl = await listen(server, '127.0.0.1', 0);
  client = new RunwayMlClient({ baseUrl, apiKey: KEY, timeoutMs: 5_000 });
});
afterAll(() => closeServer(server));
beforeEach(() => {
  received = [];
  reply = { status: 200, body: {} };
});

const PNG = `data:image/png;base64,${Buffer.from('frame').toString('base64')}`;
const video = {
  model: 'gen4_turbo' as const,
  promptImage: PNG,
  ratio: '1280:720' as const,
  promptText: 'waves',
  duration: 5,
};

/** The error a call throws (failing the test if it resolves). */
async function errorOf(p: Promise<unknown>): Promise<RunwayError> {
  const outcome = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(outcome instanceof RunwayError)) throw new Error(`expected a RunwayError, got ${String(outcome)}`);
  return outcome;
}

describe('what is sent', () => {
  test('image_to_video: POST with the version header, the bearer key and the validated body; answers the id', async () => {
    reply = { status: 200, body: { id: 'task-1', estimatedCost: { credits: 25 } } };
    expect(await client.imageToVideo(video)).toBe('task-1');
    expect(received).toHaveLength(1);
    const [req] = received;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('/v1/image_to_video');
    expect(req!.headers['x-runway-version']).toBe(RUNWAYML_API_VERSION);
    expect(req!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req!.body)).toEqual(video);
  });

  test('text_to_image, get and cancel carry the same headers, to their paths', async () => {
    reply = { status: 200, body: { id: 'img-1' } };
    expect(
      await client.textToImage({ model: 'gen4_image', promptText: 'a lighthouse', ratio: '1920:1080' }),
    ).toBe('img-1');
    reply = { status: 200, body: { id: 'task-1', status: 'RUNNING', progress: 0.3 } };
    expect(await client.getTask('task-1')).toMatchObject({ id: 'task-1', status: 'RUNNING', progress: 0.3 });
    reply = { status: 204 };
    await expect(client.cancelTask('task-1')).resolves.toBeUndefined();
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /v1/text_to_image',
      'GET /v1/tasks/task-1',
      'DELETE /v1/tasks/task-1',
    ]);
    for (const r of received) {
      expect(r.headers['x-runway-version']).toBe('2024-11-06');
      expect(r.headers.authorization).toBe(`Bearer ${KEY}`);
    }
  });
});

describe('bad input is refused before any request', () => {
  test.each([
    ['an http image URL', () => client.imageToVideo({ ...video, promptImage: 'http://example.com/a.png' })],
    ['a ratio the API does not know', () => client.imageToVideo({ ...video, ratio: '16:9' as never })],
    ['a too long prompt', () => client.imageToVideo({ ...video, promptText: 'x'.repeat(1001) })],
    ['a 12 s duration', () => client.imageToVideo({ ...video, duration: 12 })],
    [
      'turbo images without a reference',
      () => client.textToImage({ model: 'gen4_image_turbo', promptText: 'x', ratio: '1920:1080' } as never),
    ],
    ['a task id with a slash', () => client.getTask('../organization')],
    ['an empty task id to cancel', () => client.cancelTask('')],
  ])('%s', async (_name, call) => {
    const err = await errorOf(call());
    expect(err).toBeInstanceOf(InvalidRequestError);
    expect(received).toHaveLength(0);
  });

  test('a refused create says nothing was sent', async () => {
    const err = await errorOf(client.imageToVideo({ ...video, seed: -1 }));
    expect(err.createOutcome).toBe('not-sent');
  });
});

describe('HTTP statuses', () => {
  test.each([
    [400, BadRequestError, 'rejected'],
    [401, UnauthorizedError, 'rejected'],
    [404, NotFoundError, 'rejected'],
    [405, MethodNotAllowedError, 'rejected'],
    [413, UnknownCodeError, 'rejected'],
    [429, RateLimitedError, 'rejected'],
    [500, ServerError, 'may-have-created'],
    [502, ServerError, 'may-have-created'],
    [503, ServerError, 'may-have-created'],
    [504, ServerError, 'may-have-created'],
  ])('%i is %p; a create it answers is %s, and it is sent once', async (status, ErrorClass, outcome) => {
    reply = { status, body: { error: 'promptImage: Invalid data URI.' } };
    const err = await errorOf(client.imageToVideo(video));
    expect(err).toBeInstanceOf(ErrorClass);
    expect(err.httpStatus).toBe(status);
    expect(err.createOutcome).toBe(outcome);
    expect(err.message).toContain('promptImage: Invalid data URI.');
    expect(received).toHaveLength(1);
  });

  test('429 carries Retry-After; a read has no create outcome', async () => {
    reply = { status: 429, body: { error: 'daily limit' }, headers: { 'retry-after': '30' } };
    const err = await errorOf(client.getTask('task-1'));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBe(30_000);
    expect(err.createOutcome).toBeUndefined();
    expect(received).toHaveLength(1);
  });

  test("the API's 400 for an account out of credits is InsufficientCredits (the chain pauses for credits)", async () => {
    // The body the live API answers (it says 400, not 402); both creates can meet it.
    reply = {
      status: 400,
      body: {
        error: 'You do not have enough credits to run this task.',
        docUrl: 'https://docs.dev.runwayml.com/api',
      },
    };
    const image = { model: 'gen4_image' as const, promptText: 'a lighthouse', ratio: '1920:1080' as const };
    for (const create of [() => client.imageToVideo(video), () => client.textToImage(image)]) {
      const err = await errorOf(create());
      expect(err).toBeInstanceOf(InsufficientCreditsError);
      expect(err.httpStatus).toBe(400);
      expect(err.createOutcome).toBe('rejected');
      expect(err.retryable).toBe(false);
    }
    reply = { status: 400, body: { error: 'promptText: credits are not a valid word here' } };
    expect(await errorOf(client.imageToVideo(video))).toBeInstanceOf(BadRequestError);
  });

  test('a 404 on cancel is NotFound (the task is gone)', async () => {
    reply = { status: 404, body: { error: 'Task not found' } };
    expect(await errorOf(client.cancelTask('task-1'))).toBeInstanceOf(NotFoundError);
  });

  test('a 200 create answer without an id is a protocol error that may hide a paid task', async () => {
    reply = { status: 200, body: '<html>oops</html>' };
    const err = await errorOf(client.imageToVideo(video));
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err.createOutcome).toBe('may-have-created');
    expect(received).toHaveLength(1);
  });

  test('a task answer without a status is a protocol error', async () => {
    reply = { status: 200, body: { id: 'task-1' } };
    expect(await errorOf(client.getTask('task-1'))).toBeInstanceOf(ProtocolError);
  });
});

describe('the key stays secret', () => {
  test('a server that echoes the Authorization header does not get the key into the error', async () => {
    const echo = http.createServer((req, res) => {
      req.resume();
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `bad header ${req.headers.authorization}` }));
    });
    const url = await listen(echo, '127.0.0.1', 0);
    try {
      const err = await errorOf(new RunwayMlClient({ baseUrl: url, apiKey: KEY }).imageToVideo(video));
      expect(err.message).toContain('[redacted]');
      expect(JSON.stringify({ ...err, message: err.message, stack: err.stack })).not.toContain(KEY);
    } finally {
      await closeServer(echo);
    }
  });
});

describe('transport failures', () => {
  test('a refused connection: the create was not sent', async () => {
    const closed = http.createServer();
    const url = await listen(closed, '127.0.0.1', 0);
    await closeServer(closed);
    const err = await errorOf(new RunwayMlClient({ baseUrl: url, apiKey: KEY }).imageToVideo(video));
    expect(err).toBeInstanceOf(TransportError);
    expect(err.createOutcome).toBe('not-sent');
  });

  test('no answer in time after sending: the create may have made a task, and is not sent again', async () => {
    const hung = http.createServer((req) => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' });
      req.resume(); // never answers
    });
    const url = await listen(hung, '127.0.0.1', 0);
    try {
      const slow = new RunwayMlClient({ baseUrl: url, apiKey: KEY, timeoutMs: 1_000 });
      const err = await errorOf(slow.imageToVideo(video));
      expect(err).toBeInstanceOf(TransportError);
      expect(err.createOutcome).toBe('may-have-created');
      expect(received).toHaveLength(1);
    } finally {
      await closeServer(hung);
    }
  });
});
