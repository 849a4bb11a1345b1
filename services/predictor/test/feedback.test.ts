import type { FeedbackItem, FeedbackReply } from '@mlops/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedbackUnavailable, feedbackOutcome } from '../src/domain/feedback.js';
import type { FeedbackSink } from '../src/domain/ports.js';
import { call, fittedModel, startTestServer, type TestServer } from './support/harness.js';

/** A monitor stand-in: records what it is sent and answers with `next` (a reply, or an error to throw). */
const monitor = {
  sent: [] as (FeedbackItem | FeedbackItem[])[],
  next: { status: 'accepted', accepted: 1, duplicates: 0, errors: [] } as FeedbackReply | Error,
};
const sink: FeedbackSink = {
  async send(labels) {
    monitor.sent.push(labels);
    if (monitor.next instanceof Error) throw monitor.next;
    return monitor.next;
  },
};

let t: TestServer;
let guarded: TestServer;
beforeAll(async () => {
  t = await startTestServer({ model: fittedModel(), feedback: sink, maxBodyBytes: 4096 });
  guarded = await startTestServer({ model: fittedModel(), feedback: sink, auth: { tokens: ['s3cret'] } });
});
afterAll(async () => {
  await t.close();
  await guarded.close();
});

const reply = (status: FeedbackReply['status'], errors: FeedbackReply['errors'] = []): FeedbackReply => ({
  status,
  accepted: status === 'rejected' ? 0 : 1,
  duplicates: 0,
  errors,
});
const post = (body: string, server = t) => call(server.base, 'POST', '/feedback', body);

describe('POST /feedback', () => {
  it('when the monitor stores the labels, then 202 with its reply, and MODEL_NAME is added to labels without a model', async () => {
    monitor.next = reply('accepted');
    monitor.sent = [];
    const one = await post(JSON.stringify({ prediction_id: 'abc-0', label: 1 }));
    const many = await post(
      JSON.stringify([
        { prediction_id: 'abc-1', label: 0 },
        { prediction_id: 'abc-2', label: 1, model: 'Other_Model' },
      ]),
    );
    expect([one.status, many.status]).toEqual([202, 202]);
    expect(one.json).toEqual(reply('accepted'));
    expect(monitor.sent).toEqual([
      { prediction_id: 'abc-0', label: 1, model: 'One_Customer_Classifier' },
      [
        { prediction_id: 'abc-1', label: 0, model: 'One_Customer_Classifier' },
        { prediction_id: 'abc-2', label: 1, model: 'Other_Model' },
      ],
    ]);
  });

  it.each([
    ['partial', reply('partial', [{ path: '[1].prediction_id', message: 'unknown prediction id' }]), 207],
    ['rejected', reply('rejected', [{ path: '[0].model', message: 'scored by another model' }]), 422],
    [
      'rejected, unknown ids',
      reply('rejected', [{ path: '[0].prediction_id', message: 'unknown prediction id' }]),
      404,
    ],
    [
      'rejected, mixed',
      reply('rejected', [
        { path: '[0].prediction_id', message: 'unknown prediction id' },
        { path: '[1].prediction_id', message: 'expired: older than the horizon' },
      ]),
      422,
    ],
  ])('when the monitor answers %s, then %#: the mapped status with its reply and errors', async (_what, answer, status) => {
    monitor.next = answer;
    const response = await post(
      JSON.stringify([
        { prediction_id: 'abc-0', label: 1 },
        { prediction_id: 'abc-1', label: 0 },
      ]),
    );
    expect(response.status).toBe(status);
    expect(response.json).toEqual(answer);
  });

  it.each([
    ['no_monitor', 503, /monitor is not running/],
    ['timeout', 504, /did not answer/],
    ['bad_reply', 502, /reply/],
  ] as const)('when the monitor cannot be reached (%s), then %i with a clear message', async (problem, status, message) => {
    const texts = {
      no_monitor: 'the monitor is not running',
      timeout: 'the monitor did not answer',
      bad_reply: 'bad reply',
    };
    monitor.next = new FeedbackUnavailable(problem, texts[problem]);
    const response = await post(JSON.stringify({ prediction_id: 'abc-0', label: 1 }));
    expect(response.status).toBe(status);
    expect(response.json.error.message).toMatch(message);
    expect(response.headers.get('retry-after')).toBe(status === 503 ? '5' : null);
  });

  it.each([
    ['{"prediction_id": "abc-0", ', 'MALFORMED_JSON', /not valid JSON/],
    ['{"prediction_id": "abc-0", "label": true}', 'BAD_REQUEST', /^label: must be a class of the model/],
    [
      '[{"prediction_id": "abc-0", "label": 1}, {"prediction_id": "abc-1", "label": ""}]',
      'BAD_REQUEST',
      /^\[1\]\.label:/,
    ],
    ['[{"prediction_id": "not an id", "label": 1}]', 'BAD_REQUEST', /^\[0\]\.prediction_id: a prediction id/],
    ['{"prediction_id": "abc-0", "label": 1, "extra": true}', 'BAD_REQUEST', /extra/],
    ['[]', 'BAD_REQUEST', /an empty batch/],
    ['"abc-0"', 'BAD_REQUEST', /^body:/],
  ])('when the body is %s, then 400 %s naming the problem, and nothing is forwarded', async (body, code, message) => {
    monitor.sent = [];
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(response.json.error.code).toBe(code);
    expect(response.json.error.message).toMatch(message);
    expect(monitor.sent).toEqual([]);
  });

  it("when a label is a class's own text, then it is forwarded as it is (the monitor maps it by version)", async () => {
    monitor.sent = [];
    monitor.next = reply('accepted', []);
    const response = await post(JSON.stringify({ prediction_id: 'abc-0', label: 'yes' }));
    expect(response.status).toBe(202);
    expect(monitor.sent).toEqual([{ prediction_id: 'abc-0', label: 'yes', model: expect.any(String) }]);
  });

  it('when the body is over the limit, then 413, and GET is refused with 405', async () => {
    const big = JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ prediction_id: `abc-${i}`, label: 1 })));
    expect((await post(big)).status).toBe(413);
    const get = await call(t.base, 'GET', '/feedback');
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it('when tokens are configured, then it needs one like the prediction routes', async () => {
    monitor.next = reply('accepted');
    expect((await post('{"prediction_id": "abc-0", "label": 1}', guarded)).status).toBe(401);
    const headers = { 'content-type': 'application/json', authorization: 'Bearer s3cret' };
    const ok = await call(guarded.base, 'POST', '/feedback', '{"prediction_id": "abc-0", "label": 1}', headers);
    expect(ok.status).toBe(202);
  });

  it("when tokens are configured, then every label is forwarded with the caller's client id (16 hex of its token's SHA-256), never the token", async () => {
    monitor.next = reply('accepted');
    monitor.sent = [];
    const headers = { 'content-type': 'application/json', authorization: 'Bearer s3cret' };
    const one = await call(guarded.base, 'POST', '/feedback', '{"prediction_id": "abc-0", "label": 1}', headers);
    const many = JSON.stringify([
      { prediction_id: 'abc-1', label: 0 },
      { prediction_id: 'abc-2', label: 'yes', model: 'Other_Model' },
    ]);
    expect([one.status, (await call(guarded.base, 'POST', '/feedback', many, headers)).status]).toEqual([202, 202]);
    // printf %s s3cret | sha256sum | cut -c1-16
    const client = '1ec1c26b50d5d3c5';
    expect(monitor.sent).toEqual([
      { prediction_id: 'abc-0', label: 1, model: 'One_Customer_Classifier', client },
      [
        { prediction_id: 'abc-1', label: 0, model: 'One_Customer_Classifier', client },
        { prediction_id: 'abc-2', label: 'yes', model: 'Other_Model', client },
      ],
    ]);
    expect(JSON.stringify(monitor.sent)).not.toContain('s3cret');
  });

  it.each([
    ['{"prediction_id": "abc-0", "label": 1, "client": "1ec1c26b50d5d3c5"}', /^client: is set by the predictor/],
    [
      '[{"prediction_id": "abc-0", "label": 1}, {"prediction_id": "abc-1", "label": 1, "client": "x"}]',
      /^\[1\]\.client: /,
    ],
    ['{"prediction_id": "abc-0", "label": 1, "client": null}', /^client: .*bearer token.*leave it out$/],
  ])('when the body sets client itself (%s), then 400 naming it, with or without tokens, and nothing is forwarded', async (text, message) => {
    monitor.sent = [];
    const headers = { 'content-type': 'application/json', authorization: 'Bearer s3cret' };
    for (const response of [await post(text), await call(guarded.base, 'POST', '/feedback', text, headers)]) {
      expect([response.status, response.json.error.code]).toEqual([400, 'BAD_REQUEST']);
      expect(response.json.error.message).toMatch(message);
    }
    expect(monitor.sent).toEqual([]);
  });

  it('when a predictor has no monitor wired, then 503', async () => {
    const bare = await startTestServer({ model: fittedModel() });
    try {
      const response = await post('{"prediction_id": "abc-0", "label": 1}', bare);
      expect([response.status, response.json.error.code]).toEqual([503, 'MONITOR_UNAVAILABLE']);
    } finally {
      await bare.close();
    }
  });
});

describe('feedbackOutcome', () => {
  it('when every refused label names an unknown id, then unknown_ids; any other refusal keeps rejected', () => {
    const unknown = { path: '0.prediction_id', message: 'no prediction abc-0 was logged (or it was not sampled)' };
    const noRow = { path: '1.prediction_id', message: 'prediction abc-9: request abc has 2 rows' };
    const expired = {
      path: '2.prediction_id',
      message: 'prediction abc-0 is older than the monitor keeps predictions',
    };
    expect(feedbackOutcome(reply('rejected', [unknown, noRow]))).toBe('unknown_ids');
    expect(feedbackOutcome(reply('rejected', [unknown, expired]))).toBe('rejected');
    expect(feedbackOutcome(reply('rejected', [unknown]))).toBe('unknown_ids');
    expect(feedbackOutcome(reply('rejected', [unknown, { path: '[1].model', message: 'unknown model' }]))).toBe(
      'rejected',
    );
    expect(feedbackOutcome(reply('rejected', []))).toBe('rejected');
    expect(feedbackOutcome(reply('partial', [unknown]))).toBe('partial');
  });

  it('when the reply lists only the first of its refusals, then it cannot say every id was unknown: rejected', () => {
    const unknown = { path: '0.prediction_id', message: 'no prediction abc-0 was logged (or it was not sampled)' };
    const listed = { ...reply('rejected', Array(100).fill(unknown)) };
    expect(feedbackOutcome({ ...listed, refused: 100 })).toBe('unknown_ids');
    expect(feedbackOutcome({ ...listed, refused: 101 })).toBe('rejected');
  });
});
