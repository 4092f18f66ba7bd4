/**
 * Conformance with the provider's own documentation: every answer example its docs page and per-endpoint
 * reference show (test/fixtures/provider-examples.json, copied as published) is read by the client over
 * HTTP, and every request example passes our writer's checks. Then the shapes other sources give the same
 * answers (nulls, strings, missing fields) are read too. Our simulator plays no part here.
 */
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { outcomeOf } from '../src/activities/provider';
import { closeServer, listen } from '../src/http/json-server';
import { GenerateRequest } from '../src/chain/requests';
import { ProtocolError, ServerError } from '../src/provider/errors';
import { RunwayClient } from '../src/provider/client';
import { parseCallback } from '../src/provider/callbacks';

const FIXTURE = path.join(__dirname, 'fixtures', 'provider-examples.json');
const examples = JSON.parse(readFileSync(FIXTURE, 'utf8'));
const { docsPage, reference } = examples;

let answer: unknown;
let server: http.Server;
let client: RunwayClient;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  client = new RunwayClient({ baseUrl: await listen(server, '127.0.0.1', 0), apiKey: 'k', timeoutMs: 2_000 });
});
afterAll(() => closeServer(server));

test('the fixture is the shared copy of the examples, as published', () => {
  const shared = path.join(__dirname, '..', '..', 'shared', 'provider-examples.json');
  // A clone without ../shared still has the copy; where the shared one exists, they must agree.
  if (existsSync(shared)) expect(JSON.parse(readFileSync(shared, 'utf8'))).toEqual(examples);
  expect(Object.keys(docsPage)).toEqual([
    'generateResponse',
    'recordDetailSuccess',
    'textToVideoRequest',
    'callbackRequest',
  ]);
});

describe("the docs page's examples", () => {
  test('the generate answer gives the task id', async () => {
    answer = docsPage.generateResponse;
    expect(await client.generate(docsPage.textToVideoRequest)).toBe('ee603959-debb-48d1-98c4-a6d1c717eba6');
  });

  test('the record-detail success (no videoInfo.taskId, parentTaskId, generateParam) is a success with its video', async () => {
    answer = docsPage.recordDetailSuccess;
    const detail = await client.recordDetail('ee603959-debb-48d1-98c4-a6d1c717eba6');
    expect(detail).toEqual({
      taskId: 'ee603959-debb-48d1-98c4-a6d1c717eba6',
      state: 'success',
      generateTime: '2023-08-15 14:30:45',
      videoInfo: {
        videoId: '485da89c-7fca-4340-8c04-101025b2ae71',
        videoUrl: 'https://file.com/k/xxxxxxx.mp4',
        imageUrl: 'https://file.com/m/xxxxxxxx.png',
      },
      expireFlag: 0,
    });
    // What the chain takes from it: no prompt and no parent, so nothing to refute whose task it is.
    expect(outcomeOf(detail)).toEqual({
      taskId: 'ee603959-debb-48d1-98c4-a6d1c717eba6',
      state: 'success',
      videoUrl: 'https://file.com/k/xxxxxxx.mp4',
      imageUrl: 'https://file.com/m/xxxxxxxx.png',
    });
  });

  test('its request examples pass our own checks (we send what the docs send)', () => {
    expect(GenerateRequest.safeParse(docsPage.textToVideoRequest).success).toBe(true);
    expect(GenerateRequest.safeParse(docsPage.callbackRequest).success).toBe(true);
  });
});

describe("the per-endpoint reference's examples", () => {
  test('the record-detail field example (failMsg without failCode, expandPrompt a boolean) is read', async () => {
    answer = reference.recordDetailFieldExamples;
    const detail = await client.recordDetail('ee603959-debb-48d1-98c4-a6d1c717eba6');
    expect(detail).toMatchObject({
      state: 'success',
      parentTaskId: '',
      generateParam: { prompt: expect.stringContaining('orange cat'), expandPrompt: true },
      videoInfo: {
        taskId: 'ee603959-debb-48d1-98c4-a6d1c717eba6',
        videoUrl: 'https://file.com/k/xxxxxxx.mp4',
      },
      failMsg: 'Generation failed, please try again later',
    });
    expect(detail.failCode).toBeUndefined();
  });

  test('the error answer (data: null) is a server error, and after a create it may have made a task', async () => {
    answer = reference.errorResponse;
    const err = await client.generate(docsPage.textToVideoRequest).catch((e) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(err).toMatchObject({ code: 500, createOutcome: 'may-have-created' });
    expect(err.message).toContain('Server Error - An unexpected error occurred');
  });

  test('the success callback is read', () => {
    expect(parseCallback(JSON.stringify(reference.successCallback))).toEqual(reference.successCallback);
  });
});

describe('the same answers as other sources shape them', () => {
  const base = docsPage.recordDetailSuccess.data;

  test.each([
    [
      'every optional field null',
      {
        ...base,
        parentTaskId: null,
        generateParam: null,
        generateTime: null,
        videoInfo: { videoId: null, taskId: null, videoUrl: base.videoInfo.videoUrl, imageUrl: null },
        failCode: null,
        failMsg: null,
        expireFlag: null,
      },
    ],
    [
      'generateParam with null members and string types',
      {
        ...base,
        generateParam: { prompt: 'p', imageUrl: null, expandPrompt: 'false' },
        failCode: '',
        expireFlag: '0',
      },
    ],
    ['a state in capitals and unknown fields', { ...base, state: 'SUCCESS', model: 'gen3', extra: { a: 1 } }],
    ['a numeric failCode beside success', { ...base, failCode: 0, failMsg: '' }],
  ])('%s', async (_name, data) => {
    answer = { code: 200, msg: null, data };
    const detail = await client.recordDetail('t');
    expect(detail).toMatchObject({ taskId: base.taskId, state: 'success' });
    expect(outcomeOf(detail).videoUrl).toBe(base.videoInfo.videoUrl);
  });

  test.each([
    ['a failure with no failCode, failMsg or videoInfo', { taskId: 't', state: 'fail' }, { state: 'fail' }],
    [
      'a failure with failCode as a string',
      { taskId: 't', state: 'fail', failCode: '400', failMsg: 'Incorrect image format', videoInfo: null },
      { state: 'fail', failCode: '400', failMsg: 'Incorrect image format' },
    ],
    [
      'a failure with failCode as a number',
      { taskId: 't', state: 'fail', failCode: 501, failMsg: null },
      { state: 'fail', failCode: '501' },
    ],
    ['a task still queueing, nothing else', { taskId: 't', state: 'queueing' }, { state: 'queueing' }],
  ])('%s', async (_name, data, expected) => {
    answer = { code: 200, data };
    expect(await client.recordDetail('t')).toEqual({ taskId: 't', ...expected });
  });

  test.each([
    [
      'a success without a video URL',
      { taskId: 't', state: 'success', videoInfo: null },
      'videoInfo.videoUrl',
    ],
    [
      'a success with an empty video URL',
      { taskId: 't', state: 'success', videoInfo: { videoUrl: '' } },
      'videoInfo.videoUrl',
    ],
    ['no task id', { state: 'success', videoInfo: { videoUrl: 'u' } }, 'taskId'],
    ['a state nobody documents', { taskId: 't', state: 'exploded' }, 'state'],
  ])('what the chain needs cannot be missing: %s', async (_name, data, field) => {
    answer = { code: 200, msg: 'success', data };
    const err = await client.recordDetail('t').catch((e) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err.message).toContain(`${field}:`);
  });
});
