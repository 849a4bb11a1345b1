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

  it.each([
    [
      'hosts without a scheme become nats:// servers; spaces around commas are dropped',
      'a:4222, b , [::1]:4223',
      ['nats://a:4222', 'nats://b', 'nats://[::1]:4223'],
    ],
    [
      'a bare or IPv4-mapped IPv6 address, or one ending in a slash, is passed on as written',
      '::1, [::ffff:127.0.0.1]:4222, nats://h:4222/',
      ['nats://::1', 'nats://[::ffff:127.0.0.1]:4222', 'nats://h:4222'],
    ],
  ])('when NATS_URL names its servers so, then %s', (_case, url, servers) => {
    expect(parse({ NATS_URL: url }).servers).toEqual(servers);
  });

  it('when NATS_URL carries a user and password or a token, then they are used as credentials and left out of the servers', () => {
    const withUser = parse({ NATS_URL: 'nats://svc:p%40ss@a:4222,nats://svc:p%40ss@b:4222' });
    expect(withUser.servers).toEqual(['nats://a:4222', 'nats://b:4222']);
    expect(withUser.security).toMatchObject({ user: 'svc', password: 'p@ss', token: undefined });
    const withToken = parse({ NATS_URL: 'tok3n@a:4222' });
    expect(withToken.servers).toEqual(['nats://a:4222']);
    expect(withToken.security).toMatchObject({ user: undefined, token: 'tok3n' });
  });

  it('when a server is tls://, then TLS is required even without NATS_CA (nats.js alone would connect in the clear)', () => {
    expect(parse({ NATS_URL: 'tls://a:4222' }).security.tls).toEqual({});
    expect(parse({ NATS_URL: 'nats://a:4222' }).security.tls).toBeUndefined();
    expect(parse({ NATS_URL: 'tls://a:4222', NATS_CA: '/ca.pem' }).security.tls).toEqual({ caFile: '/ca.pem' });
  });

  it.each([
    ['garbage ::', /NATS_URL: "garbage ::" is not a server address/],
    ['ws://a:4222', /NATS_URL: ws:\/\/ is not supported: use nats:\/\/ or tls:\/\//],
    ['nats://a:0', /"a:0" is not a host\[:port\]/],
    ['nats://a:65536', /"a:65536" is not a host\[:port\]/],
    ['nats://a:', /"a:" is not a host\[:port\]/],
    ['nats://a:4222/path', /"a:4222\/path" is not a host\[:port\]/],
    ['nats://a:4222,,nats://b:4222', /NATS_URL: an empty server address/],
    ['  ', /NATS_URL: an empty server address/],
    ['nats://u:p@a:4222,nats://b:4222', /NATS_URL: its servers carry different credentials/],
    ['nats://u:p%zz@a:4222', /not valid percent-encoding/],
  ])('when NATS_URL is %s, then the config is refused saying why', (url, message) => {
    expect(() => parse({ NATS_URL: url })).toThrow(ConfigError);
    expect(() => parse({ NATS_URL: url })).toThrow(message);
  });

  it('when a refused NATS_URL carries a password, then the error never shows it (a piece split off by a comma is named by position)', () => {
    expect(() => parse({ NATS_URL: 'nats://svc:pa,ss@h:4222' })).toThrow(
      /NATS_URL: server 1 of 2 is not a valid address/,
    );
    for (const url of ['nats://svc:s3cret@a b:4222', 'nats://svc:pa,ss@h:4222', 'nats://svc:s3cret@h:0']) {
      expect(() => parse({ NATS_URL: url })).not.toThrow(/s3cret|pa,|"svc|svc:pa/);
    }
  });

  it('when NATS_URL carries credentials and NATS_USER, NATS_TOKEN or NATS_CREDS is set too, then the config is refused', () => {
    for (const extra of [{ NATS_USER: 'u', NATS_PASSWORD: 'p' }, { NATS_TOKEN: 't' }, { NATS_CREDS: '/x.creds' }]) {
      expect(() => parse({ NATS_URL: 'nats://svc:pw@a:4222', ...extra })).toThrow(
        /NATS_URL: carries credentials beside/,
      );
    }
  });
});
