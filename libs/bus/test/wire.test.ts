import { EVENT_MAP, makeEvent, PREDICTION_ENCODING, SUBJECTS } from '@mlops/contracts';
import { describe, expect, it } from 'vitest';
import { envelopeBytes } from '../src/wire.js';

const doubles = (n: number, seed: number) =>
  Buffer.from(Float64Array.from({ length: n }, (_, i) => Math.sin(seed + i) * 1e3).buffer).toString('base64');

function predictionLogged(rows: number, model = 'Churn_Model') {
  return makeEvent(SUBJECTS.predictionLogged, {
    key: 'r1',
    source: 'mlops/predictor',
    data: {
      model,
      version: '3',
      requests: [{ request_id: 'r1', predicted_at: '2026-12-01T10:00:00.000Z', rows }],
      rows,
      columns: 20,
      encoding: PREDICTION_ENCODING,
      features: doubles(rows * 20, 1),
      probabilities: doubles(rows, 2),
      labels: doubles(rows, 3),
      sample_rate: 1,
      dropped_before: 0,
    },
  });
}

const packed = EVENT_MAP[SUBJECTS.predictionLogged].packed;

describe('envelopeBytes', () => {
  it('writes the packed fields of a large event as the same JSON JSON.stringify gives', () => {
    const event = predictionLogged(1000);
    const bytes = envelopeBytes(event, packed);
    expect(Buffer.from(bytes).toString('utf8')).toBe(JSON.stringify(event));
  });

  it('keeps non-ASCII text elsewhere in the envelope intact', () => {
    const event = { ...predictionLogged(200), subject: 'Kündigung — “churn”' };
    expect(Buffer.from(envelopeBytes(event, packed)).toString('utf8')).toBe(JSON.stringify(event));
  });

  it.each([
    ['a quote', '"'],
    ['a backslash', '\\'],
    ['a character beyond ASCII', '\u00e9'],
  ])('escapes a packed field holding %s, as JSON.stringify does', (_what, odd) => {
    const event = predictionLogged(200);
    const broken = { ...event, data: { ...event.data, labels: `${'A'.repeat(2000)}${odd}${'B'.repeat(2000)}` } };
    const text = Buffer.from(envelopeBytes(broken, packed)).toString('utf8');
    expect(text).toBe(JSON.stringify(broken));
    expect(JSON.parse(text)).toEqual(broken);
  });

  it('leaves events without packed fields to JSON.stringify', () => {
    const event = predictionLogged(1);
    expect(Buffer.from(envelopeBytes(event)).toString('utf8')).toBe(JSON.stringify(event));
    expect(Buffer.from(envelopeBytes(event, packed)).toString('utf8')).toBe(JSON.stringify(event));
  });
});
