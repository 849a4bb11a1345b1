import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger, unknownVariables, warnUnknownVariables } from '../src/index.js';

const schema = z.object({
  PREDICTOR_AUTH_TOKENS: z.string().default(''),
  PREDICTOR_PORT: z.coerce.number().default(8080),
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
});

describe('unknownVariables', () => {
  it("when a variable with the service's prefix is not in its schema, then it is named with the one it likely means", () => {
    const env = { PREDICTOR_AUTH_TOKEN: 'abcdefghijklmnop', PREDICTOR_PORT: '1', PREDICTOR_COLOUR: 'blue' };
    expect(unknownVariables(schema, env, ['PREDICTOR_'])).toEqual([
      { name: 'PREDICTOR_AUTH_TOKEN', meant: 'PREDICTOR_AUTH_TOKENS' },
      { name: 'PREDICTOR_COLOUR', meant: undefined },
    ]);
  });

  it('when variables have other prefixes (another service, the shell), then they are not named', () => {
    const env = { TRACKER_CONCURRENCY: '4', PATH: '/bin', NATS_URL: 'nats://x:4222', NATS_CONTEXT: 'x' };
    expect(unknownVariables(schema, env, ['PREDICTOR_'])).toEqual([]);
  });

  it('when one is found, then a warning names it and what it likely means, and never its value', () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).trim().split('\n')) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = createLogger({ service: 'test', level: 'info', destination });
    warnUnknownVariables(logger, schema, { PREDICTOR_AUTH_TOKEN: 'secret-token-0123456' }, ['PREDICTOR_']);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        variable: 'PREDICTOR_AUTH_TOKEN',
        msg: 'PREDICTOR_AUTH_TOKEN is set but not read by this service (did you mean PREDICTOR_AUTH_TOKENS?): it has no effect',
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('secret-token');
  });
});
