import { describe, expect, it } from 'vitest';
import {
  base64LengthOfDoubles,
  CLIENT_ID_PATTERN,
  FeedbackItemSchema,
  FeedbackRequestSchema,
  MAX_FEEDBACK_ITEMS,
  makeEvent,
  PREDICTION_ENCODING,
  PREDICTION_PARTS_ENCODING,
  parseEvent,
  SUBJECTS,
} from '../src/index.js';

const pack = (values: number[]) => Buffer.from(new Float64Array(values).buffer).toString('base64');

function logged(overrides: Record<string, unknown> = {}) {
  return {
    model: 'm',
    version: '3',
    requests: [
      { request_id: 'abc123', predicted_at: new Date(0).toISOString(), rows: 1 },
      { request_id: 'abc124', predicted_at: new Date(1).toISOString(), rows: 1 },
    ],
    rows: 2,
    columns: 3,
    encoding: PREDICTION_ENCODING,
    features: pack([1, 2, 3, 4, 5, 6]),
    probabilities: pack([0.2, 0.9]),
    labels: pack([0, 1]),
    sample_rate: 1,
    dropped_before: 0,
    ...overrides,
  };
}

describe('prediction.logged', () => {
  it('when the packed arrays match rows and columns, then the event parses and round-trips the doubles', () => {
    const event = makeEvent(SUBJECTS.predictionLogged, { key: 'abc123', source: 't', data: logged() });
    const parsed = parseEvent(SUBJECTS.predictionLogged, JSON.parse(JSON.stringify(event)));
    if (!parsed.ok) throw new Error(parsed.reason);
    const bytes = Buffer.from(parsed.event.data.features, 'base64');
    expect([...new Float64Array(bytes.buffer, bytes.byteOffset, 6)]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('when the requests do not add up to the rows, then the reason says how many they hold', () => {
    const parsed = parseEvent(SUBJECTS.predictionLogged, {
      ...makeEvent(SUBJECTS.predictionLogged, { key: 'k', source: 't', data: logged() }),
      data: logged({ requests: [{ request_id: 'a', predicted_at: new Date(0).toISOString(), rows: 1 }] }),
    });
    expect(JSON.stringify(parsed)).toContain('rows: the requests hold 1 rows, not 2');
  });

  it('when features hold fewer doubles than rows × columns, then the reason names the field and both sizes', () => {
    const parsed = parseEvent(SUBJECTS.predictionLogged, {
      ...makeEvent(SUBJECTS.predictionLogged, { key: 'k', source: 't', data: logged() }),
      data: logged({ features: pack([1, 2, 3]) }),
    });
    expect(parsed.ok).toBe(false);
    expect(JSON.stringify(parsed)).toContain(`features: expected ${base64LengthOfDoubles(6)} base64 characters`);
  });

  it('when a request names the client id that scored it, then it parses; a client that is not 16 lowercase hex characters is refused', () => {
    const withClient = (client: unknown) =>
      parseEvent(SUBJECTS.predictionLogged, {
        ...makeEvent(SUBJECTS.predictionLogged, { key: 'abc123', source: 't', data: logged() }),
        data: logged({
          requests: [
            { request_id: 'abc123', predicted_at: new Date(0).toISOString(), rows: 1, client },
            { request_id: 'abc124', predicted_at: new Date(1).toISOString(), rows: 1 },
          ],
        }),
      });
    const parsed = withClient('0123456789abcdef');
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.event.data.requests.map((r) => r.client)).toEqual(['0123456789abcdef', undefined]);
    for (const bad of ['0123456789ABCDEF', '0123456789abcde', 'a-secret-token-of-someone', '', 7]) {
      expect(JSON.stringify(withClient(bad)), String(bad)).toContain('requests.0.client');
    }
  });

  it('when a message holds a part of a request, then it parses within the request and is refused past its end', () => {
    const part = (first_row: number) => ({
      request_id: 'big',
      predicted_at: new Date(0).toISOString(),
      rows: 2,
      first_row,
      request_rows: 5,
    });
    const event = (first_row: number, encoding: string = PREDICTION_PARTS_ENCODING) =>
      parseEvent(SUBJECTS.predictionLogged, {
        ...makeEvent(SUBJECTS.predictionLogged, { key: `big@${first_row}`, source: 't', data: logged() }),
        data: logged({ requests: [part(first_row)], encoding }),
      });
    expect(event(3).ok).toBe(true);
    expect(JSON.stringify(event(4))).toContain("requests.0.rows: rows 4 to 5 go past the request's 5 rows");
    // a monitor older than parts knows only PREDICTION_ENCODING: it refuses a part instead of misreading it
    expect(JSON.stringify(event(3, PREDICTION_ENCODING))).toContain('is encoded f64le-base64-parts');
    const whole = parseEvent(SUBJECTS.predictionLogged, {
      ...makeEvent(SUBJECTS.predictionLogged, { key: 'w', source: 't', data: logged() }),
      data: logged({ encoding: PREDICTION_PARTS_ENCODING }),
    });
    expect(JSON.stringify(whole)).toContain('is for a message holding a part of a request');
  });
});

describe('feedback.received', () => {
  it('when one label or a batch is sent, then both forms parse', () => {
    expect(FeedbackRequestSchema.safeParse({ prediction_id: 'abc-0', label: 1 }).success).toBe(true);
    const batch = [
      { prediction_id: 'abc-0', label: 0 },
      { prediction_id: 'abc-1', label: 1, model: 'm' },
    ];
    expect(FeedbackRequestSchema.safeParse(batch).success).toBe(true);
  });

  it("when a label is a class's own text, then it parses (the monitor maps it by the version's class labels)", () => {
    expect(FeedbackRequestSchema.safeParse({ prediction_id: 'abc-0', label: 'yes' }).success).toBe(true);
  });

  it("when a label is a class's own number (a target of 2 and 5), then it parses (the monitor maps it by the version's classes)", () => {
    expect(FeedbackRequestSchema.safeParse({ prediction_id: 'abc-0', label: 5 }).success).toBe(true);
    expect(FeedbackRequestSchema.safeParse({ prediction_id: 'abc-0', label: '5' }).success).toBe(true);
  });

  it('when a label names the client id of its caller, then it parses; one that is not 16 lowercase hex characters is refused', () => {
    const label = { prediction_id: 'abc-0', label: 1, model: 'm', client: '0123456789abcdef' };
    expect(FeedbackRequestSchema.safeParse(label).success).toBe(true);
    expect(FeedbackRequestSchema.safeParse([label, { ...label, client: undefined }]).success).toBe(true);
    for (const client of ['0123456789ABCDEF', '0123456789abcdef0', 'secret', null]) {
      expect(FeedbackItemSchema.safeParse({ ...label, client }).success, String(client)).toBe(false);
    }
    expect(CLIENT_ID_PATTERN.test('0123456789abcdef')).toBe(true);
  });

  it.each([
    ['an empty text label', { prediction_id: 'abc-0', label: '' }],
    ['label true', { prediction_id: 'abc-0', label: true }],
    ['no label', { prediction_id: 'abc-0' }],
    ['an id without a row', { prediction_id: 'abc', label: 1 }],
    ['an unknown field', { prediction_id: 'abc-0', label: 1, extra: true }],
    ['an empty batch', []],
    ['a batch too long', Array.from({ length: MAX_FEEDBACK_ITEMS + 1 }, () => ({ prediction_id: 'a-0', label: 0 }))],
  ])('when the body has %s, then it is refused', (_, body) => {
    expect(FeedbackRequestSchema.safeParse(body).success).toBe(false);
  });
});
