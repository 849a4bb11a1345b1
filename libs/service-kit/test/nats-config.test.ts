import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, checkNatsEnv, natsConnection, natsEnvShape, parseConfig } from '../src/index.js';

const schema = z.object(natsEnvShape).superRefine(checkNatsEnv);
const parse = (env: Record<string, string>) => natsConnection(parseConfig('svc', schema, env));

describe('NATS connection settings', () => {
  it('when nothing is set, then the local open server is used without credentials or TLS', () => {
    expect(parse({})).toEqual({
      servers: ['nats://127.0.0.1:4222'],
      streamReplicas: 1,
      security: { user: undefined, password: undefined, token: undefined, credsFile: undefined, tls: undefined },
    });
  });

  it('when NATS_STREAM_REPLICAS is 3, then streams are created with 3 replicas; 0 or 6 are refused', () => {
    expect(parse({ NATS_STREAM_REPLICAS: '3' }).streamReplicas).toBe(3);
    expect(() => parse({ NATS_STREAM_REPLICAS: '0' })).toThrow();
    expect(() => parse({ NATS_STREAM_REPLICAS: '6' })).toThrow();
  });

  it('when a user, password and TLS files are set, then they are passed on; empty values count as unset', () => {
    const config = parse({
      NATS_URL: 'tls://a:4222, tls://b:4222',
      NATS_USER: 'svc',
      NATS_PASSWORD: 's3cret',
      NATS_TOKEN: ' ',
      NATS_CA: '/ca.pem',
      NATS_CERT: '/c.pem',
      NATS_KEY: '/k.pem',
    });
    expect(config.servers).toEqual(['tls://a:4222', 'tls://b:4222']);
    expect(config.security).toMatchObject({
      user: 'svc',
      password: 's3cret',
      token: undefined,
      tls: { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' },
    });
  });

  it.each([
    [
      { NATS_USER: 'svc' },
      /NATS_USER: NATS_USER and NATS_PASSWORD go together|NATS_PASSWORD: NATS_USER and NATS_PASSWORD go together/,
    ],
    [
      { NATS_USER: 'svc', NATS_PASSWORD: 'p', NATS_TOKEN: 't' },
      /use one of NATS_USER\/NATS_PASSWORD, NATS_TOKEN or NATS_CREDS/,
    ],
    [{ NATS_CERT: '/c.pem' }, /NATS_CERT and NATS_KEY go together/],
  ])('when the variables contradict each other (%o), then the config is refused naming them', (env, message) => {
    expect(() => parse(env)).toThrow(ConfigError);
    expect(() => parse(env)).toThrow(message);
  });
});
