import { hostname } from 'node:os';
import { ConfigError } from '@mlops/service-kit';
import { describe, expect, it } from 'vitest';
import { defaultInstance, loadConfig } from '../src/config.js';
import { modelEventsDurable } from '../src/entry-points/model-events.js';

/** The durable consumers of model events of an instance of `workers` workers (slot 1 is a single process too). */
function durables(instance: string, workers = 3): string[] {
  return Array.from({ length: workers }, (_, i) => modelEventsDurable(instance, i + 1));
}

/** The error loadConfig throws for `env`, or undefined. */
function configError(env: Record<string, string>): unknown {
  try {
    loadConfig(env);
    return undefined;
  } catch (err) {
    return err;
  }
}

/** The problems of the ConfigError loadConfig throws for `env`, or undefined. */
const problems = (env: Record<string, string>) => (configError(env) as ConfigError | undefined)?.problems;

describe('the predictor instance name', () => {
  it('when PREDICTOR_INSTANCE is unset, then two instances on one host with their own ports have their own durable consumers', () => {
    const first = loadConfig({ PREDICTOR_PORT: '8080' }).instance;
    const second = loadConfig({ PREDICTOR_PORT: '8081' }).instance;
    const shared = durables(first).filter((durable) => durables(second).includes(durable));

    expect(first).toBe(`predictor-${hostname().replace(/[^\w-]/g, '-')}-8080`);
    expect(second).not.toBe(first);
    expect(shared).toEqual([]);
  });

  it('when PREDICTOR_INSTANCE is unset, then the name is the same at every start on that host and port (the durable is kept)', () => {
    expect(loadConfig({ PREDICTOR_PORT: '9000' }).instance).toBe(loadConfig({ PREDICTOR_PORT: '9000' }).instance);
  });

  it('when the port is 0, then the process id tells instances apart, and a host name is made fit for a consumer name', () => {
    expect(defaultInstance('box.example.com', 0, 4242)).toBe('predictor-box-example-com-pid4242');
    expect(defaultInstance('box', 8080, 4242)).toBe('predictor-box-8080');
    expect(defaultInstance('', 8080, 1)).toBe('predictor-localhost-8080');
    expect(defaultInstance('w2', 8080, 1)).toMatch(/^[\w-]+$/);
  });

  it('when PREDICTOR_INSTANCE ends in -w<digits> (the suffix of worker consumers), then the config is refused naming it', () => {
    const refused = ['p2-w2', 'predictor-w10'].map((name) => configError({ PREDICTOR_INSTANCE: name }));

    expect(refused.map((err) => err instanceof ConfigError)).toEqual([true, true]);
    expect(refused.map((err) => String((err as Error).message))).toEqual([
      expect.stringMatching(/PREDICTOR_INSTANCE.*-w<digits>/s),
      expect.stringMatching(/PREDICTOR_INSTANCE.*-w<digits>/s),
    ]);
  });

  it('when instance p2 runs workers, then no accepted instance name can take one of their durable consumers', () => {
    const accepted = ['p2', 'p2-w', 'p2-wx', 'p2-w2a', 'w2'].filter(
      (name) => configError({ PREDICTOR_INSTANCE: name }) === undefined,
    );
    const taken = accepted.filter((name) => name !== 'p2' && durables('p2').includes(modelEventsDurable(name)));

    expect(accepted).toEqual(['p2', 'p2-w', 'p2-wx', 'p2-w2a', 'w2']);
    expect(taken).toEqual([]);
  });
});

describe('MLflow credentials in the predictor configuration', () => {
  it('when a token is set beside a user name and password, or half a user name and password is set, then the start is refused naming the variables', () => {
    const base = { NATS_URL: 'nats://127.0.0.1:4222', MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000' };
    const both = configError({
      ...base,
      MLFLOW_TRACKING_TOKEN: 't',
      MLFLOW_TRACKING_USERNAME: 'u',
      MLFLOW_TRACKING_PASSWORD: 'p',
    });
    const half = configError({ ...base, MLFLOW_TRACKING_USERNAME: 'u' });
    expect([both instanceof ConfigError, half instanceof ConfigError]).toEqual([true, true]);
    expect((both as Error).message).toMatch(
      /MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD, MLFLOW_TRACKING_TOKEN: .*not both/,
    );
    expect((half as Error).message).toMatch(/needs both username and password/);
    expect(configError({ ...base, MLFLOW_TRACKING_TOKEN: 't' })).toBeUndefined();
  });
});

describe('bearer token settings', () => {
  it('when PREDICTOR_AUTH_TOKENS holds an empty token (a stray comma, spaces), then the start is refused, not run open', () => {
    for (const value of [',', ' ', 'abcdefghijklmnopqrst,', 'abcdefghijklmnopqrst,,0123456789abcdef']) {
      expect(problems({ PREDICTOR_AUTH_TOKENS: value }), value).toEqual([
        expect.stringMatching(/^PREDICTOR_AUTH_TOKENS: holds an empty token/),
      ]);
    }
  });

  it('when a token is shorter than 16 characters, then the start is refused; long ones are kept, trimmed', () => {
    expect(problems({ PREDICTOR_AUTH_TOKENS: 'abcdefghijklmnopqrst,short' })).toEqual([
      'PREDICTOR_AUTH_TOKENS: each token must be at least 16 characters (one is shorter)',
    ]);
    const tokens = 'abcdefghijklmnopqrst, 0123456789abcdef';
    expect(loadConfig({ PREDICTOR_AUTH_TOKENS: tokens }).auth.tokens).toEqual([
      'abcdefghijklmnopqrst',
      '0123456789abcdef',
    ]);
    expect(loadConfig({}).auth.tokens).toEqual([]);
  });

  it('when health or metrics are to be protected without tokens, then the start is refused naming the setting', () => {
    expect(problems({ PREDICTOR_AUTH_HEALTH: 'true', PREDICTOR_AUTH_METRICS: 'yes' })).toEqual([
      expect.stringMatching(/^PREDICTOR_AUTH_HEALTH: is true but PREDICTOR_AUTH_TOKENS is empty/),
      expect.stringMatching(/^PREDICTOR_AUTH_METRICS: is true but PREDICTOR_AUTH_TOKENS is empty/),
    ]);
  });
});

describe('allowed Host headers (PREDICTOR_ALLOWED_HOSTS)', () => {
  it('when an entry is no host, a URL, a bare IPv6 address, a wildcard name or a bad port, then the start is refused naming each', () => {
    const refused = ['http://predict.example.com', '::1', '*.example.com', 'a b', 'host:0', 'host:70000', 'a..b'];

    expect(problems({ PREDICTOR_ALLOWED_HOSTS: refused.join(',') })).toEqual([
      'PREDICTOR_ALLOWED_HOSTS: "http://predict.example.com" is not a host name or IP address, alone or with :port or :* (IPv6 in brackets: [::1]:8080); * alone allows every Host',
      expect.stringMatching(/^PREDICTOR_ALLOWED_HOSTS: "::1" is not a host name .*IPv6 in brackets/),
      expect.stringMatching(/^PREDICTOR_ALLOWED_HOSTS: "\*\.example\.com" is not a host name/),
      expect.stringMatching(/^PREDICTOR_ALLOWED_HOSTS: "a b" is not a host name/),
      'PREDICTOR_ALLOWED_HOSTS: "host:0": a port is 1 to 65535 (or * for any)',
      'PREDICTOR_ALLOWED_HOSTS: "host:70000": a port is 1 to 65535 (or * for any)',
      expect.stringMatching(/^PREDICTOR_ALLOWED_HOSTS: "a\.\.b" is not a host name/),
    ]);
    expect(problems({ PREDICTOR_ALLOWED_HOSTS: '[::g]' })).toEqual([
      expect.stringMatching(/^PREDICTOR_ALLOWED_HOSTS: "\[::g\]" is not a host name/),
    ]);
  });

  it('when the list holds an empty entry (a stray comma), then the start is refused rather than the entry dropped', () => {
    expect(problems({ PREDICTOR_ALLOWED_HOSTS: 'predictor,,localhost' })).toEqual([
      expect.stringMatching(/^PREDICTOR_ALLOWED_HOSTS: holds an empty entry/),
    ]);
    expect(problems({ PREDICTOR_ALLOWED_HOSTS: 'predictor,' })).toHaveLength(1);
  });

  it('when entries are valid, then they are kept in lower case, IPv6 as browsers send it, with their port or any', () => {
    const { allowedHosts } = loadConfig({
      PREDICTOR_ALLOWED_HOSTS: ' Predict.Example.com:8443, [0:0::1]:*, 10.0.0.7, my_svc ,*',
    });

    expect(allowedHosts).toEqual({
      any: true,
      entries: [
        { name: 'predict.example.com', port: 8443 },
        { name: '[::1]' },
        { name: '10.0.0.7' },
        { name: 'my_svc' },
      ],
      addressesAndShortNames: false,
    });
  });

  it('when it is unset or empty, then a loopback bind answers the loopback names and itself, any other bind also addresses and short names', () => {
    const loopback = [{ name: 'localhost' }, { name: '127.0.0.1' }, { name: '[::1]' }];

    expect(loadConfig({}).allowedHosts).toEqual({
      any: false,
      entries: loopback,
      addressesAndShortNames: false,
    });
    expect(loadConfig({ PREDICTOR_ALLOWED_HOSTS: ' ', PREDICTOR_HOST: '::1' }).allowedHosts).toEqual({
      any: false,
      entries: loopback,
      addressesAndShortNames: false,
    });
    expect(loadConfig({ PREDICTOR_HOST: '127.0.0.2' }).allowedHosts).toEqual({
      any: false,
      entries: [...loopback, { name: '127.0.0.2' }],
      addressesAndShortNames: false,
    });
    expect(loadConfig({ PREDICTOR_HOST: 'localhost' }).allowedHosts.addressesAndShortNames).toBe(false);
    for (const bind of ['0.0.0.0', '::', '192.168.1.20', 'box.example.com']) {
      expect(loadConfig({ PREDICTOR_HOST: bind }).allowedHosts.addressesAndShortNames, bind).toBe(true);
    }
  });
});

describe('the served model name', () => {
  it('when MODEL_NAME is any name the registry takes, then it is served; a path or a control character is refused', () => {
    expect(loadConfig({ MODEL_NAME: 'Churn (EU)' }).modelName).toBe('Churn (EU)');
    expect(problems({ MODEL_NAME: 'team/churn' })).toEqual([
      expect.stringMatching(/^MODEL_NAME: must not contain "\/"/),
    ]);
    expect(problems({ MODEL_NAME: 'churn\nv2' })).toEqual([
      expect.stringMatching(/^MODEL_NAME: must not contain control characters/),
    ]);
  });
});

describe('every problem of the environment at once', () => {
  it('when a variable is refused beside a check across variables and an MLflow problem, then all three are listed', () => {
    expect(
      problems({
        PREDICTOR_PORT: 'x',
        PREDICTOR_AUTH_METRICS: '1',
        NATS_PASSWORD: 's3cret',
        MLFLOW_TRACKING_USERNAME: 'u',
      }),
    ).toEqual([
      expect.stringMatching(/^PREDICTOR_PORT: "x" is not a number/),
      expect.stringMatching(/^NATS_\w+: .*NATS_USER and NATS_PASSWORD/),
      expect.stringMatching(/^PREDICTOR_AUTH_METRICS: is true but PREDICTOR_AUTH_TOKENS is empty/),
      expect.stringMatching(/^MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD, MLFLOW_TRACKING_TOKEN: .*both/),
    ]);
  });

  it('when MLFLOW_TRACKING_URI is refused by the schema, then it is one line, not also the client check', () => {
    expect(problems({ MLFLOW_TRACKING_URI: 'not a url' })).toEqual([expect.stringMatching(/^MLFLOW_TRACKING_URI: /)]);
    expect(problems({ MLFLOW_TRACKING_URI: 'ftp://mlflow:5000' })).toEqual([
      'MLFLOW_TRACKING_URI: invalid trackingUri: must be http(s), not ftp:',
    ]);
  });

  it('when MODEL_NAME is empty, then one line says so', () => {
    expect(problems({ MODEL_NAME: '' })).toEqual(['MODEL_NAME: must not be empty']);
  });
});

describe('limits of hosts and durations', () => {
  it('when PREDICTOR_HOST is empty or no host, then the start is refused (listen would bind every interface)', () => {
    expect(problems({ PREDICTOR_HOST: '' })).toEqual([
      'PREDICTOR_HOST: is empty: unset it to bind 127.0.0.1, or give 0.0.0.0 (or ::) to bind every interface',
    ]);
    expect(problems({ PREDICTOR_HOST: 'not a host' })).toEqual([expect.stringMatching(/^PREDICTOR_HOST: is neither/)]);
    expect(loadConfig({ PREDICTOR_HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  it.each([
    'PREDICTOR_MODEL_POLL_MS',
    'PREDICTOR_FEEDBACK_TIMEOUT_MS',
    'PREDICTOR_REQUEST_TIMEOUT_MS',
    'PREDICTOR_LOG_FLUSH_TIMEOUT_MS',
  ])('when %s is longer than a timer keeps, then the start is refused (the timer would fire after 1 ms)', (name) => {
    expect(problems({ [name]: '2147483648' })).toEqual([
      `${name}: must be at most 2147483647 (about 24.8 days): the longest timer Node keeps`,
    ]);
    expect(problems({ [name]: '2147483647' })).toBeUndefined();
  });

  it('when the prediction log is to be kept longer than 10 years, then the start is refused', () => {
    expect(problems({ PREDICTOR_LOG_MAX_AGE_S: '10000000000000' })).toEqual([
      'PREDICTOR_LOG_MAX_AGE_S: must be at most 315360000 (10 years)',
    ]);
  });
});
