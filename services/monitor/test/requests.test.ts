import { describe, expect, it } from 'vitest';
import type { Monitor } from '../src/domain/monitor.js';
import { answerHistory, answerStatus } from '../src/entry-points/requests.js';

/** A monitor that records the filters it is asked with. */
function askedMonitor() {
  const asked: unknown[] = [];
  const monitor = {
    status: async (filter: unknown) => {
      asked.push(filter);
      return [];
    },
    retrainHistory: (model: unknown, limit: unknown) => {
      asked.push({ model, limit });
      return [];
    },
  } as unknown as Monitor;
  return { monitor, asked };
}

const body = (text: string) => new TextEncoder().encode(text);

describe('monitor.status and monitor.history requests', () => {
  it.each([
    ['a version that is no version number', '{"version": "v2"}', /^not a status request: version: /],
    ['an unknown field', '{"name": "m", "versions": "2"}', /^not a status request: .*versions/],
    ['a body that is not JSON', '{"name": ', /^the body is not valid JSON/],
  ])('when the status filter has %s, then it is refused with why, and nothing is listed', async (_, text, message) => {
    const { monitor, asked } = askedMonitor();
    const reply = await answerStatus(monitor, body(text));
    expect(reply).toEqual({ status: 'refused', message: expect.stringMatching(message) });
    expect(asked).toEqual([]);
  });

  it('when the status filter is empty or valid, then the monitor is asked with it', async () => {
    const { monitor, asked } = askedMonitor();
    expect(await answerStatus(monitor, body(''))).toEqual({ status: 'ok', versions: [] });
    expect(await answerStatus(monitor, body('{"name": "m", "version": "2"}'))).toEqual({ status: 'ok', versions: [] });
    expect(asked).toEqual([{}, { name: 'm', version: '2' }]);
  });

  it('when the history limit is out of range, then it is refused with why; a valid one is used', () => {
    const { monitor, asked } = askedMonitor();
    expect(answerHistory(monitor, body('{"limit": -1}'))).toEqual({
      status: 'refused',
      message: expect.stringMatching(/^not a history request: limit: /),
    });
    expect(answerHistory(monitor, body('{"limit": 3}'))).toEqual({ status: 'ok', retrains: [] });
    expect(asked).toEqual([{ model: undefined, limit: 3 }]);
  });
});
