import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  createLogger,
  hostSchema,
  MAX_TIMER_MS,
  millisSchema,
  parseConfig,
  runUntilSignalled,
  startHealthServer,
} from '../src/index.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).trim().split('\n')) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'test', level: 'info', destination }) };
}

function fakeProcess() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  return {
    emitter,
    exits,
    proc: {
      once: emitter.once.bind(emitter),
      removeListener: emitter.removeListener.bind(emitter),
      exit: (code?: number) => {
        exits.push(code ?? 0);
      },
    } as unknown as Pick<NodeJS.Process, 'once' | 'removeListener' | 'exit'>,
  };
}

describe('parseConfig', () => {
  it('when variables are invalid, then ConfigError lists every one', () => {
    const schema = z.object({ PORT: z.coerce.number().int(), NATS_URL: z.string().min(1) });
    expect(() => parseConfig('svc', schema, { PORT: 'abc' })).toThrow(ConfigError);
    expect(() => parseConfig('svc', schema, { PORT: 'abc' })).toThrow(
      expect.objectContaining({ problems: [expect.stringMatching(/^PORT:/), expect.stringMatching(/^NATS_URL:/)] }),
    );
  });

  const numbers = z
    .object({
      PORT: z.coerce.number().int().min(0).default(8080),
      RATIO: z.coerce.number().gt(0).optional(),
      NAME: z.string().default('x'),
    })
    .superRefine(() => undefined);

  it.each([
    ['', /^PORT is empty: unset it to take the default/],
    ['0x10', /^PORT: "0x10" is not a number: write a decimal number/],
    [' 500', /^PORT: " 500" has spaces around the number/],
    ['Infinity', /^PORT: "Infinity" is not a number/],
    ['abc', /^PORT: "abc" is not a number/],
    ['1_000', /^PORT: "1_000" is not a number/],
    ['1e400', /^PORT: "1e400" is too large a number to hold$/],
  ])('when a number variable is %j, then the one problem says why in plain words', (text, wording) => {
    expect(() => parseConfig('svc', numbers, { PORT: text })).toThrow(
      expect.objectContaining({ problems: [expect.stringMatching(wording)] }),
    );
  });

  it('when number variables are plain decimals, then they parse (exponent and fraction too)', () => {
    expect(parseConfig('svc', numbers, { PORT: '1e3', RATIO: '.25' })).toEqual({ PORT: 1000, RATIO: 0.25, NAME: 'x' });
    expect(parseConfig('svc', numbers, { PORT: '+80', RATIO: '2.' })).toEqual({ PORT: 80, RATIO: 2, NAME: 'x' });
  });

  it("when a number variable's schema words its own type error, then that wording leads", () => {
    const seconds = z.object({ WAIT: z.coerce.number({ message: 'must be a number of seconds' }).default(1) });
    expect(() => parseConfig('svc', seconds, { WAIT: 'soon' })).toThrow(
      expect.objectContaining({ problems: ['WAIT: must be a number of seconds, got "soon"'] }),
    );
    expect(() => parseConfig('svc', seconds, { WAIT: '0x10' })).toThrow(
      expect.objectContaining({ problems: [expect.stringMatching(/^WAIT: "0x10" is not a number/)] }),
    );
  });

  it('when a number is refused and another variable breaks its own rule, then both are listed', () => {
    expect(() => parseConfig('svc', numbers, { PORT: 'x', RATIO: '-1' })).toThrow(
      expect.objectContaining({
        problems: [expect.stringMatching(/^PORT: "x" is not a number/), expect.stringMatching(/^RATIO: /)],
      }),
    );
  });
});

describe('parseConfig across variables', () => {
  const schema = z
    .object({
      PORT: z.coerce.number().int().min(0).default(80),
      USER: z.string().optional(),
      PASSWORD: z.string().optional(),
      TOKENS: z.string().default(''),
      GUARD: z.enum(['on', 'off']).default('off'),
    })
    .superRefine((env, ctx) => {
      if ((env.USER === undefined) !== (env.PASSWORD === undefined))
        ctx.addIssue({ code: 'custom', path: ['PASSWORD'], message: 'USER and PASSWORD go together' });
      if (env.GUARD === 'on' && env.TOKENS === '')
        ctx.addIssue({ code: 'custom', path: ['GUARD'], message: 'is on but TOKENS is empty' });
    });
  const problems = (env: Record<string, string>, also?: () => readonly string[]) => {
    try {
      parseConfig('svc', schema, env, also);
    } catch (err) {
      return (err as ConfigError).problems;
    }
    return [];
  };

  it('when a variable is refused, then the checks across the others are listed too', () => {
    expect(problems({ PORT: 'x', PASSWORD: 'p', GUARD: 'on' })).toEqual([
      expect.stringMatching(/^PORT: "x" is not a number/),
      'PASSWORD: USER and PASSWORD go together',
      'GUARD: is on but TOKENS is empty',
    ]);
  });

  it('when a check across variables names a refused one, then it is left out (it would judge the default)', () => {
    expect(problems({ GUARD: 'maybe', TOKENS: '' })).toEqual([expect.stringMatching(/^GUARD: /)]);
    expect(problems({ PORT: '1', GUARD: 'on', TOKENS: '' })).toEqual(['GUARD: is on but TOKENS is empty']);
  });

  it("when checks outside the schema find problems, then they are listed with the schema's, once per variable", () => {
    const also = () => ['TOKEN: give a token or a user, not both', 'PORT: another wording of the port'];
    expect(problems({ PORT: 'x' }, also)).toEqual([
      expect.stringMatching(/^PORT: "x" is not a number/),
      'TOKEN: give a token or a user, not both',
    ]);
    expect(problems({}, also)).toEqual(also());
    expect(problems({}, () => [])).toEqual([]);
  });
});

describe('config schemas', () => {
  const hosts = z.object({ HOST: hostSchema('127.0.0.1') });
  const host = (HOST?: string) => {
    try {
      return parseConfig('svc', hosts, HOST === undefined ? {} : { HOST }).HOST;
    } catch (err) {
      return (err as ConfigError).problems.join('\n');
    }
  };

  it('when a host is empty or not a host, then it is refused (listen would bind every interface, or fail later)', () => {
    expect(host('')).toBe(
      'HOST: is empty: unset it to bind 127.0.0.1, or give 0.0.0.0 (or ::) to bind every interface',
    );
    expect(host('not a host')).toBe(
      'HOST: is neither an IP address nor a host name (0.0.0.0 or :: binds every interface)',
    );
    expect(host('-bad.example')).toMatch(/^HOST: is neither/);
  });

  it('when a host is an address or a name, then it is taken', () => {
    for (const taken of ['0.0.0.0', '::', '::1', '10.1.2.3', 'localhost', 'predictor', 'api.example.com'])
      expect(host(taken)).toBe(taken);
    expect(host()).toBe('127.0.0.1');
  });

  it('when a duration is longer than a timer keeps, then it is refused; the longest one is taken', () => {
    const durations = z.object({ WAIT_MS: millisSchema(1000, 100) });
    expect(parseConfig('svc', durations, { WAIT_MS: String(MAX_TIMER_MS) }).WAIT_MS).toBe(MAX_TIMER_MS);
    expect(() => parseConfig('svc', durations, { WAIT_MS: String(MAX_TIMER_MS + 1) })).toThrow(
      'WAIT_MS: must be at most 2147483647 (about 24.8 days): the longest timer Node keeps',
    );
    expect(() => parseConfig('svc', durations, { WAIT_MS: '99' })).toThrow(/WAIT_MS: /);
  });
});

describe('createLogger', () => {
  it('when an object carries a password or token, then the log line shows it redacted', () => {
    const { lines, logger } = capture();
    logger.info({ config: { mlflow: { password: 'hunter2', token: 'abc' } }, password: 'x' }, 'configured');
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/hunter2|"abc"|"x"/);
    expect(lines[0]).toMatchObject({ service: 'test', msg: 'configured', password: '[redacted]' });
  });
});

describe('runUntilSignalled', () => {
  it('when SIGTERM arrives, then the service stops and the process exits 0', async () => {
    const { proc, emitter, exits } = fakeProcess();
    const calls: string[] = [];
    const service = { start: async () => void calls.push('start'), stop: async () => void calls.push('stop') };
    await runUntilSignalled(service, { logger: capture().logger, processLike: proc });
    emitter.emit('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls).toEqual(['start', 'stop']);
    expect(exits).toEqual([0]);
  });

  it('when SIGINT is followed by SIGTERM (a terminal, then its supervisor), then the one stop finishes and exits 0', async () => {
    const { proc, emitter, exits } = fakeProcess();
    const calls: string[] = [];
    const service = {
      start: async () => void calls.push('start'),
      stop: async () => {
        calls.push('stop');
        await new Promise((resolve) => setTimeout(resolve, 30));
        calls.push('stopped');
      },
    };
    await runUntilSignalled(service, { logger: capture().logger, processLike: proc });
    emitter.emit('SIGINT');
    emitter.emit('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(calls).toEqual(['start', 'stop', 'stopped']);
    expect(exits).toEqual([0]);
  });

  it('when a fatal error comes during the stop, then the process exits 1 at once', async () => {
    const { proc, emitter, exits } = fakeProcess();
    const service = { start: async () => {}, stop: () => new Promise<void>(() => undefined) };
    await runUntilSignalled(service, { logger: capture().logger, processLike: proc, shutdownTimeoutMs: 10_000 });
    emitter.emit('SIGTERM');
    emitter.emit('uncaughtException', new Error('boom'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(exits).toEqual([1]);
  });

  it('when start fails, then the service is stopped and the process exits 1', async () => {
    const { proc, exits } = fakeProcess();
    const service = {
      start: async () => {
        throw new Error('no broker');
      },
      stop: async () => {},
    };
    await runUntilSignalled(service, { logger: capture().logger, processLike: proc });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(exits).toEqual([1]);
  });
});

describe('startHealthServer', () => {
  it('when not ready, then /ready is 503 while /health is 200', async () => {
    let ready = false;
    const server = await startHealthServer(0, '127.0.0.1', () => ready);
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(503);
    ready = true;
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    await server.close();
  });

  it('when /health or /ready is read, then the answer names the pid of the process (the stack tells its own from a stranger on the port)', async () => {
    const server = await startHealthServer(0, '127.0.0.1', () => false);
    const base = `http://127.0.0.1:${server.port}`;
    const answers = [await (await fetch(`${base}/health`)).json(), await (await fetch(`${base}/ready`)).json()];
    await server.close();

    expect(answers).toEqual([
      { alive: true, ready: false, pid: process.pid },
      { alive: true, ready: false, pid: process.pid },
    ]);
  });
});
